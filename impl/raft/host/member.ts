/**
 * A Raft member process's core: the pure node (impl/raft/node.ts) on a real
 * timer, its storage, the TCP transport and the replicated log machine.
 *
 * Ready is handled strictly in order: save and ONE sync per Ready (group
 * commit: everything that arrived while the previous Ready was being handled
 * lands in the next), then send, then apply (which answers clients), then
 * advance. Nothing is sent or acknowledged before the sync it depends on.
 * While a Ready is in progress every tick, peer message and proposal waits
 * in `pending` (bounded), so the node is never driven between ready() and
 * advance().
 */
import { Rng } from "../../core/rng.ts";
import { RaftNode } from "../node.ts";
import type { Entry, Message, Ready } from "../types.ts";
import { BARRIER_PAYLOAD, encodeBatch } from "./entry-format.ts";
import {
  MAX_APP_BYTES,
  MAX_ENTRIES_PER_APP,
  MAX_PENDING_EVENTS,
  SNAPSHOT_CATCHUP_ENTRIES,
} from "./limits.ts";
import { type AcceptedEntry, type ApplyOutcome, LogMachine } from "./log-machine.ts";
import type { MemberOptions } from "./member-options.ts";
import { MemberMetrics } from "./metrics.ts";
import type { HostStorage } from "./storage-factory.ts";
import { Transport } from "./transport.ts";

/** How an append ended, as the client connection will report it. */
export type AppendResult =
  | { kind: "ok"; index: number }
  | { kind: "not-leader" }
  | { kind: "retry"; reason: string }
  | { kind: "out-of-order"; expectedSeq: number }
  | { kind: "session-expired" };

export type ReadResult =
  | { kind: "ok"; upToIndex: number; entries: AcceptedEntry[] }
  | { kind: "not-leader" }
  | { kind: "retry"; reason: string };

type Waiter<T> = (r: T) => void;

export class Member {
  readonly metrics = new MemberMetrics();
  readonly machine = new LogMachine();
  readonly transport: Transport;
  node: RaftNode;
  readonly clientAddresses = new Map<number, string>();
  private busy = false;
  private scheduled = false;
  private pending: (() => void)[] = [];
  private readonly appendWaiters = new Map<string, Waiter<AppendResult>[]>();
  private readonly barrierWaiters = new Map<number, Waiter<ReadResult>>();
  private ticker: ReturnType<typeof setInterval> | null = null;
  private lastSnapshotIndex: number;
  private stopped = false;

  constructor(
    readonly o: MemberOptions,
    readonly storage: HostStorage,
  ) {
    const snap = storage.snapshot();
    if (snap.index > 0) this.machine.restore(snap.data);
    this.lastSnapshotIndex = snap.index;
    this.node = new RaftNode({
      id: o.id,
      peers: [...o.peers.keys()],
      electionTicks: o.electionTicks,
      heartbeatTicks: o.heartbeatTicks,
      rng: new Rng(o.seed),
      storage,
      preVote: o.preVote,
      checkQuorum: o.checkQuorum,
      maxEntriesPerMsg: MAX_ENTRIES_PER_APP,
      maxSizePerMsgBytes: MAX_APP_BYTES,
      applied: snap.index,
    });
    this.clientAddresses.set(o.id, `${o.host}:${o.clientPort}`);
    this.transport = new Transport({
      selfId: o.id,
      peers: o.peers,
      clientAddress: `${o.host}:${o.clientPort}`,
      listenHost: o.host,
      metrics: this.metrics,
      onMessage: (m) => this.drive(() => this.node.step(m)),
      onPeerClientAddress: (id, a) => this.clientAddresses.set(id, a),
      onUnreachable: (id) => this.drive(() => this.node.reportUnreachable(id)),
      onSnapshotStatus: (id, ok) =>
        this.drive(() => {
          if (ok) this.metrics.snapshotsSent++;
          this.node.reportSnapshot(id, ok);
        }),
      log: o.log,
    });
  }

