/**
 * SimCluster: a whole Raft cluster in virtual time, reproducible from one
 * seed. Tests, the fuzzer and the election experiment drive it; see the
 * README of issue 4 for the public API (kept stable; options may be added).
 *
 * Each node ticks every tickMs (with its own random phase, as real servers'
 * clocks are not aligned), receives messages through the seeded SimNetwork,
 * and after each event its Readies are handled in the etcd order: persist
 * (host.ts models which writes are synced), send, apply, advance. The
 * SafetyChecker sees every Ready and the roles after every event.
 */
import { assert } from "../../core/assert.ts";
import { Rng } from "../../core/rng.ts";
import { decodeMessage, encodedSizeBytes, encodeMessage } from "../codec.ts";
import type { Message } from "../types.ts";
import { EntryType, MessageType } from "../types.ts";
import { SafetyChecker } from "./checker.ts";
import { EventQueue } from "./events.ts";
import { SimHost } from "./host.ts";
import { type NetworkOptions, SimNetwork } from "./network.ts";
import type { AppliedCommand, StateMachine } from "./state-machine.ts";
import { Trace } from "./trace.ts";

export interface SimClusterOptions {
  nodes: number;
  seed: number;
  /** Election timeout range [min, max] in ms, turned into ticks of tickMs. */
  electionTimeoutMs: [number, number];
  heartbeatMs: number;
  /** Virtual ms per tick; fractional allowed (0.1 for sub-ms timer resolution). Default 1. */
  tickMs?: number;
  network?: Partial<NetworkOptions>;
  preVote?: boolean;
  checkQuorum?: boolean;
  maxSizePerMsgBytes?: number;
  maxEntriesPerMsg?: number;
  maxInflightMsgs?: number;
  /** Run the safety checker (default true). */
  check?: boolean;
  /** A user state machine per node (e.g. the KV store), fed Normal entries. */
  stateMachine?: (id: number) => StateMachine;
  /** Called after a node applies a Normal entry (clients use it for replies). */
  onApply?: (id: number, cmd: AppliedCommand) => void;
  /** Send every message through the binary codec (encode at send, decode at delivery). Default false: same objects, faster. */
  wireCodec?: boolean;
  /** Random per-node tick phase in [0, tickMs) (default true). */
  tickPhase?: boolean;
}

type SimEvent =
  | { k: "msg"; m: Message; wire: Uint8Array | null }
  | { k: "call"; fn: () => void }
  | { k: "snapReport"; from: number; to: number; ok: boolean; inc: number };

/** Named limit: Readies handled per node per event before we call it a livelock. */
const MAX_READY_ROUNDS = 10_000;

export class SimCluster {
  readonly seed: number;
  readonly size: number;
  readonly tickMs: number;
  readonly checker: SafetyChecker | null;
  readonly trace = new Trace();
  private readonly rng: Rng;
  private readonly net: SimNetwork;
  private readonly hosts: SimHost[] = [];
  private readonly queue = new EventQueue<SimEvent>();
  private readonly phaseMs: number[] = [];
  /**
   * Ticks live outside the event heap (they are most of the events): node i
   * next ticks at phaseMs[i] + tickN[i] * tickMs, Infinity while it is down.
   * A tick due at the same time as a queued event runs first.
   */
  private readonly tickN: number[] = [];
  private readonly nextTickMs: number[] = [];
  private nowMs = 0;
  private snapshotEveryEntries = 0;
  private messagesSent = 0;
  private readonly sentByType: number[] = [];
  private bytesSent = 0;
  private eventsRun = 0;
  private messageFilter: ((m: Message) => boolean) | null = null;
  private readonly applyListeners: Array<(id: number, cmd: AppliedCommand) => void> = [];

