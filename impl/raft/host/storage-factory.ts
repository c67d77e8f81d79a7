/**
 * The member's storage seam: what the host needs beyond the node's read-only
 * Storage (write a Ready, sync once, snapshot + compact, close), and the one
 * place that picks the implementation. MemoryStorage stands in until the file
 * WAL is merged; it keeps nothing across a restart, so a member on it must not
 * be restarted from its data dir (openHostStorage says which kind it opened).
 */
import { MemoryStorage, type Storage } from "../storage.ts";
import type { Entry, HardState, NodeId, Snapshot } from "../types.ts";

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
}

export interface StorageOptions {
  dataDir: string;
  peers: NodeId[];
  fsync: boolean;
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
}

/** Opens the member's storage in `dataDir` (the one line to change when the WAL lands). */
export async function openHostStorage(o: StorageOptions): Promise<HostStorage> {
  return new MemoryHostStorage(o.peers);
}
