/**
 * The file WAL's named limits and defaults, in one place. Every other WAL
 * file reads these; options override them per storage.
 */

/** Roll to a new segment file once the current one would exceed this many bytes. */
export const DEFAULT_SEGMENT_BYTES = 64 * 1024 * 1024;

/**
 * Largest payload one WAL record may carry. One record holds one log entry
 * (or a checkpoint of state), so this bounds an entry's data; a length field
 * above it is refused as corruption instead of being allocated.
 */
export const DEFAULT_MAX_RECORD_BYTES = 16 * 1024 * 1024;

/** Largest snapshot file read back (a corrupt header must not make us allocate wildly). */
export const MAX_SNAPSHOT_BYTES = 1024 * 1024 * 1024;

/** Most peers a snapshot/state record may list (a corrupt count is refused). */
export const MAX_PEERS = 1 << 16;

/** Largest single write buffer: an append of many entries is written in chunks of at most this. */
export const MAX_WRITE_CHUNK_BYTES = 4 * 1024 * 1024;

/** Upper bounds (ns) of the sync-latency histogram buckets (Prometheus style; +Inf is implied). */
export const SYNC_BUCKET_BOUNDS_NS: readonly number[] = [
  50_000, 100_000, 250_000, 500_000, 1_000_000, 2_500_000, 5_000_000, 10_000_000, 25_000_000,
  50_000_000, 100_000_000, 250_000_000, 1_000_000_000,
];

/**
 * Granularity at which a power loss can leave unwritten (zero) holes in
 * unsynced data: the disk sector. A bad record overlapping such a hole in
 * the last segment is a torn write, not corruption (record.ts).
 */
export const UNWRITTEN_SECTOR_BYTES = 512;
