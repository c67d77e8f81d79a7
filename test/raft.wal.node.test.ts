/**
 * The pure RaftNode over FileStorage is a drop-in for MemoryStorage: one
 * deterministic 3-node scenario (FIFO delivery, seeded RNG) runs twice, once
 * on MemoryStorage and once on FileStorage in temp dirs, and the two runs must
 * send the same messages (byte for byte through the codec) and apply the same
 * entries. The scenario covers election (§5.2), replication and commit
 * (§5.3), a node restarted from its WAL directory (Figure 2 persistent state
 * read back), and a follower cut off while the leader snapshots and compacts,
 * then brought up to date by InstallSnapshot (§7) and restarted from disk.
 * The Ready loop follows node.ts: persist, ONE sync when mustSync, send, apply,
 * advance.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { Rng } from "../impl/core/rng.ts";
import { encodeMessage } from "../impl/raft/codec.ts";
import { RaftNode } from "../impl/raft/node.ts";
import { MemoryStorage } from "../impl/raft/storage.ts";
import type { Message, Snapshot } from "../impl/raft/types.ts";
import { EntryType } from "../impl/raft/types.ts";
import { FileStorage, openFileStorage } from "../impl/raft/wal/index.ts";
import { cleanupDirs, tempDir } from "./raft.wal.helpers.ts";

afterAll(cleanupDirs);

const IDS = [1, 2, 3];
const SEED = 5;
const MAX_DELIVERIES = 100_000;

type AnyStorage = MemoryStorage | FileStorage;

/** Opens (or reopens after a crash) node `id`'s storage. */
interface StorageKind {
  open(id: number): AnyStorage;
  /** What a restart sees: the same durable state (reopened from disk for files). */
  reopen(id: number, old: AnyStorage): AnyStorage;
}

class Cluster {
  readonly storages = new Map<number, AnyStorage>();
  readonly nodes = new Map<number, RaftNode>();
  /** Applied normal-entry values per node (the state machine). */
  readonly applied = new Map<number, number[]>();
  readonly wire: string[] = [];
  private queue: Message[] = [];
  private readonly down = new Set<number>();
  private restarts = 0;

  constructor(private readonly kind: StorageKind) {
    for (const id of IDS) {
      this.storages.set(id, kind.open(id));
      this.applied.set(id, []);
      this.nodes.set(id, this.newNode(id));
    }
  }

  private newNode(id: number): RaftNode {
    const storage = this.storages.get(id)!;
    return new RaftNode({
      id,
      peers: IDS,
      electionTicks: 10,
      heartbeatTicks: 1,
      rng: new Rng(SEED * 1000 + id + 100 * this.restarts),
      storage,
      applied: storage.snapshot().index,
    });
  }

  private flush(): void {
    for (const [id, n] of this.nodes) {
      while (n.hasReady()) {
        const rd = n.ready();
        const s = this.storages.get(id)!;
        if (rd.snapshot) s.applySnapshot(rd.snapshot);
        s.append(rd.entries);
        if (rd.hardState) s.setHardState(rd.hardState);
        if (rd.mustSync && s instanceof FileStorage) s.sync();
        for (const m of rd.messages) {
          this.wire.push(Buffer.from(encodeMessage(m)).toString("hex"));
          this.queue.push(m);
        }
        if (rd.snapshot) this.applied.set(id, [...rd.snapshot.data]);
        for (const e of rd.committedEntries)
          if (e.type === EntryType.Normal) this.applied.get(id)!.push(e.data[0]!);
        n.advance();
      }
    }
  }

  settle(): void {
    for (let i = 0; i < MAX_DELIVERIES; i++) {
      this.flush();
      const m = this.queue.shift();
      if (!m) return;
      if (!this.down.has(m.to) && !this.down.has(m.from)) this.nodes.get(m.to)!.step(m);
    }
    throw new Error("did not settle");
  }

