/**
 * One simulated server: a RaftNode, the storage it reads (what the process
 * has written, possibly not yet synced), the durable copy (what survived the
 * last fsync) and its applied state.
 *
 * Sync model, made explicit: writes go to `live` at once and are queued in
 * `unsynced`; a Ready with mustSync (new entries, or a term/vote change) or
 * a snapshot fsyncs, which replays the queue onto `durable`. Hard-state
 * writes are not queued one by one: each overwrites the last and none
 * touches the log, so only the latest unsynced one is kept (copied into a
 * record of the host's own) and written at the fsync. A Ready that
 * only moves the commit index is written but not fsynced, as etcd does, so
 * a crash can lose it. crash() drops `live` and `unsynced`; restart() builds
 * a new live storage from `durable` alone. Messages of a Ready leave only
 * after its sync, so nothing a peer saw can be forgotten by a crash.
 */
import type { Rng } from "../../core/rng.ts";
import { RaftNode } from "../node.ts";
import { MemoryStorage } from "../storage.ts";
import type { Entry, HardState, RaftConfig, Ready, Snapshot } from "../types.ts";
import type { DurableView, LogView } from "./checker.ts";
import { AppliedState, type StateMachine } from "./state-machine.ts";

/** A pending log write: entries to append or a snapshot to install (hard state is kept apart). */
type LogWrite = { kind: "entries"; entries: Entry[] } | { kind: "snapshot"; snap: Snapshot };

export type NodeParams = Omit<RaftConfig, "id" | "storage" | "rng" | "applied">;

export class SimHost {
  up = true;
  /** Bumped at each crash so stale timer events of an old incarnation are ignored. */
  incarnation = 0;
  node: RaftNode;
  live: MemoryStorage;
  readonly durable: MemoryStorage;
  /** Log writes not yet fsynced, in order (an array reused from sync to sync). */
  private readonly unsynced: LogWrite[] = [];
  /** The latest hard state written since the last fsync (valid when hardWritesUnsynced > 0). */
  private readonly unsyncedHard: HardState = { term: 0, vote: 0, commit: 0 };
  /** Hard-state writes since the last fsync (each counts in unsyncedWrites, as it did when queued). */
  private hardWritesUnsynced = 0;
  state: AppliedState;
  syncCount = 0;
  private liveView: StorageView;
  private readonly durableViewOnce: DurableStorageView;

  constructor(
    readonly id: number,
    private readonly params: NodeParams,
    private readonly rng: Rng,
    private readonly makeUser: (() => StateMachine) | null,
  ) {
    this.durable = new MemoryStorage(params.peers);
    this.live = cloneStorage(this.durable, params.peers);
    this.liveView = new StorageView(this.live);
    this.durableViewOnce = new DurableStorageView(this.durable);
    this.state = new AppliedState(makeUser?.() ?? null);
    this.node = this.newNode();
  }

  private newNode(): RaftNode {
    return new RaftNode({
      ...this.params,
      id: this.id,
      rng: this.rng,
      storage: this.live,
      applied: this.live.snapshot().index,
    });
  }

  /** Persists a Ready's writes; fsyncs when it must. Call before sending its messages. */
  persist(rd: Ready): void {
    if ((rd.mustSync || rd.snapshot) && this.unsyncedWrites === 0) {
      this.persistSynced(rd);
      return;
    }
    if (rd.snapshot) {
      this.live.applySnapshot(rd.snapshot);
      this.unsynced.push({ kind: "snapshot", snap: rd.snapshot });
    }
    if (rd.entries.length > 0) {
      this.live.append(rd.entries);
      this.unsynced.push({ kind: "entries", entries: rd.entries });
    }
    const hs = rd.hardState;
    if (hs) {
      this.live.setHardState(hs);
      const u = this.unsyncedHard;
      u.term = hs.term;
      u.vote = hs.vote;
      u.commit = hs.commit;
      this.hardWritesUnsynced++;
    }
    if (rd.mustSync || rd.snapshot) this.sync();
  }

