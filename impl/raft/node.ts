/**
 * RaftNode: a pure Raft state machine in the shape of etcd-io/raft. It never
 * does I/O: time arrives as tick(), messages as step(), client commands as
 * propose(); everything the node wants done comes out of ready().
 *
 * Usage loop (one owner; not thread-safe):
 * ```ts
 * const node = new RaftNode({ id, peers, electionTicks: 10, heartbeatTicks: 1, rng, storage });
 * // every tick of your clock: node.tick();  on each message received: node.step(m);
 * while (node.hasReady()) {
 *   const rd = node.ready();
 *   if (rd.snapshot) storage.applySnapshot(rd.snapshot);   // 1. persist (fsync if rd.mustSync)
 *   storage.append(rd.entries);
 *   if (rd.hardState) storage.setHardState(rd.hardState);
 *   for (const m of rd.messages) send(m);                   // 2. THEN send
 *   if (rd.snapshot) stateMachine.restore(rd.snapshot.data);
 *   for (const e of rd.committedEntries) apply(e);          // 3. apply (skip EntryType.Noop)
 *   node.advance();                                         // 4. acknowledge
 * }
 * ```
 * Between ready() and advance() do not call tick/step/propose.
 *
 * Section numbers refer to Ongaro and Ousterhout 2014 (extended version).
 */
import { assert } from "../core/assert.ts";

export { validateConfig } from "./config.ts";

import { LeaderState } from "./leader.ts";
import { NO_ENTRIES } from "./log.ts";
import type { HardState, Message, RaftConfig, Ready, Role, SoftState } from "./types.ts";
import { MessageType as MT, NO_MESSAGES, NONE, newMessage } from "./types.ts";

export interface NodeStatus {
  id: number;
  term: number;
  vote: number;
  role: Role;
  leader: number | null;
  commit: number;
  applied: number;
  lastIndex: number;
  firstIndex: number;
  electionElapsedTicks: number;
  electionTimeoutTicks: number;
  transferee: number | null;
  /** Leader only: replication progress per peer. */
  progress: Record<number, { match: number; next: number; state: string; inflight: number }>;
}

export class RaftNode extends LeaderState {
  private prevSoft: SoftState;
  private prevHard: HardState;
  /** Whether a ready() awaits its advance(). */
  private pending = false;
  /** What the last ready() handed out, acknowledged by advance() (one record, reused: a Ready per event). */
  private readonly handedOut: {
    lastEntryIndex: number;
    lastEntryTerm: number;
    snapshotIndex: number;
    appliedTo: number;
    hard: HardState | null;
    soft: SoftState | null;
  } = {
    lastEntryIndex: 0,
    lastEntryTerm: 0,
    snapshotIndex: 0,
    appliedTo: 0,
    hard: null,
    soft: null,
  };

  constructor(cfg: RaftConfig) {
    super(cfg);
    this.prevSoft = this.softState();
    this.prevHard = this.hardState();
  }

  get term(): number {
    return this.currentTerm;
  }
  get role(): Role {
    return this.currentRole;
  }
  get leader(): number | null {
    return this.lead === NONE ? null : this.lead;
  }
  get commitIndex(): number {
    return this.log.committed;
  }
  get lastIndex(): number {
    return this.log.lastIndex();
  }
  get vote(): number {
    return this.votedFor;
  }

  /** A plain snapshot of the node's state for logs and failure messages. */
  status(): NodeStatus {
    const progress: NodeStatus["progress"] = {};
    const { ids, list } = this.prs;
    for (let k = 0; k < ids.length; k++) {
      const pr = list[k]!;
      progress[ids[k]!] = {
        match: pr.match,
        next: pr.next,
        state: pr.state,
        inflight: pr.inflights.count,
      };
    }
    return {
      id: this.id,
      term: this.currentTerm,
      vote: this.votedFor,
      role: this.currentRole,
      leader: this.leader,
      commit: this.log.committed,
      applied: this.log.applied,
      lastIndex: this.log.lastIndex(),
      firstIndex: this.log.firstIndex(),
      electionElapsedTicks: this.electionElapsed,
      electionTimeoutTicks: this.randomizedTimeoutTicks,
      transferee: this.leadTransferee === NONE ? null : this.leadTransferee,
      progress,
    };
  }

  /** Advances logical time by one tick (election timer or heartbeat timer). */
  tick(): void {
    this.assertNotPending();
    if (this.currentRole === "leader") this.tickLeader();
    else this.tickElection();
  }

  /**
   * How many tick() calls from now until one may act (campaign, heartbeat,
   * check-quorum step-down); the ticks before it only advance counters. At
   * least 1; Infinity for a node that can never campaign. A host that sleeps
   * between timer events (the simulator) calls tickIdle for the quiet ticks.
   */
  ticksUntilTimer(): number {
    if (this.currentRole === "leader") {
      const k = Math.min(
        this.electionTicks - this.electionElapsed,
        this.heartbeatTicks - this.heartbeatElapsed,
      );
      return Math.max(1, k);
    }
    if (!this.promotable()) return Number.POSITIVE_INFINITY;
    return Math.max(1, this.randomizedTimeoutTicks - this.electionElapsed);
  }

