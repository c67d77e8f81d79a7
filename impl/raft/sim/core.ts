/**
 * SimCore: the engine under SimCluster (cluster.ts): options, the event loop
 * in virtual time, ticks, message sending and Ready handling.
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
import type { ElectionTimerReset, Entry, Message, Ready } from "../types.ts";
import { EntryType, MESSAGE_TYPE_MAX, MessageType } from "../types.ts";
import { BudgetExceeded, DEFAULT_MAX_EVENTS, DEFAULT_MAX_VIRTUAL_MS } from "./budget.ts";
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
  /** When election timers restart: "etcd" (default) or "paper" (Figure 2); see RaftConfig. */
  electionTimerReset?: ElectionTimerReset;
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
  /**
   * Disk latency, ms: the messages of a Ready that must fsync (new entries,
   * term or vote change) leave this much later, as a server that persists
   * before it replies. Latency only: the write is durable at once (crash
   * semantics unchanged). Default 0.
   */
  syncDelayMs?: number;
  /**
   * Disk latency of a Ready that grants a vote (the voter's fsync of its vote
   * before it replies), ms. Default syncDelayMs.
   */
  voterSyncDelayMs?: number;
  /**
   * Disk latency of a Ready that starts an election (the candidate's fsync
   * of its new term and self-vote before it sends RequestVote), ms. Default syncDelayMs.
   */
  candidateSyncDelayMs?: number;
  /** Budget: events (ticks, deliveries, calls) before the run fails with BudgetExceeded. Default DEFAULT_MAX_EVENTS. */
  maxEvents?: number;
  /** Budget: virtual ms the run may reach before it fails with BudgetExceeded. Default DEFAULT_MAX_VIRTUAL_MS. */
  maxVirtualMs?: number;
  /**
   * Per-node clock rate: node i ticks every tickMs / clockRates[i] virtual
   * ms, so its election and heartbeat timers run fast (> 1) or slow (< 1).
   * Default: all 1.
   */
  clockRates?: number[];
  /**
   * Run every tick as its own event instead of skipping the quiet ones
   * (slower; the same run, which tests check by comparing trace hashes). Default false.
   */
  tickEveryTick?: boolean;
}

/**
 * What a queued event holds, told apart by the queue's kind tag (no wrapper
 * object per event): a message, a message in wire form (wireCodec), a call,
 * or a snapshot transfer's outcome for its sender.
 */
const EV_MSG = 0;
const EV_WIRE = 1;
const EV_CALL = 2;
const EV_SNAP_REPORT = 3;
interface SnapReport {
  from: number;
  to: number;
  ok: boolean;
  inc: number;
}
type SimEvent = Message | Uint8Array | (() => void) | SnapReport;

/** Message types whose higher term the receiver must adopt (all but vote and pre-vote traffic). */
const MUST_ADOPT_TERM: boolean[] = [];
for (const t of [
  MessageType.App,
  MessageType.AppResp,
  MessageType.Heartbeat,
  MessageType.HeartbeatResp,
  MessageType.Snap,
  MessageType.VoteResp,
])
  MUST_ADOPT_TERM[t] = true;

/** Named limit: Readies handled per node per event before we call it a livelock. */
const MAX_READY_ROUNDS = 10_000;

