/**
 * Public types of the pure Raft node (impl/raft/node.ts), in the shape of
 * etcd-io/raft. Nothing here touches sockets, timers or clocks: time is ticks,
 * randomness is injected, and persistence goes through `Storage`.
 *
 * Paper references are to Ongaro and Ousterhout, "In Search of an
 * Understandable Consensus Algorithm (Extended Version)", 2014.
 */
import type { Storage } from "./storage.ts";

/**
 * A node id: a non-negative integer below 2^31 (ids 0..n-1 are fine).
 * `NONE` (-1) means "no node": no vote cast, no known leader on the wire.
 */
export type NodeId = number;

/** The "no node" id used in HardState.vote and on the wire. */
export const NONE = -1;

/**
 * Message types. Numeric so the codec writes one byte. `Hup` and `Beat` are
 * local (never sent on the wire): `Hup` starts an election (or pre-election)
 * now, `Beat` makes a leader broadcast heartbeats now.
 */
export const MessageType = {
  Hup: 0,
  Beat: 1,
  App: 2,
  AppResp: 3,
  Vote: 4,
  VoteResp: 5,
  PreVote: 6,
  PreVoteResp: 7,
  Heartbeat: 8,
  HeartbeatResp: 9,
  Snap: 10,
  TimeoutNow: 11,
} as const;
export type MessageType = (typeof MessageType)[keyof typeof MessageType];

/** The largest MessageType value (the codec refuses anything above). */
export const MESSAGE_TYPE_MAX = 11;

/** Entry kinds: a client command, or the no-op a new leader appends (§8). */
export const EntryType = { Normal: 0, Noop: 1 } as const;
export type EntryType = (typeof EntryType)[keyof typeof EntryType];

/**
 * A log entry. Committed entries of type Noop carry no command: the state
 * machine skips them, but they do occupy an index and count as applied.
 */
export interface Entry {
  term: number;
  index: number;
  type: EntryType;
  data: Uint8Array;
}

/** What must be on stable storage before messages go out (Figure 2, "Persistent state"). */
export interface HardState {
  term: number;
  /** Candidate voted for in `term`, or NONE (-1). */
  vote: NodeId;
  commit: number;
}

export type Role = "follower" | "pre-candidate" | "candidate" | "leader";

/** Volatile state worth reporting to the application (not persisted). */
export interface SoftState {
  leader: NodeId | null;
  role: Role;
}

/** A state-machine snapshot covering the log up to and including `index` (§7). */
export interface Snapshot {
  index: number;
  term: number;
  /** Cluster membership at `index`. */
  peers: NodeId[];
  data: Uint8Array;
}

/**
 * One Raft message. Which optional fields a type uses:
 * - App: index/logTerm = the entry before `entries`; entries; commit.
 * - AppResp: index = last matching index on success; on reject, index = the
 *   rejected prev index, rejectHint = a conflict index hint and logTerm = the
 *   follower's term at rejectHint (fast backtracking, §5.3 end).
 * - Vote/PreVote: index/logTerm = candidate's last entry (§5.4.1); transfer =
 *   campaign caused by leadership transfer (skips the leader-lease check).
 * - VoteResp/PreVoteResp: reject.
 * - Heartbeat: commit (min of follower match and leader commit).
 * - Snap: snapshot.
 * - TimeoutNow: nothing beyond the header.
 * A PreVote carries the term the sender WOULD campaign in (term+1); a granted
 * PreVoteResp echoes that term, and no node changes term on a pre-vote.
 */
export interface Message {
  type: MessageType;
  from: NodeId;
  to: NodeId;
  term: number;
  logTerm?: number;
  index?: number;
  entries?: Entry[];
  commit?: number;
  reject?: boolean;
  rejectHint?: number;
  snapshot?: Snapshot;
  transfer?: boolean;
}

/**
 * A message of `type` with every optional field present and undefined, for
 * the sender to fill: the node builds all its messages here so they share
 * one object shape, and the property reads of every hop (transport, trace,
 * receiver) stay monomorphic instead of seeing one shape per message kind.
 * An undefined field means absent (the codec and all readers test
 * `!== undefined`).
 */
export function newMessage(type: MessageType, from: NodeId, to: NodeId, term: number): Message {
  return {
    type,
    from,
    to,
    term,
    logTerm: undefined,
    index: undefined,
    entries: undefined,
    commit: undefined,
    reject: undefined,
    rejectHint: undefined,
    snapshot: undefined,
    transfer: undefined,
  };
}