  start(): void {
    this.transport.start();
    this.ticker = setInterval(() => this.drive(() => this.node.tick()), this.o.tickMs);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.ticker) clearInterval(this.ticker);
    this.transport.stop();
    this.failWaiters("member stopping");
    while (this.busy) await Bun.sleep(1);
    await this.storage.close();
  }

  get leaderAddress(): { id: number; address: string } {
    const id = this.node.leader ?? -1;
    return { id, address: id >= 0 ? (this.clientAddresses.get(id) ?? "") : "" };
  }

  /** Runs `fn` against the node now, or after the Ready in progress; then handles Ready. */
  drive(fn: () => void): void {
    if (this.stopped) return;
    if (this.busy) {
      if (this.pending.length >= MAX_PENDING_EVENTS) {
        this.o.log(
          `dropping an event: ${MAX_PENDING_EVENTS} already wait for the Ready in progress`,
        );
        return;
      }
      this.pending.push(fn);
      return;
    }
    fn();
    this.schedule();
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    // setImmediate: everything the sockets delivered in this turn joins one Ready (group commit).
    setImmediate(() => {
      this.scheduled = false;
      void this.handleReadies();
    });
  }

  /** Proposes a client batch (leader only); `done` is called once with the outcome. */
  append(clientId: number, seq: number, records: Uint8Array[], done: Waiter<AppendResult>): void {
    this.drive(() => {
      if (this.node.role !== "leader") return done({ kind: "not-leader" });
      const known = this.machine.resultOf(clientId, seq);
      if (typeof known === "number") return done({ kind: "ok", index: known });
      if (known === null) return done({ kind: "session-expired" });
      const key = `${clientId}:${seq}`;
      const waiting = this.appendWaiters.get(key);
      if (waiting) {
        waiting.push(done); // a retry of a proposal still in flight on this leader
        return;
      }
      if (!this.node.propose(encodeBatch(clientId, seq, records))) {
        this.metrics.proposalsRefused++;
        return done({
          kind: "retry",
          reason: "the leader refused the proposal (transfer or uncommitted limit)",
        });
      }
      this.metrics.proposals++;
      this.appendWaiters.set(key, [done]);
    });
  }

  /** A linearizable read: a barrier entry is committed first, then the applied log is read. */
  readLinearizable(from: number, maxEntries: number, done: Waiter<ReadResult>): void {
    this.drive(() => {
      if (this.node.role !== "leader") return done({ kind: "not-leader" });
      const { index } = this.node.nextProposalIndex();
      if (!this.node.propose(BARRIER_PAYLOAD)) {
        this.metrics.proposalsRefused++;
        return done({ kind: "retry", reason: "the leader refused the read barrier" });
      }
      this.metrics.proposals++;
      this.barrierWaiters.set(index, (r) =>
        done(r.kind === "ok" ? { ...r, entries: this.machine.read(from, maxEntries) ?? [] } : r),
      );
    });
  }

  private async handleReadies(): Promise<void> {
    if (this.busy || this.stopped) return;
    this.busy = true;
    try {
      while (!this.stopped && this.node.hasReady()) {
        const rd = this.node.ready();
        await this.persist(rd);
        for (const m of rd.messages) this.send(m);
        if (rd.snapshot) {
          this.metrics.snapshotsInstalled++;
          this.machine.restore(rd.snapshot.data);
          this.lastSnapshotIndex = rd.snapshot.index;
        }
        for (const e of rd.committedEntries) this.apply(e);
        if (rd.softState) this.onSoftState(rd.softState.role, rd.softState.leader);
        this.node.advance();
        await this.maybeSnapshot();
        const queued = this.pending;
        this.pending = [];
        for (const fn of queued) fn();
      }
    } catch (err) {
      // A storage failure leaves the node's state unknowable: stop rather than go on unsafely.
      this.o.log(`fatal: ${(err as Error).stack ?? err}`);
      process.exit(70);
    } finally {
      this.busy = false;
    }
  }

  private async persist(rd: Ready): Promise<void> {
    this.storage.save(rd.snapshot, rd.entries, rd.hardState);
    this.metrics.readies++;
    if (!rd.mustSync && !rd.snapshot) return;
    const t0 = performance.now();
    await this.storage.sync();
    this.metrics.fsyncs++;
    this.metrics.fsyncSeconds.observe((performance.now() - t0) / 1000);
  }

  private send(m: Message): void {
    this.transport.send(m);
  }

  private apply(e: Entry): void {
    this.metrics.commits++;
    const out: ApplyOutcome = this.machine.apply(e);
    if (out.kind === "noop") return;
    if (out.kind === "barrier") {
      const w = this.barrierWaiters.get(out.index);
      this.barrierWaiters.delete(out.index);
      w?.({ kind: "ok", upToIndex: out.index, entries: [] });
      return;
    }
    const key = `${out.clientId}:${out.seq}`;
    const waiters = this.appendWaiters.get(key);
    this.appendWaiters.delete(key);
    let r: AppendResult;
    if (out.kind === "accepted") {
      this.metrics.appliedEntries++;
      this.metrics.appliedRecords += out.records;
      r = { kind: "ok", index: out.index };
    } else if (out.kind === "duplicate") {
      this.metrics.duplicateAppends++;
      r = out.index === null ? { kind: "session-expired" } : { kind: "ok", index: out.index };
    } else r = { kind: "out-of-order", expectedSeq: out.expectedSeq };
    if (waiters) for (const w of waiters) w(r);
  }

  private lastRole = "follower";
  private lastLeader: number | null = null;

  private onSoftState(role: string, leader: number | null): void {
    if ((role === "candidate" || role === "pre-candidate") && role !== this.lastRole)
      this.metrics.elections++;
    if (leader !== null && leader !== this.lastLeader) this.metrics.leaderChanges++;
    if (this.lastRole === "leader" && role !== "leader")
      this.failWaiters("leadership lost; outcome unknown, resend with the same seq");
    this.lastRole = role;
    this.lastLeader = leader;
  }

  private failWaiters(reason: string): void {
    for (const ws of this.appendWaiters.values()) for (const w of ws) w({ kind: "retry", reason });
    this.appendWaiters.clear();
    for (const w of this.barrierWaiters.values()) w({ kind: "retry", reason });
    this.barrierWaiters.clear();
  }

  private async maybeSnapshot(): Promise<void> {
    const every = this.o.snapshotEvery;
    const applied = this.machine.appliedIndex;
    if (every <= 0 || applied - this.lastSnapshotIndex < every) return;
    const compactTo = Math.max(0, applied - SNAPSHOT_CATCHUP_ENTRIES);
    await this.storage.snapshotAndCompact(applied, this.machine.snapshot(), compactTo);
    this.machine.compact(compactTo);
    this.lastSnapshotIndex = applied;
  }
}
