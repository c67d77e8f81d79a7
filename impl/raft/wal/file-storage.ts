/**
 * FileStorage: the Raft `Storage` (impl/raft/storage.ts) kept in a directory
 * as an append-only, CRC32C-chained write-ahead log plus snapshot files.
 *
 * API (one owner; not thread-safe; all calls synchronous):
 * ```ts
 * const { storage, recovery } = openFileStorage(dir, { peers: [1, 2, 3] });
 * if (recovery.tornTail) log(recovery.tornTail);       // file, offset, bytes cut
 * // per Ready, the same calls as MemoryStorage, then ONE sync before sending:
 * if (rd.snapshot) storage.applySnapshot(rd.snapshot); // durable on return (own file + checkpoint)
 * storage.append(rd.entries);                           // written, not yet synced
 * if (rd.hardState) storage.setHardState(rd.hardState); // written, not yet synced
 * if (rd.mustSync) storage.sync();                      // one fdatasync covers all of the above
 * // the application's snapshots:
 * storage.createSnapshot(index, data);  storage.compact(index);  // compact deletes old segments
 * storage.stats  // WalStats: syncs, latency buckets, bytes; storage.mode: "fsync" | "no-fsync"
 * storage.close();
 * ```
 * Reads (entries, term, ...) are served from memory (LogState); the log held
 * in memory is bounded by compaction, as MemoryStorage's is.
 *
 * On disk (files.ts names): segments wal-<seq>.log of framed records
 * (record.ts; payloads in payload.ts). The first segment starts with a
 * checkpoint (State record: snapshot meta, log offset, hard state, then the
 * retained entries). compact() and applySnapshot() write a NEW checkpoint
 * segment atomically and then delete every older segment and snapshot file,
 * so disk use is bounded by the snapshot interval. A segment also rolls when
 * it would exceed `segmentBytes`; the old one is synced first, so only the
 * last segment can ever end in a torn record.
 *
 * open() recovers: a torn last record is truncated and reported in
 * `recovery.tornTail`; any other damage throws WalCorruptionError naming the
 * file and byte offset. `fsync: false` skips every fsync (experiments only;
 * `mode` says which ran).
 */
import { closeSync, fdatasyncSync, mkdirSync, openSync, truncateSync } from "node:fs";
import { assert } from "../../core/assert.ts";
import type { Storage } from "../storage.ts";
import type { Entry, HardState, NodeId, Snapshot } from "../types.ts";
import { listDir, removeFiles, snapshotName } from "./files.ts";
import { DEFAULT_MAX_RECORD_BYTES, DEFAULT_SEGMENT_BYTES } from "./limits.ts";
import type { LogState } from "./log-state.ts";
import { encodeEntry, encodeHardState, encodeLogState, encodeSnapshotMeta } from "./payload.ts";
import { RecordType } from "./record.ts";
import { type RecordCounts, readWal, WalCorruptionError, type WalProblem } from "./recover.ts";
import { type Payload, SegmentWriter } from "./segment-writer.ts";
import { writeSnapshotFile } from "./snapshot-file.ts";
import { type SyncMode, WalStats } from "./sync-stats.ts";

export interface FileStorageOptions {
  /** Membership recorded when the directory holds no WAL yet; ignored otherwise. */
  peers?: NodeId[];
  /** false skips every fsync: for experiments only. Default true. */
  fsync?: boolean;
  /** Segment roll size. Default DEFAULT_SEGMENT_BYTES. */
  segmentBytes?: number;
  /** Largest record payload (bounds an entry's data). Default DEFAULT_MAX_RECORD_BYTES. */
  maxRecordBytes?: number;
  /** Called with each data sync's latency in ns (e.g. to feed an HDR histogram). */
  onSyncNs?: (ns: number) => void;
}

export interface RecoveryReport {
  dir: string;
  mode: SyncMode;
  /** The torn tail cut off, or null when the WAL ended cleanly. */
  tornTail: (WalProblem & { droppedBytes: number }) | null;
  segments: number;
  counts: RecordCounts;
  firstIndex: number;
  lastIndex: number;
  snapshotIndex: number;
  hardState: HardState;
  /** Half-written temp files, superseded snapshot files and segments before the newest checkpoint, removed. */
  removedFiles: string[];
}

export function openFileStorage(
  dir: string,
  opts: FileStorageOptions = {},
): { storage: FileStorage; recovery: RecoveryReport } {
  const storage = new FileStorage(dir, opts);
  return { storage, recovery: storage.recovery };
}