/**
 * The messages of a Ready that sends none, and the node's outbox while
 * empty: shared, never filled (RaftNode.advance() checks it, like NO_ENTRIES
 * in log.ts).
 */
export const NO_MESSAGES: Message[] = [];

/**
 * A batch of work the application must do, in this order (see node.ts):
 * persist snapshot, entries and hardState; send messages; apply
 * committedEntries; then call advance(). The lists may be kept but never
 * changed: entries is the node's unstable array itself (lent, never changed
 * by the node afterwards) and an empty list is one shared array.
 */
export interface Ready {
  /** Non-null only when it changed since the last Ready. */
  softState: SoftState | null;
  /** Non-null only when it changed since the last Ready; persist it. */
  hardState: HardState | null;
  /** New log entries to append to storage (may overwrite a conflicting suffix). */
  entries: Entry[];
  /** A snapshot received from the leader to persist (applySnapshot) and load. */
  snapshot: Snapshot | null;
  /** Messages to send AFTER the above are persisted. */
  messages: Message[];
  /** Entries now committed, to apply in order. */
  committedEntries: Entry[];
  /** True when the hard state's term/vote or entries changed: an fsync is needed. */
  mustSync: boolean;
}

/** An injected source of randomness (impl/core/rng.ts Rng fits). */
export interface RandomSource {
  nextU32(): number;
}

/** See RaftConfig.electionTimerReset. */
export type ElectionTimerReset = "etcd" | "paper";

export const ELECTION_TIMER_RESETS: readonly ElectionTimerReset[] = ["etcd", "paper"];

/** Every optional field's default is in RAFT_DEFAULTS (config.ts), the one place they live. */
export interface RaftConfig {
  id: NodeId;
  /** All voters including `id`; ignored when storage already holds peers. */
  peers: NodeId[];
  /** Minimum election timeout in ticks (>= 1). */
  electionTicks: number;
  /**
   * Election timeouts are drawn uniformly from [electionTicks,
   * electionTicksMax) each time the timer resets. Default 2*electionTicks
   * (RAFT_DEFAULTS.electionTicksMaxFactor).
   * electionTicksMax == electionTicks means no randomness.
   */
  electionTicksMax?: number;
  /** Leader heartbeat interval in ticks (>= 1). */
  heartbeatTicks: number;
  rng: RandomSource;
  storage: Storage;
  /**
   * Pre-vote phase before a real election (Ongaro's dissertation §9.6): a
   * node raises its term only after a majority says it could win. As in
   * etcd-raft, a voter grants a pre-vote to any up-to-date log; refusing
   * while a leader is alive comes from checkQuorum's lease, so enable both to
   * keep a rejoining node from deposing a healthy leader. Default: RAFT_DEFAULTS (config.ts).
   */
  preVote?: boolean;
  /**
   * Leader steps down when it has not heard from a quorum within an election
   * timeout; followers that heard from a leader within the minimum election
   * timeout refuse votes (§6 "disruptive servers"). Default: RAFT_DEFAULTS (config.ts).
   */
  checkQuorum?: boolean;
  /**
   * When the election timer restarts (§5.2, Figure 2 "Rules for Servers").
   * "etcd" (the default, RAFT_DEFAULTS; as etcd-raft): on every term or role change, on
   * AppendEntries/heartbeat from the leader and on granting a vote.
   * "paper": exactly Figure 2: a follower restarts it only on AppendEntries
   * (or heartbeat/InstallSnapshot) from the current leader or on granting a
   * vote, and a candidate when it starts an election; merely seeing a higher
   * term, or losing an election, does not restart it. A leader runs no
   * election timer, so one starts when it steps down. With preVote, starting
   * a pre-election also restarts it (in both modes).
   */
  electionTimerReset?: ElectionTimerReset;
  /** Max total entry payload bytes in one App message (at least one entry is always sent). Default: RAFT_DEFAULTS (config.ts). */
  maxSizePerMsgBytes?: number;
  /** Max entries in one App message. Default: RAFT_DEFAULTS (config.ts). */
  maxEntriesPerMsg?: number;
  /** Max in-flight App messages per follower in replicate state. Default: RAFT_DEFAULTS (config.ts). */
  maxInflightMsgs?: number;
  /** propose() refuses new entries while this many are appended but uncommitted. Default: RAFT_DEFAULTS (config.ts). */
  maxUncommittedEntries?: number;
  /** Max committed entries returned in one Ready. Default: RAFT_DEFAULTS (config.ts). */
  maxCommittedPerReady?: number;
  /** Last applied index at restart (entries after it are re-delivered). Default: snapshot index. */
  applied?: number;
}