  constructor(private readonly opts: SimClusterOptions) {
    assert(
      Number.isInteger(opts.nodes) && opts.nodes >= 1 && opts.nodes <= 64,
      () => `nodes must be an integer in [1, 64], got ${opts.nodes}`,
    );
    this.seed = opts.seed >>> 0;
    this.size = opts.nodes;
    this.tickMs = opts.tickMs ?? 1;
    assert(this.tickMs > 0, () => `tickMs must be > 0, got ${this.tickMs}`);
    const [lo, hi] = opts.electionTimeoutMs;
    assert(
      lo > 0 && hi >= lo,
      () => `electionTimeoutMs must be [min, max] with 0 < min <= max, got [${lo}, ${hi}]`,
    );
    const electionTicks = Math.max(1, Math.round(lo / this.tickMs));
    const electionTicksMax = Math.max(electionTicks, Math.round(hi / this.tickMs));
    const heartbeatTicks = Math.max(1, Math.round(opts.heartbeatMs / this.tickMs));
    this.rng = new Rng(this.seed);
    this.net = new SimNetwork(opts.network ?? {}, this.rng.fork(1000));
    this.checker = opts.check === false ? null : new SafetyChecker(this.seed);
    if (opts.onApply) this.applyListeners.push(opts.onApply);
    const peers = Array.from({ length: this.size }, (_, i) => i);
    for (let id = 0; id < this.size; id++) {
      const params = {
        peers,
        electionTicks,
        electionTicksMax,
        heartbeatTicks,
        preVote: opts.preVote ?? false,
        checkQuorum: opts.checkQuorum ?? false,
        maxSizePerMsgBytes: opts.maxSizePerMsgBytes,
        maxEntriesPerMsg: opts.maxEntriesPerMsg,
        maxInflightMsgs: opts.maxInflightMsgs,
      };
      const make = opts.stateMachine;
      this.hosts.push(new SimHost(id, params, this.rng.fork(id), make ? () => make(id) : null));
      this.phaseMs.push(opts.tickPhase === false ? 0 : this.rng.next() * this.tickMs);
      this.tickN.push(0);
      this.nextTickMs.push(0);
      this.scheduleTick(id, 1);
    }
  }

  // ---- time ---------------------------------------------------------------

  get virtualMs(): number {
    return this.nowMs;
  }

  /** Runs every event due within the next `ms` of virtual time. */
  runFor(ms: number): void {
    const end = this.nowMs + ms;
    while (this.nextEventMs() <= end) this.step();
    this.nowMs = end;
  }

  /** Runs until `done()` holds (checked after each event) or `maxMs` pass; returns whether it held. */
  runUntil(done: () => boolean, maxMs: number): boolean {
    const end = this.nowMs + maxMs;
    if (done()) return true;
    while (this.nextEventMs() <= end) {
      this.step();
      if (done()) return true;
    }
    this.nowMs = end;
    return done();
  }

  /** Registers a callback run after any node applies a Normal entry (clients use it for replies). */
  onApply(fn: (id: number, cmd: AppliedCommand) => void): void {
    this.applyListeners.push(fn);
  }

  /** Schedules `fn` at virtual time now + delayMs (clients and fault schedules use it). */
  at(delayMs: number, fn: () => void): void {
    this.queue.push(this.nowMs + Math.max(0, delayMs), { k: "call", fn });
  }

  /** Virtual time of the next tick or queued event (Infinity if none). */
  private nextEventMs(): number {
    let t = this.queue.peek()?.timeMs ?? Number.POSITIVE_INFINITY;
    for (const tick of this.nextTickMs) if (tick < t) t = tick;
    return t;
  }

  private step(): void {
    let tickId = -1;
    let tickMs = Number.POSITIVE_INFINITY;
    for (let id = 0; id < this.size; id++) {
      if (this.nextTickMs[id]! < tickMs) {
        tickMs = this.nextTickMs[id]!;
        tickId = id;
      }
    }
    const head = this.queue.peek();
    this.eventsRun++;
    if (tickId >= 0 && (head === undefined || tickMs <= head.timeMs)) {
      this.nowMs = tickMs;
      if (this.checker) this.checker.nowMs = tickMs;
      this.onTick(tickId);
      return;
    }
    const e = this.queue.pop()!;
    this.nowMs = e.timeMs;
    if (this.checker) this.checker.nowMs = this.nowMs;
    const ev = e.payload;
    switch (ev.k) {
      case "msg":
        this.onDeliver(ev.wire ? decodeMessage(ev.wire) : ev.m);
        break;
      case "call":
        ev.fn();
        break;
      case "snapReport": {
        const h = this.hosts[ev.from]!;
        if (h.up && h.incarnation === ev.inc) {
          h.node.reportSnapshot(ev.to, ev.ok);
          this.drain(ev.from);
        }
        break;
      }
    }
  }

  private scheduleTick(id: number, n: number): void {
    this.tickN[id] = n;
    this.nextTickMs[id] = this.phaseMs[id]! + n * this.tickMs;
  }