  tick(times: number): void {
    for (let t = 0; t < times; t++) {
      for (const id of IDS) if (!this.down.has(id)) this.nodes.get(id)!.tick();
      this.settle();
    }
  }

  propose(leader: number, values: number[]): void {
    for (const v of values) expect(this.nodes.get(leader)!.propose(new Uint8Array([v]))).toBe(true);
    this.settle();
  }

  /** Crash + restart: a fresh node over what the storage kind kept durably; state machine from the snapshot. */
  restart(id: number): void {
    this.restarts++;
    this.storages.set(id, this.kind.reopen(id, this.storages.get(id)!));
    this.applied.set(id, [...this.storages.get(id)!.snapshot().data]);
    this.nodes.set(id, this.newNode(id));
  }

  cut(id: number): void {
    this.down.add(id);
  }

  heal(id: number): void {
    this.down.delete(id);
  }

  /** The application snapshots its applied values at the commit index and compacts. */
  snapshotAndCompact(id: number): Snapshot {
    const s = this.storages.get(id)!;
    const commit = this.nodes.get(id)!.status().applied;
    const snap = s.createSnapshot(commit, Uint8Array.from(this.applied.get(id)!));
    if (s instanceof FileStorage) s.sync();
    s.compact(commit);
    return snap;
  }
}

function scenario(kind: StorageKind): Cluster {
  const c = new Cluster(kind);
  c.nodes.get(1)!.campaign();
  c.settle();
  expect(c.nodes.get(1)!.role).toBe("leader");
  c.propose(1, [1, 2, 3, 4, 5]);
  c.tick(3);
  c.restart(3);
  c.tick(3);
  c.propose(1, [6, 7, 8]);
  c.cut(2);
  c.propose(1, [9, 10, 11, 12]);
  c.tick(2);
  expect(c.snapshotAndCompact(1).index).toBeGreaterThan(0);
  c.heal(2);
  c.tick(5);
  c.restart(2);
  c.tick(5);
  c.propose(1, [13]);
  c.tick(2);
  return c;
}

describe("RaftNode over FileStorage: a drop-in for MemoryStorage", () => {
  test("same messages and applied entries as MemoryStorage, across restarts and a snapshot install", () => {
    const mem = scenario({ open: () => new MemoryStorage(IDS), reopen: (_id, old) => old });
    const dirs = new Map(IDS.map((id) => [id, tempDir(`node${id}`)]));
    const files: FileStorage[] = [];
    const open = (id: number): FileStorage => {
      const s = openFileStorage(dirs.get(id)!, { peers: IDS }).storage;
      files.push(s);
      return s;
    };
    const file = scenario({
      open,
      reopen: (id, old) => {
        (old as FileStorage).close();
        return open(id);
      },
    });
    const expected = Array.from({ length: 13 }, (_, i) => i + 1);
    for (const id of IDS) {
      expect({ id, applied: mem.applied.get(id) }).toEqual({ id, applied: expected });
      expect({ id, applied: file.applied.get(id) }).toEqual({ id, applied: expected });
    }
    expect(file.wire.length).toBe(mem.wire.length);
    expect(file.wire).toEqual(mem.wire);
    // Node 2 caught up through InstallSnapshot and kept it across its restart from disk.
    const two = file.storages.get(2)!;
    expect(two.snapshot().index).toBeGreaterThan(0);
    expect(two.snapshot()).toEqual(mem.storages.get(2)!.snapshot());
    for (const id of IDS) {
      const f = file.storages.get(id)!;
      const m = mem.storages.get(id)!;
      expect([f.firstIndex(), f.lastIndex(), f.initialState()]).toEqual([
        m.firstIndex(),
        m.lastIndex(),
        m.initialState(),
      ]);
    }
    const syncs = files.reduce((a, s) => a + s.stats.syncs, 0);
    expect(syncs).toBeGreaterThan(0);
    for (const s of files) s.close();
  });
});