export class SimCore {
  readonly seed: number;
  readonly size: number;
  readonly tickMs: number;
  readonly syncDelayMs: number;
  readonly voterSyncDelayMs: number;
  readonly candidateSyncDelayMs: number;
  readonly maxEvents: number;
  readonly maxVirtualMs: number;
  /** Virtual ms between two ticks of node i (tickMs / its clock rate). */
  protected readonly tickMsOf: number[] = [];
  readonly checker: SafetyChecker | null;
  readonly trace = new Trace();
  protected readonly rng: Rng;
  protected readonly net: SimNetwork;
  protected readonly hosts: SimHost[] = [];
  protected readonly queue = new EventQueue<SimEvent>();
  protected readonly phaseMs: number[] = [];
  /**
   * Ticks live outside the event heap. Node i's n-th tick is due at
   * phaseMs[i] + n * tickMsOf[i]; ticks before tickN[i] have been applied.
   * Most ticks only advance the node's timer counters, so they are not run
   * one by one: nextTickMs[i] is the time of the next tick that may act
   * (RaftNode.ticksUntilTimer), Infinity while the node is down, and the quiet
   * ticks before it are applied in one tickIdle call just before anything
   * else touches the node (catchUp). Same order, same effects, same RNG
   * draws as ticking every tick, which the trace-hash tests check. A tick due
   * at the same time as a queued event runs first.
   */
  protected readonly tickN: number[] = [];
  /** Index of the next tick that may act (its time is nextTickMs). */
  protected readonly timerTickN: number[] = [];
  /** Written only through setNextTickMs, which keeps minTickMs and minTickId current. */
  protected readonly nextTickMs: number[] = [];
  /**
   * The earliest nextTickMs and its node (the lowest id on a tie; -1 when
   * every node's is Infinity), kept as nextTickMs changes: nextEventMs()
   * runs before every event, and a scan of every node there was measurable.
   */
  private minTickMs = Number.POSITIVE_INFINITY;
  private minTickId = -1;
  protected nowMs = 0;
  /** The node whose tick nextEventMs() found due next, or -1 when a queued event is next. */
  protected dueTickId = -1;
  protected snapshotEveryEntries = 0;
  protected messagesSent = 0;
  protected readonly sentByType: number[] = new Array<number>(MESSAGE_TYPE_MAX + 1).fill(0);
  protected bytesSent = 0;
  protected eventsRun = 0;
  /** The node whose Readies are being handled, or -1 (guards re-entry from onApply callbacks). */
  protected drainingId = -1;
  protected messageFilter: ((m: Message) => boolean) | null = null;
  /** opts.wireCodec, read once (send reads it for every message). */
  private readonly wireCodec: boolean;
  /** opts.tickEveryTick, read once (rescheduleTimer runs after every event). */
  private readonly tickEveryTick: boolean;
  /** Whether any disk latency is configured: without one, no Ready's messages need the scan for it. */
  private readonly anyDiskDelay: boolean;
  /** Reused by send(): the delays of one message's copies (at most MAX_COPIES_PER_MESSAGE). */
  private readonly delays: number[] = [];
  protected readonly sendListeners: Array<(m: Message) => void> = [];
  protected readonly readyListeners: Array<(id: number, rd: Ready) => boolean> = [];
  protected readonly applyListeners: Array<(id: number, cmd: AppliedCommand) => void> = [];