  private onTick(id: number): void {
    const h = this.hosts[id]!;
    this.scheduleTick(id, this.tickN[id]! + 1);
    h.node.tick();
    this.drain(id);
  }

  private onDeliver(m: Message): void {
    const h = this.hosts[m.to]!;
    if (!h.up || !this.net.linked(m.from, m.to)) return;
    this.trace.recordDelivery(this.nowMs, m);
    h.node.step(m);
    this.drain(m.to);
  }

  // ---- Ready handling -----------------------------------------------------

  /** Handles every Ready of node `id` in the etcd order, then checks safety. */
  private drain(id: number): void {
    const h = this.hosts[id]!;
    for (let round = 0; h.node.hasReady(); round++) {
      assert(
        round < MAX_READY_ROUNDS,
        () => `node ${id} produced ${MAX_READY_ROUNDS} Readies in one event (seed ${this.seed})`,
      );
      const rd = h.node.ready();
      h.persist(rd);
      const ck = this.checker;
      if (ck) {
        if (rd.entries.length > 0) ck.observeAppend(id, rd.entries, h.logView());
        if (rd.hardState)
          ck.observeCommit(id, rd.hardState.commit, h.logView(), (i) => h.entryAt(i));
        if (rd.softState?.role === "leader") ck.observeNewLeader(id, h.node.term, h.logView());
      }
      for (const m of rd.messages) this.send(m);
      if (rd.snapshot) {
        h.state.restore(rd.snapshot.data);
        ck?.observeRestore(id, rd.snapshot.index);
      }
      for (const e of rd.committedEntries) {
        ck?.observeApply(id, e);
        h.state.apply(e);
        if (e.type === EntryType.Normal && this.applyListeners.length > 0) {
          const cmd = { index: e.index, term: e.term, data: e.data };
          for (const fn of this.applyListeners) fn(id, cmd);
        }
      }
      h.node.advance();
      this.maybeSnapshot(h);
    }
    if (this.checker && h.node.role === "leader") this.checker.observeLeader(id, h.node.term);
  }

  private maybeSnapshot(h: SimHost): void {
    const every = this.snapshotEveryEntries;
    if (every <= 0) return;
    const applied = h.state.appliedIndex;
    if (applied - h.live.snapshot().index >= every) h.takeSnapshot(applied);
  }

  private send(m: Message): void {
    assert(m.to !== m.from, () => `node ${m.from} sent a message to itself`);
    assert(m.to >= 0 && m.to < this.size, () => `message to unknown node ${m.to}`);
    const wire = this.opts.wireCodec ? encodeMessage(m) : null;
    const bytes = wire ? wire.byteLength : encodedSizeBytes(m);
    this.messagesSent++;
    this.bytesSent += bytes;
    this.sentByType[m.type] = (this.sentByType[m.type] ?? 0) + 1;
    const delays = this.messageFilter?.(m) ? [] : this.net.plan(m.from, m.to);
    for (const d of delays) this.queue.push(this.nowMs + d, { k: "msg", m, wire });
    if (m.type === MessageType.Snap) {
      // The sender's transport learns whether the snapshot stream completed.
      const ok = delays.length > 0;
      const when = ok ? Math.min(...delays) : (this.net.options.delayMs[1] ?? 0);
      this.queue.push(this.nowMs + when, {
        k: "snapReport",
        from: m.from,
        to: m.to,
        ok,
        inc: this.hosts[m.from]!.incarnation,
      });
    }
  }

  // ---- observation --------------------------------------------------------

  /** The leader of the highest term among running nodes, or null. */
  leader(): number | null {
    let best: number | null = null;
    let bestTerm = -1;
    for (const h of this.hosts) {
      if (h.up && h.node.role === "leader" && h.node.term > bestTerm) {
        best = h.id;
        bestTerm = h.node.term;
      }
    }
    return best;
  }

  /** Every running node that believes it leads, with its term. */
  leaders(): Array<{ id: number; term: number }> {
    return this.hosts
      .filter((h) => h.up && h.node.role === "leader")
      .map((h) => ({ id: h.id, term: h.node.term }));
  }

  term(id: number): number {
    return this.host(id).node.term;
  }

  isUp(id: number): boolean {
    return this.host(id).up;
  }

  role(id: number): string {
    return this.host(id).node.role;
  }

  commitIndex(id: number): number {
    return this.host(id).node.commitIndex;
  }

  lastIndex(id: number): number {
    return this.host(id).node.lastIndex;
  }

