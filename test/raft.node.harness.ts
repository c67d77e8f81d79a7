/**
 * A tiny hand-driven router for RaftNode unit tests (not a simulator): it
 * runs the documented Ready loop for each node (persist to MemoryStorage,
 * then queue messages, apply committed entries, advance) and delivers queued
 * messages in FIFO order, dropping those across cut links. Tests can also
 * pull a node's outgoing messages and deliver them one by one.
 */
import { Rng } from "../impl/core/rng.ts";
import { decodeMessage, encodeMessage } from "../impl/raft/codec.ts";
import { RaftNode } from "../impl/raft/node.ts";
import { MemoryStorage } from "../impl/raft/storage.ts";
import type { Entry, Message, RaftConfig } from "../impl/raft/types.ts";
import { EntryType } from "../impl/raft/types.ts";

export type NodeOptions = Partial<Omit<RaftConfig, "id" | "peers" | "storage" | "rng">>;

const MAX_DELIVERIES = 100_000;

export class Router {
  readonly nodes = new Map<number, RaftNode>();
  readonly storages = new Map<number, MemoryStorage>();
  /** Committed entries each node applied, in order (no-ops included). */
  readonly applied = new Map<number, Entry[]>();
  /** Messages produced by ready() and not yet delivered. */
  queue: Message[] = [];
  /** Every message ever sent (after persistence), for counting. */
  readonly sent: Message[] = [];
  private readonly cut = new Set<string>();
  /** When true every delivered message goes through the binary codec first. */
  wire = false;

  constructor(
    readonly ids: number[],
    readonly opts: NodeOptions = {},
    readonly seed = 1,
    presets: Record<number, MemoryStorage> = {},
  ) {
    for (const id of ids) {
      this.storages.set(id, presets[id] ?? new MemoryStorage(ids));
      this.applied.set(id, []);
      this.nodes.set(id, this.makeNode(id));
    }
  }

  private makeNode(id: number): RaftNode {
    return new RaftNode({
      id,
      peers: this.ids,
      electionTicks: 10,
      heartbeatTicks: 1,
      rng: new Rng(this.seed * 1000 + id),
      storage: this.storages.get(id)!,
      ...this.opts,
    });
  }

  node(id: number): RaftNode {
    return this.nodes.get(id)!;
  }

  /** Replaces node `id` by a fresh one reading the same storage (a crash + restart). */
  restart(id: number, opts: NodeOptions = {}): RaftNode {
    const n = new RaftNode({
      id,
      peers: this.ids,
      electionTicks: 10,
      heartbeatTicks: 1,
      rng: new Rng(this.seed * 1000 + id + 7),
      storage: this.storages.get(id)!,
      ...this.opts,
      ...opts,
    });
    this.nodes.set(id, n);
    this.queue = this.queue.filter((m) => m.to !== id && m.from !== id);
    return n;
  }

  /** Runs the Ready loop of every node once; returns the messages produced. */
  flush(): Message[] {
    const out: Message[] = [];
    for (const [id, n] of this.nodes) {
      while (n.hasReady()) {
        const rd = n.ready();
        const s = this.storages.get(id)!;
        if (rd.snapshot) s.applySnapshot(rd.snapshot);
        s.append(rd.entries);
        if (rd.hardState) s.setHardState(rd.hardState);
        out.push(...rd.messages);
        const applied = this.applied.get(id)!;
        if (rd.snapshot) applied.length = 0; // state machine replaced by the snapshot
        applied.push(...rd.committedEntries);
        n.advance();
      }
    }
    this.sent.push(...out);
    this.queue.push(...out);
    return out;
  }

  /** Takes (and removes) queued messages matching `pred`. */
  take(pred: (m: Message) => boolean = () => true): Message[] {
    this.flush();
    const hit = this.queue.filter(pred);
    this.queue = this.queue.filter((m) => !pred(m));
    return hit;
  }

  deliver(m: Message): void {
    if (this.cut.has(`${m.from}>${m.to}`)) return;
    this.nodes.get(m.to)?.step(this.wire ? decodeMessage(encodeMessage(m)) : m);
  }

  /**
   * Delivers until no node has anything more to say. Messages matching
   * `hold` are set aside instead of delivered and returned.
   */
  settle(hold: (m: Message) => boolean = () => false): Message[] {
    const held: Message[] = [];
    for (let i = 0; i < MAX_DELIVERIES; i++) {
      this.flush();
      const m = this.queue.shift();
      if (!m) return held;
      if (hold(m)) held.push(m);
      else this.deliver(m);
    }
    throw new Error(`router did not settle within ${MAX_DELIVERIES} deliveries`);
  }

  tick(ids: number[] = this.ids, times = 1): void {
    for (let t = 0; t < times; t++) {
      for (const id of ids) this.node(id).tick();
      this.settle();
    }
  }

  isolate(id: number): void {
    for (const o of this.ids) {
      if (o === id) continue;
      this.cut.add(`${id}>${o}`);
      this.cut.add(`${o}>${id}`);
    }
  }

  heal(): void {
    this.cut.clear();
  }

  /** Makes `id` leader by campaigning and settling (pre-vote or not). */
  elect(id: number): RaftNode {
    this.node(id).campaign();
    this.settle();
    return this.node(id);
  }

  leaders(): number[] {
    return this.ids.filter((id) => this.node(id).role === "leader");
  }

  /** Data of applied normal entries as numbers (first byte). */
  appliedData(id: number): number[] {
    return this.applied
      .get(id)!
      .filter((e) => e.type === EntryType.Normal)
      .map((e) => e.data[0]!);
  }
}

/** A MemoryStorage holding a log of the given terms (index i+1 has terms[i]) and hard state. */
export function storageWithLog(
  peers: number[],
  terms: number[],
  term: number,
  commit = 0,
): MemoryStorage {
  const s = new MemoryStorage(peers);
  s.append(
    terms.map((t, i) => ({
      term: t,
      index: i + 1,
      type: EntryType.Normal,
      data: new Uint8Array([i + 1]),
    })),
  );
  s.setHardState({ term, vote: -1, commit });
  return s;
}

export function bytes(n: number): Uint8Array {
  return new Uint8Array([n]);
}