  constructor(opts: SimClusterOptions) {
    assert(
      Number.isInteger(opts.nodes) && opts.nodes >= 1 && opts.nodes <= 64,
      () => `nodes must be an integer in [1, 64], got ${opts.nodes}`,
    );
    this.seed = opts.seed >>> 0;
    this.wireCodec = opts.wireCodec === true;
    this.tickEveryTick = opts.tickEveryTick === true;
    this.size = opts.nodes;
    this.tickMs = opts.tickMs ?? 1;
    assert(this.tickMs > 0, () => `tickMs must be > 0, got ${this.tickMs}`);
    this.syncDelayMs = opts.syncDelayMs ?? 0;
    assert(this.syncDelayMs >= 0, () => `syncDelayMs must be >= 0, got ${this.syncDelayMs}`);
    this.voterSyncDelayMs = opts.voterSyncDelayMs ?? this.syncDelayMs;
    this.candidateSyncDelayMs = opts.candidateSyncDelayMs ?? this.syncDelayMs;
    this.anyDiskDelay =
      this.syncDelayMs > 0 || this.voterSyncDelayMs > 0 || this.candidateSyncDelayMs > 0;
    assert(
      this.voterSyncDelayMs >= 0 && this.candidateSyncDelayMs >= 0,
      () =>
        `voterSyncDelayMs and candidateSyncDelayMs must be >= 0, got ${this.voterSyncDelayMs}, ${this.candidateSyncDelayMs}`,
    );
    this.maxEvents = opts.maxEvents ?? DEFAULT_MAX_EVENTS;
    this.maxVirtualMs = opts.maxVirtualMs ?? DEFAULT_MAX_VIRTUAL_MS;
    assert(this.maxEvents > 0, () => `maxEvents must be > 0, got ${this.maxEvents}`);
    assert(this.maxVirtualMs > 0, () => `maxVirtualMs must be > 0, got ${this.maxVirtualMs}`);
    const rates = opts.clockRates ?? [];
    assert(
      rates.length === 0 || rates.length === opts.nodes,
      () => `clockRates needs one rate per node (${opts.nodes}), got ${rates.length}`,
    );
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
        electionTimerReset: opts.electionTimerReset,
        maxSizePerMsgBytes: opts.maxSizePerMsgBytes,
        maxEntriesPerMsg: opts.maxEntriesPerMsg,
        maxInflightMsgs: opts.maxInflightMsgs,
      };
      const make = opts.stateMachine;
      this.hosts.push(new SimHost(id, params, this.rng.fork(id), make ? () => make(id) : null));
      const rate = rates[id] ?? 1;
      assert(rate > 0, () => `clockRates[${id}] must be > 0, got ${rate}`);
      this.tickMsOf.push(this.tickMs / rate);
      this.phaseMs.push(opts.tickPhase === false ? 0 : this.rng.next() * this.tickMs);
      this.tickN.push(1);
      this.timerTickN.push(1);
      this.nextTickMs.push(Number.POSITIVE_INFINITY);
      this.rescheduleTimer(id);
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
    this.setNow(end);
  }

  /** Runs until `done()` holds (checked after each event) or `maxMs` pass; returns whether it held. */
  runUntil(done: () => boolean, maxMs: number): boolean {
    const end = this.nowMs + maxMs;
    if (done()) return true;
    while (this.nextEventMs() <= end) {
      this.step();
      if (done()) return true;
    }
    this.setNow(end);
    return done();
  }

  /** Registers a callback run after any node applies a Normal entry (clients use it for replies). */
  onApply(fn: (id: number, cmd: AppliedCommand) => void): void {
    this.applyListeners.push(fn);
  }

  /** Schedules `fn` at virtual time now + delayMs (clients and fault schedules use it). */
  at(delayMs: number, fn: () => void): void {
    this.queue.push(this.nowMs + Math.max(0, delayMs), fn, EV_CALL);
  }

  /** Virtual time of the next tick or queued event (Infinity if none). */
  protected nextEventMs(): number {
    const tickMs = this.minTickMs;
    const headMs = this.queue.peekTimeMs();
    // A tick due at the same time as a queued event runs first.
    if (this.minTickId >= 0 && tickMs <= headMs) {
      this.dueTickId = this.minTickId;
      return tickMs;
    }
    this.dueTickId = -1;
    return headMs;
  }

  /** Sets node `id`'s next acting tick time, keeping the earliest one (minTickMs, minTickId) current. */
  private setNextTickMs(id: number, ms: number): void {
    const old = this.nextTickMs[id]!;
    this.nextTickMs[id] = ms;
    if (ms < this.minTickMs || (ms === this.minTickMs && id < this.minTickId)) {
      this.minTickMs = ms;
      this.minTickId = id;
    } else if (id === this.minTickId && ms !== old) {
      // The earliest one moved later: another node may be earliest now. (Unchanged, the usual
      // case: the leader's next heartbeat tick stays put while it handles acknowledgements.)
      this.rescanTicks();
    }
  }

  private rescanTicks(): void {
    const ticks = this.nextTickMs;
    let tickId = -1;
    let tickMs = Number.POSITIVE_INFINITY;
    for (let id = 0; id < ticks.length; id++) {
      if (ticks[id]! < tickMs) {
        tickMs = ticks[id]!;
        tickId = id;
      }
    }
    this.minTickMs = tickMs;
    this.minTickId = tickId;
  }

  /** Moves virtual time to `ms`, failing past the virtual-time budget. */
  protected setNow(ms: number): void {
    if (ms > this.maxVirtualMs)
      throw new BudgetExceeded("virtual-ms", this.maxVirtualMs, this.seed, this.nowMs);
    this.nowMs = ms;
    if (this.checker) this.checker.nowMs = ms;
  }

  /** Runs the event nextEventMs() just found (call it right before; nothing may run in between). */
  protected step(): void {
    const tickId = this.dueTickId;
    if (++this.eventsRun > this.maxEvents)
      throw new BudgetExceeded("events", this.maxEvents, this.seed, this.nowMs);
    if (tickId >= 0) {
      this.setNow(this.nextTickMs[tickId]!);
      this.onTick(tickId);
      return;
    }
    const q = this.queue;
    const headMs = q.peekTimeMs();
    const kind = q.peekKind();
    const ev = q.take();
    this.setNow(headMs);
    switch (kind) {
      case EV_MSG:
        this.onDeliver(ev as Message);
        break;
      case EV_WIRE:
        this.onDeliver(decodeMessage(ev as Uint8Array));
        break;
      case EV_CALL:
        (ev as () => void)();
        break;
      case EV_SNAP_REPORT: {
        const r = ev as SnapReport;
        const h = this.hosts[r.from]!;
        if (h.up && h.incarnation === r.inc) {
          this.catchUp(r.from);
          h.node.reportSnapshot(r.to, r.ok);
          this.drain(r.from);
        }
        break;
      }
    }
  }

  protected tickTimeMs(id: number, n: number): number {
    return this.phaseMs[id]! + n * this.tickMsOf[id]!;
  }

  /** Node `id` (re)starts ticking at tick n: its ticks before n never happen. */
  protected startTicksAt(id: number, n: number): void {
    this.tickN[id] = n;
    this.rescheduleTimer(id);
  }

  /** Sets nextTickMs from the node's timers; call after anything touched the node. */
  protected rescheduleTimer(id: number): void {
    const h = this.hosts[id]!;
    if (!h.up) {
      this.setNextTickMs(id, Number.POSITIVE_INFINITY);
      return;
    }
    const k = this.tickEveryTick ? 1 : h.node.ticksUntilTimer();
    if (k === Number.POSITIVE_INFINITY) {
      this.setNextTickMs(id, Number.POSITIVE_INFINITY);
      return;
    }
    const n = this.tickN[id]! + k - 1;
    this.timerTickN[id] = n;
    this.setNextTickMs(id, this.tickTimeMs(id, n));
  }

  /** Applies node `id`'s quiet ticks due at or before now (they run before an event at the same time). */
  protected catchUp(id: number): void {
    const first = this.tickN[id]!;
    if (this.tickTimeMs(id, first) > this.nowMs) return;
    let last = Math.floor((this.nowMs - this.phaseMs[id]!) / this.tickMsOf[id]!);
    while (this.tickTimeMs(id, last + 1) <= this.nowMs) last++;
    while (last >= first && this.tickTimeMs(id, last) > this.nowMs) last--;
    if (last < first) return;
    this.hosts[id]!.node.tickIdle(last - first + 1);
    this.tickN[id] = last + 1;
  }

  protected onTick(id: number): void {
    const h = this.hosts[id]!;
    const n = this.timerTickN[id]!;
    h.node.tickIdle(n - this.tickN[id]!);
    this.tickN[id] = n + 1;
    h.node.tick();
    this.drain(id);
  }

  protected onDeliver(m: Message): void {
    const h = this.hosts[m.to]!;
    if (!h.up || !this.net.linked(m.from, m.to)) return;
    this.trace.recordDelivery(this.nowMs, m);
    this.catchUp(m.to);
    h.node.step(m);
    // The term rule can only fail when the message's term is above the node's: check only then.
    const termAfter = h.node.term;
    if (m.term > termAfter && this.checker)
      this.checker.observeTermRule(
        m.to,
        m.type,
        m.term,
        termAfter,
        MUST_ADOPT_TERM[m.type] === true,
      );
    this.drain(m.to);
  }

  // ---- Ready handling -----------------------------------------------------

  /** Handles every Ready of node `id` in the etcd order, then checks safety. */
  protected drain(id: number): void {
    const h = this.hosts[id]!;
    const ck = this.checker;
    this.drainingId = id;
    let crashed = false;
    try {
      for (let round = 0; h.node.hasReady(); round++) {
        if (round >= MAX_READY_ROUNDS)
          assert(
            false,
            `node ${id} produced ${MAX_READY_ROUNDS} Readies in one event (seed ${this.seed})`,
          );
        const rd = h.node.ready();
        h.persist(rd);
        const msgs = rd.messages;
        if (ck) this.checkReady(ck, id, h, rd);
        if (this.readyListeners.length > 0 && this.crashPointHit(id, rd)) {
          crashed = true; // died after persisting, before sending: the messages never leave
          break;
        }
        if (msgs.length > 0) {
          // Every Ready with new entries must sync: the scan for its latency is skipped when all are 0.
          const diskMs =
            this.anyDiskDelay && (rd.mustSync || rd.snapshot) ? this.diskDelayMs(rd) : 0;
          for (let i = 0; i < msgs.length; i++) this.send(msgs[i]!, diskMs);
        }
        if (rd.snapshot) {
          h.state.restore(rd.snapshot.data);
          ck?.observeRestore(id, rd.snapshot.index);
        }
        const committed = rd.committedEntries;
        if (committed.length > 0) this.applyCommitted(ck, id, h, committed);
        h.node.advance();
        if (this.snapshotEveryEntries > 0) this.maybeSnapshot(h);
      }
    } finally {
      this.drainingId = -1;
    }
    if (crashed) this.crashHost(id);
    else this.rescheduleTimer(id);
    if (!crashed && ck && h.node.role === "leader") ck.observeLeader(id, h.node.term);
  }

  /** The safety checker's look at one persisted Ready, before its messages leave. */
  private checkReady(ck: SafetyChecker, id: number, h: SimHost, rd: Ready): void {
    const log = h.logView();
    if (rd.entries.length > 0) ck.observeAppend(id, rd.entries, log);
    if (rd.hardState) ck.observeCommit(id, rd.hardState.commit, log, h.entryAtFn);
    if (rd.softState?.role === "leader") ck.observeNewLeader(id, h.node.term, log);
    const msgs = rd.messages;
    for (let i = 0; i < msgs.length; i++) {
      const m = msgs[i]!;
      if (m.type === MessageType.VoteResp || m.type === MessageType.AppResp)
        ck.observeReply(id, m, h.durableView());
    }
  }

  /** Applies a Ready's committed entries in order; each Normal one goes to the onApply listeners. */
  private applyCommitted(
    ck: SafetyChecker | null,
    id: number,
    h: SimHost,
    committed: readonly Entry[],
  ): void {
    const listeners = this.applyListeners;
    for (let i = 0; i < committed.length; i++) {
      const e = committed[i]!;
      ck?.observeApply(id, e);
      h.state.apply(e);
      // The entry is the command (index, term, data): entries are never written after they are appended.
      if (e.type === EntryType.Normal)
        for (let j = 0; j < listeners.length; j++) listeners[j]!(id, e);
    }
  }

  /** How long a Ready's fsync holds its messages: a vote grant and a campaign may have their own latency. */
  private diskDelayMs(rd: Ready): number {
    const msgs = rd.messages;
    for (let i = 0; i < msgs.length; i++) {
      const m = msgs[i]!;
      if (m.type === MessageType.VoteResp && !m.reject) return this.voterSyncDelayMs;
      if (m.type === MessageType.Vote) return this.candidateSyncDelayMs;
    }
    return this.syncDelayMs;
  }

  /** Asks every onReady listener (all of them, so each sees every Ready) whether the node dies here. */
  private crashPointHit(id: number, rd: Ready): boolean {
    let hit = false;
    for (const fn of this.readyListeners) if (fn(id, rd)) hit = true;
    return hit;
  }

  /** Stops node `id`: it loses everything not fsynced; its timers and inbound messages vanish. */
  protected crashHost(id: number): void {
    const h = this.hosts[id]!;
    if (!h.up) return;
    h.crash();
    this.setNextTickMs(id, Number.POSITIVE_INFINITY);
  }

  protected maybeSnapshot(h: SimHost): void {
    const every = this.snapshotEveryEntries;
    if (every <= 0) return;
    const applied = h.state.appliedIndex;
    if (applied - h.live.snapshot().index >= every) h.takeSnapshot(applied);
  }

  /** Sends `m` through the network, leaving after `diskMs` (a pending fsync). */
  protected send(m: Message, diskMs = 0): void {
    // Checked inline: assert's message closure would be allocated on every send.
    if (m.to === m.from) assert(false, `node ${m.from} sent a message to itself`);
    if (!(m.to >= 0 && m.to < this.size)) assert(false, `message to unknown node ${m.to}`);
    const wire = this.wireCodec ? encodeMessage(m) : null;
    const bytes = wire ? wire.byteLength : encodedSizeBytes(m);
    this.messagesSent++;
    this.bytesSent += bytes;
    this.sentByType[m.type]!++;
    for (let i = 0; i < this.sendListeners.length; i++) this.sendListeners[i]!(m);
    const delays = this.delays;
    const copies = this.messageFilter?.(m) ? 0 : this.net.planInto(m.from, m.to, delays);
    const at = this.nowMs + diskMs;
    for (let c = 0; c < copies; c++) {
      if (wire) this.queue.push(at + delays[c]!, wire, EV_WIRE);
      else this.queue.push(at + delays[c]!, m, EV_MSG);
    }
    if (m.type === MessageType.Snap) {
      // The sender's transport learns whether the snapshot stream completed.
      const ok = copies > 0;
      const when = ok ? Math.min(...delays.slice(0, copies)) : (this.net.options.delayMs[1] ?? 0);
      const report: SnapReport = {
        from: m.from,
        to: m.to,
        ok,
        inc: this.hosts[m.from]!.incarnation,
      };
      this.queue.push(at + when, report, EV_SNAP_REPORT);
    }
  }
}