  /** The Normal entries node `id` applied, in index order (its state machine's history). */
  applied(id: number): AppliedCommand[] {
    return this.host(id).state.commands;
  }

  /** The node's user state machine (as given by options.stateMachine). */
  stateMachine(id: number): StateMachine | null {
    return this.host(id).state.user;
  }

  /** Index of the node's latest snapshot (0 if none). */
  snapshotIndex(id: number): number {
    return this.host(id).live.snapshot().index;
  }

  stats(): { messagesSent: number; bytesSent: number; virtualMs: number; events: number } {
    return {
      messagesSent: this.messagesSent,
      bytesSent: this.bytesSent,
      virtualMs: this.nowMs,
      events: this.eventsRun,
    };
  }

  /** Messages sent so far of one MessageType (e.g. MessageType.Snap for InstallSnapshot). */
  messagesSentOfType(type: number): number {
    return this.sentByType[type] ?? 0;
  }

  private host(id: number): SimHost {
    const h = this.hosts[id];
    assert(h !== undefined, () => `no node ${id} (cluster of ${this.size})`);
    return h;
  }

  // ---- control ------------------------------------------------------------

  /** Appends `data` at node `id` if it leads; returns where it went, or null. */
  propose(id: number, data: Uint8Array): { index: number; term: number } | null {
    const h = this.host(id);
    if (!h.up || h.node.role !== "leader") return null;
    const at = h.node.nextProposalIndex();
    if (!h.node.propose(data)) return null;
    this.drain(id);
    return at;
  }

  /** Makes node `id` start an election now, as if its election timer fired. */
  campaign(id: number): void {
    const h = this.host(id);
    if (!h.up) return;
    h.node.campaign();
    this.drain(id);
  }

  /** Makes leader `id` broadcast heartbeats now (a local Beat message). */
  broadcastHeartbeat(id: number): void {
    const h = this.host(id);
    if (!h.up) return;
    h.node.step({ type: MessageType.Beat, from: id, to: id, term: 0 });
    this.drain(id);
  }

  /**
   * Drops, at send time, every message for which `drop` returns true (null
   * clears it). Experiments use it to shape logs, e.g. keep two followers
   * behind; it draws nothing from the RNG, so it does not shift other events.
   */
  setMessageFilter(drop: ((m: Message) => boolean) | null): void {
    this.messageFilter = drop;
  }

  transferLeadership(from: number, to: number): void {
    const h = this.host(from);
    if (!h.up) return;
    h.node.transferLeadership(to);
    this.drain(from);
  }

  disconnect(id: number): void {
    this.host(id);
    this.net.disconnect(id);
  }

  connect(id: number): void {
    this.host(id);
    this.net.connect(id);
  }

  partition(groups: number[][]): void {
    for (const g of groups) for (const id of g) this.host(id);
    this.net.partition(groups);
  }

  heal(): void {
    this.net.heal();
  }

  setNetwork(partial: Partial<NetworkOptions>): void {
    this.net.set(partial);
  }

  isConnected(id: number): boolean {
    return this.net.isConnected(id);
  }

  /** Stops node `id`: it loses everything not fsynced; its timers and inbound messages vanish. */
  crash(id: number): void {
    const h = this.host(id);
    if (!h.up) return;
    h.crash();
    this.nextTickMs[id] = Number.POSITIVE_INFINITY;
  }

  /** Restarts node `id` from its durable storage only. */
  restart(id: number): void {
    const h = this.host(id);
    if (h.up) return;
    h.restart();
    this.checker?.observeRestore(id, h.state.appliedIndex);
    this.scheduleTick(id, Math.ceil((this.nowMs - this.phaseMs[id]!) / this.tickMs) + 1);
    this.drain(id);
  }

  /** From now on every node snapshots its applied state every `entries` applied entries and compacts its log. */
  snapshotEvery(entries: number): void {
    assert(
      Number.isInteger(entries) && entries >= 0,
      () => `snapshotEvery needs an integer >= 0, got ${entries}`,
    );
    this.snapshotEveryEntries = entries;
  }

  /** Writes waiting for an fsync at node `id` (a crash now loses them). */
  unsyncedWrites(id: number): number {
    return this.host(id).unsyncedWrites;
  }

  /** Durable hard state of node `id` (what a restart will see). */
  durableHardState(id: number) {
    return this.host(id).durable.hardState;
  }
}
