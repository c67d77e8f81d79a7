/**
 * The member's storage seam: what the host needs beyond the node's read-only
 * Storage (write a Ready, sync once, snapshot + compact, close), and the one
 * place that picks the implementation: the file WAL (impl/raft/wal). The
 * memory kind (nothing survives a restart) is for in-process tests only.
 */
import { MemoryStorage, type Storage } from "../storage.ts";
import type { Entry, HardState, NodeId, Snapshot } from "../types.ts";
import { FileStorage } from "../wal/index.ts";

export interface HostStorage extends Storage {
  /** "memory" or "file"; reported by /status and every result. */
  readonly kind: string;
  /** Writes one Ready's snapshot, entries and hard state (not yet durable). */
  save(snapshot: Snapshot | null, entries: readonly Entry[], hardState: HardState | null): void;
  /** Makes everything saved so far durable (one fdatasync); a no-op without fsync. */
  sync(): void | Promise<void>;
  /** Records the application's snapshot at `index` and drops log entries up to `compactTo`. */
  snapshotAndCompact(index: number, data: Uint8Array, compactTo: number): void | Promise<void>;
  close(): void | Promise<void>;
  /** Bytes written to the WAL segment files since open (records and segment headers). */
  walBytesWritten(): number;
}

export interface StorageOptions {
  dataDir: string;
  peers: NodeId[];
  fsync: boolean;
  /** Largest WAL record (an entry: a whole client batch plus headers). */
  maxRecordBytes: number;
  log: (line: string) => void;
}

class FileHostStorage extends FileStorage implements HostStorage {
  readonly kind = "file";
  save(snapshot: Snapshot | null, entries: readonly Entry[], hardState: HardState | null): void {
    if (snapshot) this.applySnapshot(snapshot);
    this.append(entries);
    if (hardState) this.setHardState(hardState);
  }
  snapshotAndCompact(index: number, data: Uint8Array, compactTo: number): void {
    this.createSnapshot(index, data);
    this.sync(); // the snapshot's WAL record must be durable before the log under it goes
    this.compact(Math.min(compactTo, index));
  }
  walBytesWritten(): number {
    return this.stats.bytesWritten;
  }
}

class MemoryHostStorage extends MemoryStorage implements HostStorage {
  readonly kind = "memory";
  save(snapshot: Snapshot | null, entries: readonly Entry[], hardState: HardState | null): void {
    if (snapshot) this.applySnapshot(snapshot);
    this.append(entries);
    if (hardState) this.setHardState(hardState);
  }
  sync(): void {}
  snapshotAndCompact(index: number, data: Uint8Array, compactTo: number): void {
    this.createSnapshot(index, data);
    this.compact(Math.min(compactTo, index));
  }
  close(): void {}
  walBytesWritten(): number {
    return 0;
  }
}

/** Opens the member's storage in `dataDir` (the one line to change when the WAL lands). */
export async function openHostStorage(o: StorageOptions): Promise<HostStorage> {
  const s = new FileHostStorage(o.dataDir, {
    peers: o.peers,
    fsync: o.fsync,
    maxRecordBytes: o.maxRecordBytes,
  });
  const r = s.recovery;
  if (r.tornTail) o.log(`WAL: torn tail cut: ${JSON.stringify(r.tornTail)}`);
  o.log(
    `WAL ${o.dataDir}: ${r.segments} segment(s), entries ${r.firstIndex}..${r.lastIndex}, snapshot ${r.snapshotIndex}, term ${r.hardState.term}, mode ${r.mode}`,
  );
  return s;
}

/** An in-memory storage (tests of the host alone; nothing survives a restart). */
export function memoryHostStorage(peers: NodeId[]): HostStorage {
  return new MemoryHostStorage(peers);
}
