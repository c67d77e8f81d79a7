/**
 * The targets for `raft-commit`, in one place: the experiment's
 * claims and the report section's hit/miss lines both read them.
 */

/** eventlab records/s at concurrency 64 over etcd puts/s (3 members, fsync on). */
export const TARGET_THROUGHPUT_RATIO = 25;
/** eventlab p50 over etcd p50 at concurrency 1 (at most). */
export const TARGET_P50_RATIO = 1;

const base = { members: 3, fsync: "on", recordBytes: 64 } as const;

/** The rows each side of each target compares. */
export const TARGETS = {
  throughput: {
    // Batching is the lever: eventlab's biggest batch; etcd's best puts/s is with the smallest value.
    eventlab: { ...base, target: "eventlab", concurrency: 64, recordsPerAppend: 256 },
    etcd: { ...base, target: "etcd", concurrency: 64, recordsPerAppend: 1 },
  },
  p50: {
    eventlab: { ...base, target: "eventlab", concurrency: 1, recordsPerAppend: 1 },
    etcd: { ...base, target: "etcd", concurrency: 1, recordsPerAppend: 1 },
  },
} as const;