  /** persist() then sync() with nothing pending before: the same writes, without queueing them. */
  private persistSynced(rd: Ready): void {
    let wrote = false;
    if (rd.snapshot) {
      this.live.applySnapshot(rd.snapshot);
      this.durable.applySnapshot(rd.snapshot);
      wrote = true;
    }
    if (rd.entries.length > 0) {
      this.live.append(rd.entries);
      this.durable.append(rd.entries);
      wrote = true;
    }
    if (rd.hardState) {
      this.live.setHardState(rd.hardState);
      this.durable.setHardState(rd.hardState);
      wrote = true;
    }
    if (wrote) this.syncCount++;
  }

  /** fsync: everything written so far becomes durable. */
  sync(): void {
    if (this.unsyncedWrites === 0) return;
    const ws = this.unsynced;
    for (let i = 0; i < ws.length; i++) {
      const w = ws[i]!;
      if (w.kind === "snapshot") this.durable.applySnapshot(w.snap);
      else this.durable.append(w.entries);
    }
    // Log and hard state are separate records: the last hard state may land after the log writes.
    if (this.hardWritesUnsynced > 0) this.durable.setHardState(this.unsyncedHard);
    this.syncCount++;
    this.dropUnsynced();
  }

  private dropUnsynced(): void {
    this.unsynced.length = 0;
    this.hardWritesUnsynced = 0;
  }

  /** The application snapshots its applied state at `index` and compacts the log (durably, as a snapshot file is fsynced). */
  takeSnapshot(index: number): void {
    this.sync();
    const data = this.state.snapshot();
    this.live.createSnapshot(index, data);
    this.live.compact(index);
    this.durable.createSnapshot(index, data);
    this.durable.compact(index);
  }

  crash(): void {
    this.up = false;
    this.incarnation++;
    this.dropUnsynced(); // never reached the disk
  }

  /** Comes back with only the durable state; the state machine restarts from the durable snapshot. */
  restart(): void {
    this.live = cloneStorage(this.durable, this.params.peers);
    this.state = new AppliedState(this.makeUser?.() ?? null);
    const snap = this.live.snapshot();
    if (snap.index > 0) this.state.restore(snap.data);
    this.node = this.newNode();
    this.up = true;
  }

  /** How many writes are waiting for an fsync (lost if the node crashes now). */
  get unsyncedWrites(): number {
    return this.unsynced.length + this.hardWritesUnsynced;
  }

  /** The live log as the checker reads it (one view per storage, read through). */
  logView(): LogView {
    if (this.liveView.storage !== this.live) this.liveView = new StorageView(this.live);
    return this.liveView;
  }

  /** What a crash now would leave: the durable hard state and log. */
  durableView(): DurableView {
    return this.durableViewOnce;
  }

  /** entryAt as one function made once (the checker takes a reader per commit). */
  readonly entryAtFn = (i: number): Entry | undefined => this.entryAt(i);

  entryAt(i: number): Entry | undefined {
    return this.live.entryAt(i);
  }
}

/** A read-through LogView of one storage: built once, not per Ready (it was a hot allocation). */
class StorageView implements LogView {
  constructor(readonly storage: MemoryStorage) {}
  get lastIndex(): number {
    return this.storage.lastIndex();
  }
  get snapshotIndex(): number {
    return this.storage.snapshot().index;
  }
  get snapshotTerm(): number {
    return this.storage.snapshot().term;
  }
  termAt(i: number): number | undefined {
    const s = this.storage;
    // One bounds check for the usual case, an entry in the log; else the snapshot's index, or absent.
    const e = s.entryAt(i);
    if (e !== undefined) return e.term;
    return i === s.firstIndex() - 1 ? s.term(i) : undefined;
  }
}

/** The durable storage's hard state and log, read through. */
class DurableStorageView implements DurableView {
  readonly log: StorageView;
  constructor(private readonly storage: MemoryStorage) {
    this.log = new StorageView(storage);
  }
  get term(): number {
    return this.storage.hardState.term;
  }
  get vote(): number {
    return this.storage.hardState.vote;
  }
}

/** A fresh MemoryStorage holding exactly what `src` holds. */
function cloneStorage(src: MemoryStorage, peers: number[]): MemoryStorage {
  const dst = new MemoryStorage(peers);
  const snap = src.snapshot();
  if (snap.index > 0) dst.applySnapshot(snap);
  const first = src.firstIndex();
  const last = src.lastIndex();
  if (first <= last) dst.append(src.entries(first, last + 1));
  dst.setHardState(src.hardState);
  return dst;
}