export class FileStorage implements Storage {
  readonly mode: SyncMode;
  readonly stats: WalStats;
  readonly recovery: RecoveryReport;
  private readonly fsync: boolean;
  private readonly segmentBytes: number;
  private readonly maxRecordBytes: number;
  private readonly state: LogState;
  private snap: Snapshot;
  private readonly writer: SegmentWriter;
  private failed: Error | null = null;
  /** Snapshot files superseded by a createSnapshot whose WAL record is not yet synced. */
  private staleSnapshotIndexes: number[] = [];

  constructor(
    readonly dir: string,
    opts: FileStorageOptions = {},
  ) {
    this.fsync = opts.fsync ?? true;
    this.mode = this.fsync ? "fsync" : "no-fsync";
    this.stats = new WalStats(this.mode);
    this.segmentBytes = opts.segmentBytes ?? DEFAULT_SEGMENT_BYTES;
    this.maxRecordBytes = opts.maxRecordBytes ?? DEFAULT_MAX_RECORD_BYTES;
    assert(
      this.segmentBytes > 0 && this.maxRecordBytes > 0,
      "segmentBytes and maxRecordBytes must be > 0",
    );
    mkdirSync(dir, { recursive: true });
    this.writer = new SegmentWriter(dir, this.fsync, this.segmentBytes, this.stats, opts.onSyncNs);
    const r = readWal(dir, this.maxRecordBytes, opts.peers ?? []);
    if (r.corruption) throw new WalCorruptionError(r.corruption);
    this.state = r.state;
    this.snap = r.snapshot;
    if (r.tornTail) this.cutTornTail(r.tornTail.file, r.tornTail.offset);
    const removed = [...r.strayFiles, ...r.supersededSegments];
    removeFiles(dir, removed, this.fsync);
    const last = r.segments.at(-1);
    if (last) this.writer.openExisting(last.seq, last.goodBytes, last.lastCrc);
    else this.writer.createSegment(0, this.checkpointRecords());
    this.recovery = {
      dir,
      mode: this.mode,
      tornTail: r.tornTail,
      segments: Math.max(1, r.segments.length),
      counts: r.counts,
      firstIndex: this.firstIndex(),
      lastIndex: this.lastIndex(),
      snapshotIndex: this.snap.index,
      hardState: { ...this.state.hard },
      removedFiles: removed,
    };
  }

  // ---- Storage (reads, from memory) ----

  initialState(): { hardState: HardState; peers: NodeId[] } {
    return { hardState: { ...this.state.hard }, peers: [...this.state.snap.peers] };
  }

  get hardState(): HardState {
    return { ...this.state.hard };
  }

  entries(lo: number, hi: number, maxBytes = Number.POSITIVE_INFINITY): Entry[] {
    return this.state.entries(lo, hi, maxBytes);
  }

  term(i: number): number {
    return this.state.term(i);
  }

  firstIndex(): number {
    return this.state.firstIndex();
  }

  lastIndex(): number {
    return this.state.lastIndex();
  }

  snapshot(): Snapshot {
    return this.snap;
  }

  // ---- writes ----

  /** Appends entries, replacing any suffix from entries[0].index on (§5.3). Not durable until sync(). */
  append(entries: readonly Entry[]): void {
    this.checkUsable();
    const start = this.state.appendStart(entries);
    const payloads: Payload[] = [];
    for (let i = start; i < entries.length; i++)
      payloads.push({ type: RecordType.Entry, bytes: encodeEntry(entries[i]!) });
    this.writeRecords(payloads);
    for (let i = start; i < entries.length; i++) this.state.putEntry(entries[i]!);
    this.stats.entriesWritten += payloads.length;
  }

  /** Records the hard state. Not durable until sync(). */
  setHardState(hs: HardState): void {
    this.checkUsable();
    this.writeRecords([{ type: RecordType.HardState, bytes: encodeHardState(hs) }]);
    this.state.hard = { ...hs };
    this.stats.hardStatesWritten++;
  }

  /**
   * One data sync of the active segment covering every write since the last
   * one (group commit). A no-op when nothing was written.
   */
  sync(): void {
    this.checkUsable();
    if (!this.writer.dirty) {
      this.stats.syncsSkipped++;
      return;
    }
    this.guard(() => this.writer.sync());
    const stale = this.staleSnapshotIndexes.splice(0).map(snapshotName);
    this.guard(() => removeFiles(this.dir, stale, this.fsync));
  }