  /** Advances the timers by `n` quiet ticks: the same as n tick() calls when n < ticksUntilTimer(). */
  tickIdle(n: number): void {
    this.assertNotPending();
    if (n <= 0) return;
    // Checked without assert's message closure: this runs before most events.
    if (n >= this.ticksUntilTimer()) {
      assert(false, `tickIdle(${n}) would pass a timer due in ${this.ticksUntilTimer()} ticks`);
    }
    this.electionElapsed += n;
    if (this.currentRole === "leader") this.heartbeatElapsed += n;
  }

  /** Feeds one message: received from a peer, or a local Hup/Beat. */
  step(m: Message): void {
    this.assertNotPending();
    if (m.to !== this.id) assert(false, `node ${this.id} got a message addressed to ${m.to}`);
    this.stepMessage(m);
  }

  /** Starts an election now (as if the election timer fired). */
  campaign(): void {
    this.step(newMessage(MT.Hup, this.id, this.id, 0));
  }

  /**
   * Appends a client command to the leader's log and replicates it. Returns
   * false (nothing appended) when this node is not the leader, a
   * leadership transfer is in progress (§3.10 of Ongaro's thesis), or
   * maxUncommittedEntries entries already await commitment.
   */
  propose(data: Uint8Array): boolean {
    this.assertNotPending();
    return this.proposeData(data);
  }

  /** Index and term the next successful propose() gets (for callers that track them). */
  nextProposalIndex(): { index: number; term: number } {
    return { index: this.log.lastIndex() + 1, term: this.currentTerm };
  }

  transferLeadership(to: number): void {
    this.assertNotPending();
    this.startTransfer(to);
  }

  /** The transport could not reach `id`: stop pipelining to it (leader only). */
  reportUnreachable(id: number): void {
    this.assertNotPending();
    this.markUnreachable(id);
  }

  /** The snapshot sent to `id` was delivered (ok) or failed. */
  reportSnapshot(id: number, ok: boolean): void {
    this.assertNotPending();
    this.snapshotStatus(id, ok);
  }

  hasReady(): boolean {
    if (this.pending) return false;
    // Compared field by field: the simulator calls this after every event.
    const ps = this.prevSoft;
    if (ps.role !== this.currentRole || ps.leader !== (this.lead === NONE ? null : this.lead)) {
      return true;
    }
    const ph = this.prevHard;
    if (
      ph.term !== this.currentTerm ||
      ph.vote !== this.votedFor ||
      ph.commit !== this.log.committed
    ) {
      return true;
    }
    return (
      this.log.unstableSnapshot !== null ||
      this.log.unstableEntries().length > 0 ||
      this.msgs.length > 0 ||
      this.log.hasNextCommitted()
    );
  }

  ready(): Ready {
    this.assertNotPending();
    // Soft and hard state objects are built only when they changed: most
    // Readies (a reply, an ack) change neither.
    const ps = this.prevSoft;
    const ph = this.prevHard;
    const leader = this.lead === NONE ? null : this.lead;
    const softChanged = ps.role !== this.currentRole || ps.leader !== leader;
    const hardChanged =
      ph.term !== this.currentTerm || ph.vote !== this.votedFor || ph.commit !== this.log.committed;
    const soft = softChanged ? this.softState() : null;
    const hard = hardChanged ? this.hardState() : null;
    const entries = this.log.lendUnstable(); // NO_ENTRIES when there are none
    const snapshot = this.log.unstableSnapshot;
    // Guarded: most Readies commit nothing, and nextCommitted would build an empty array.
    const committedEntries = this.log.hasNextCommitted()
      ? this.log.nextCommitted(this.maxCommittedPerReady)
      : NO_ENTRIES;
    // The outbox itself is handed out; send() starts the next one with its first message.
    const messages = this.msgs; // NO_MESSAGES when there are none
    this.msgs = NO_MESSAGES;
    // Guarded reads: arr[-1] on an empty array is a slow property lookup, not an array read.
    const last = entries.length > 0 ? entries[entries.length - 1] : undefined;
    const lastCommitted =
      committedEntries.length > 0 ? committedEntries[committedEntries.length - 1] : undefined;
    const p = this.handedOut;
    p.lastEntryIndex = last ? last.index : 0;
    p.lastEntryTerm = last ? last.term : 0;
    p.snapshotIndex = snapshot ? snapshot.index : 0;
    p.appliedTo = lastCommitted ? lastCommitted.index : snapshot ? snapshot.index : 0;
    p.hard = hard;
    p.soft = soft;
    this.pending = true;
    const mustSync =
      entries.length > 0 || (hard !== null && (hard.term !== ph.term || hard.vote !== ph.vote));
    return {
      softState: soft,
      hardState: hard,
      entries,
      snapshot,
      messages,
      committedEntries,
      mustSync,
    };
  }

  /** Acknowledges the last Ready: it was persisted, sent and applied. */
  advance(): void {
    assert(this.pending, "advance() without a ready()");
    if (NO_ENTRIES.length !== 0 || NO_MESSAGES.length !== 0) {
      assert(false, "a Ready's shared empty entries or messages array was filled by its caller");
    }
    this.pending = false;
    const p = this.handedOut;
    if (p.soft) this.prevSoft = p.soft;
    if (p.hard) this.prevHard = p.hard;
    if (p.snapshotIndex > 0) this.log.stableSnapTo(p.snapshotIndex);
    if (p.lastEntryIndex > 0) this.log.stableTo(p.lastEntryIndex, p.lastEntryTerm);
    if (p.appliedTo > 0) this.log.appliedTo(p.appliedTo);
  }

  private assertNotPending(): void {
    assert(!this.pending, "call advance() after ready() before driving the node again");
  }
}
