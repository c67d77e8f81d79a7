/**
 * Every named limit and default of the Raft member process, its transport and
 * its client protocol, in one place (house style: one source for each limit).
 * Member flags override the ones marked "flag".
 */

/** Largest opaque record a client may append (flag --max-record-bytes). */
export const DEFAULT_MAX_RECORD_BYTES = 1024 * 1024;
/** Most records in one append (flag --max-batch-records). */
export const DEFAULT_MAX_BATCH_RECORDS = 4096;
/** Most appends one client connection may have waiting for commit (flag --max-in-flight). */
export const DEFAULT_MAX_IN_FLIGHT_PER_CLIENT = 1024;
/** Most client connections at once (flag --max-clients). */
export const DEFAULT_MAX_CLIENTS = 256;
/** Most entries one read returns (the client asks again from the next index). */
export const MAX_READ_ENTRIES = 4096;
/**
 * Client sessions the replicated state machine remembers; past it the session
 * applied longest ago is forgotten (deterministically, on every member).
 */
export const MAX_SESSIONS = 100_000;
/** Per session: how many recent (seq -> index) results a retry can still be answered from. */
export const SESSION_RESULT_WINDOW = 4096;

/** Most record bytes in one append (a bigger frame is refused as malformed and its connection closed). */
export const MAX_APPEND_BYTES = 8 * 1024 * 1024;

/** Largest client frame accepted: MAX_APPEND_BYTES of records plus their length words and headers. */
export function maxClientFrameBytes(maxBatchRecords: number): number {
  return MAX_APPEND_BYTES + maxBatchRecords * 4 + 64;
}

/** Bytes queued per peer on the message lane before new messages are dropped (and counted). */
export const PEER_QUEUE_BYTES = 8 * 1024 * 1024;
/** Bytes queued per peer on the snapshot lane (one snapshot at a time in practice). */
export const PEER_SNAPSHOT_QUEUE_BYTES = 256 * 1024 * 1024;
/** Largest peer frame accepted on the message lane. */
export const MAX_PEER_FRAME_BYTES = 64 * 1024 * 1024;
/** Largest peer frame accepted on the snapshot lane. */
export const MAX_PEER_SNAPSHOT_FRAME_BYTES = 512 * 1024 * 1024;
/** Reconnect backoff: first wait, doubling up to the cap. */
export const RECONNECT_BACKOFF_MIN_MS = 20;
export const RECONNECT_BACKOFF_MAX_MS = 1000;

/** Tick period and timeouts in ticks (flags --tick-ms, --election-ticks, --heartbeat-ticks). */
export const DEFAULT_TICK_MS = 20;
export const DEFAULT_ELECTION_TICKS = 10;
export const DEFAULT_HEARTBEAT_TICKS = 2;
/** Node entries per App message (etcd's MaxSizePerMsg analogue in count). */
export const MAX_ENTRIES_PER_APP = 512;
/** Payload bytes per App message. */
export const MAX_APP_BYTES = 4 * 1024 * 1024;
/** Events that may wait while one Ready is persisted (peer messages, proposals). */
export const MAX_PENDING_EVENTS = 1_000_000;
/** Reply bytes a client connection may leave unread before the member closes it. */
export const MAX_CLIENT_BACKLOG_BYTES = 64 * 1024 * 1024;
/** Entries kept in the log behind a snapshot so a slightly slow follower needs no snapshot. */
export const SNAPSHOT_CATCHUP_ENTRIES = 1000;
/** Default --snapshot-every (applied entries between snapshots; 0 = never). */
export const DEFAULT_SNAPSHOT_EVERY = 10_000;