  /** Replaces log and state with a snapshot from a leader (§7). Durable on return. */
  applySnapshot(snap: Snapshot): void {
    this.checkUsable();
    if (snap.index <= this.snap.index) return; // older than ours: nothing to do
    this.guard(() => writeSnapshotFile(this.dir, snap, this.fsync));
    this.stats.snapshotsWritten++;
    this.snap = { ...snap, peers: [...snap.peers] };
    this.state.install(snap);
    this.rollCheckpoint();
  }

  /**
   * Records a snapshot of the applied state at `index` (<= last index): its
   * file is durable on return, its WAL record with the next sync(). Does not
   * drop entries (compact does).
   */
  createSnapshot(index: number, data: Uint8Array, peers?: NodeId[]): Snapshot {
    this.checkUsable();
    assert(index <= this.lastIndex(), () => `createSnapshot(${index}) beyond ${this.lastIndex()}`);
    if (index <= this.snap.index) return this.snap;
    const snap: Snapshot = {
      index,
      term: this.term(index),
      peers: [...(peers ?? this.state.snap.peers)],
      data,
    };
    this.guard(() => writeSnapshotFile(this.dir, snap, this.fsync));
    this.stats.snapshotsWritten++;
    this.writeRecords([{ type: RecordType.Snapshot, bytes: encodeSnapshotMeta(snap) }]);
    // The old file stays until this record is synced: a crash before then recovers the old snapshot.
    if (this.snap.index > 0) this.staleSnapshotIndexes.push(this.snap.index);
    this.state.putSnapshot(snap);
    this.snap = snap;
    return snap;
  }

  /**
   * Drops entries up to and including `index` (<= the snapshot's index), by
   * writing a new checkpoint segment and deleting every older segment and
   * superseded snapshot file. Durable on return.
   */
  compact(index: number): void {
    this.checkUsable();
    if (index <= this.state.offsetIndex) return;
    this.state.compact(index);
    this.rollCheckpoint();
  }

  close(): void {
    this.writer.close();
    this.failed ??= new Error("storage closed");
  }

  // ---- internals ----

  private checkUsable(): void {
    if (this.failed) throw new Error(`FileStorage ${this.dir} unusable: ${this.failed.message}`);
  }

  /** Runs an I/O step; a failure leaves the files in an unknown state, so the storage refuses further use. */
  private guard<T>(step: () => T): T {
    try {
      return step();
    } catch (e) {
      this.failed = e as Error;
      throw e;
    }
  }

  /** Checks the record limit (a caller error: nothing written), then writes under guard. */
  private writeRecords(payloads: Payload[]): void {
    for (const p of payloads)
      if (p.bytes.byteLength > this.maxRecordBytes)
        throw new Error(
          `WAL record of ${p.bytes.byteLength} bytes over maxRecordBytes ${this.maxRecordBytes}`,
        );
    this.guard(() => this.writer.write(payloads));
  }

  /** A checkpoint segment replaces every older segment and snapshot file. */
  private rollCheckpoint(): void {
    this.guard(() => {
      this.writer.createSegment(this.writer.seq + 1, this.checkpointRecords());
      this.removeOlderThanActive();
    });
  }

  /** Deletes segments before the active (checkpoint) one and snapshot files not in effect. */
  private removeOlderThanActive(): void {
    const listing = listDir(this.dir);
    const segs = listing.segments.filter((s) => s.seq < this.writer.seq).map((s) => s.name);
    const snaps = listing.snapshots.filter((s) => s.index !== this.snap.index).map((s) => s.name);
    this.staleSnapshotIndexes = [];
    removeFiles(this.dir, [...segs, ...snaps], this.fsync);
    this.stats.segmentsDeleted += segs.length;
  }

  /** The records after a checkpoint segment's header: the whole state, then every retained entry. */
  private checkpointRecords(): Payload[] {
    const out: Payload[] = [
      { type: RecordType.State, bytes: encodeLogState(this.state.toRecord()) },
    ];
    for (const e of this.state.ents) out.push({ type: RecordType.Entry, bytes: encodeEntry(e) });
    return out;
  }

  private cutTornTail(file: string, offset: number): void {
    truncateSync(file, offset);
    if (!this.fsync) return;
    const fd = openSync(file, "r+");
    try {
      fdatasyncSync(fd);
    } finally {
      closeSync(fd);
    }
  }
}
