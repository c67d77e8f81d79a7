/**
 * Counters of a FileStorage's syncs, for /metrics and benchmarks: how many
 * syncs ran, their total and bucketed latency (Prometheus histogram shape,
 * cumulative counts are derived at export), and bytes/records written.
 * `onSyncNs` (an option of FileStorage) additionally receives every sync's
 * latency, e.g. to feed an HDR histogram.
 */
import { SYNC_BUCKET_BOUNDS_NS } from "./limits.ts";

export type SyncMode = "fsync" | "no-fsync";

export class WalStats {
  /** Data syncs: one per sync() with pending writes, plus one per new segment (roll or checkpoint). */
  syncs = 0;
  syncNsTotal = 0;
  /** Calls of sync() that found nothing to sync. */
  syncsSkipped = 0;
  /** Per-bucket (not cumulative) counts; the last slot counts syncs above every bound. */
  readonly syncBucketCounts: number[] = new Array(SYNC_BUCKET_BOUNDS_NS.length + 1).fill(0);
  readonly syncBucketBoundsNs = SYNC_BUCKET_BOUNDS_NS;
  bytesWritten = 0;
  entriesWritten = 0;
  hardStatesWritten = 0;
  segmentsCreated = 0;
  segmentsDeleted = 0;
  snapshotsWritten = 0;

  constructor(readonly mode: SyncMode) {}

  recordSync(ns: number): void {
    this.syncs++;
    this.syncNsTotal += ns;
    let b = 0;
    while (b < SYNC_BUCKET_BOUNDS_NS.length && ns > SYNC_BUCKET_BOUNDS_NS[b]!) b++;
    this.syncBucketCounts[b]!++;
  }
}
