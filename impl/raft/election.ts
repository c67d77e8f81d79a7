/**
 * The node's persistent and volatile state, elections (§5.2; pre-vote from
 * Ongaro's dissertation §9.6), vote rules (§5.2, §5.4.1), the
 * follower side of AppendEntries/InstallSnapshot (§5.3, §7), and term
 * handling for every incoming message (§5.1: newer term wins, stale terms are
 * refused). The leader side lives in leader.ts (a subclass); RaftNode in
 * node.ts is the public API.
 */
import { assert } from "../core/assert.ts";
import { TWO_POW_32 } from "../core/words.ts";
import { resolveConfig } from "./config.ts";
import { RaftLog } from "./log.ts";
import { ProgressSet } from "./progress.ts";
import type {
  ElectionTimerReset,
  HardState,
  Message,
  MessageType,
  NodeId,
  RaftConfig,
  RandomSource,
  Role,
  SoftState,
} from "./types.ts";
import { MessageType as MT, NO_MESSAGES, NONE, newMessage } from "./types.ts";

type VoteKind = "pre-vote" | "vote";

export abstract class ElectionState {
  readonly id: NodeId;
  protected currentTerm = 0;
  protected votedFor: NodeId = NONE;
  protected lead: NodeId = NONE;
  protected currentRole: Role = "follower";
  protected readonly log: RaftLog;
  /** Voters, including this node (set through setPeers). */
  protected peers: NodeId[] = [];
  /** Whether this node is among the voters (cached: asked after every event). */
  private voter = false;
  /** Outgoing messages, drained by ready(); NO_MESSAGES while there are none. */
  protected msgs: Message[] = NO_MESSAGES;
  /** Leader only: replication progress per peer (including self). */
  protected readonly prs = new ProgressSet();
  /** Votes received in the current (pre-)election: true = granted. */
  protected votes = new Map<NodeId, boolean>();
  protected electionElapsed = 0;
  protected heartbeatElapsed = 0;
  protected randomizedTimeoutTicks = 0;
  protected leadTransferee: NodeId = NONE;

  protected readonly electionTicks: number;
  protected readonly electionTicksMax: number;
  protected readonly heartbeatTicks: number;
  protected readonly rng: RandomSource;
  protected readonly preVote: boolean;
  protected readonly checkQuorum: boolean;
  protected readonly timerReset: ElectionTimerReset;
  protected readonly maxSizePerMsgBytes: number;
  protected readonly maxEntriesPerMsg: number;
  protected readonly maxInflightMsgs: number;
  protected readonly maxCommittedPerReady: number;
  protected readonly maxUncommittedEntries: number;

  constructor(cfg: RaftConfig) {
    const c = resolveConfig(cfg);
    this.id = c.id;
    this.electionTicks = c.electionTicks;
    this.electionTicksMax = c.electionTicksMax;
    this.heartbeatTicks = c.heartbeatTicks;
    this.rng = c.rng;
    this.preVote = c.preVote;
    this.checkQuorum = c.checkQuorum;
    this.timerReset = c.electionTimerReset;
    this.maxSizePerMsgBytes = c.maxSizePerMsgBytes;
    this.maxEntriesPerMsg = c.maxEntriesPerMsg;
    this.maxInflightMsgs = c.maxInflightMsgs;
    this.maxCommittedPerReady = c.maxCommittedPerReady;
    this.maxUncommittedEntries = c.maxUncommittedEntries;
    const { hardState, peers } = cfg.storage.initialState();
    this.setPeers(peers.length > 0 ? peers : cfg.peers);
    assert(new Set(this.peers).size === this.peers.length, "peers must be distinct");
    const snapIndex = cfg.storage.snapshot().index;
    this.log = new RaftLog(cfg.storage, hardState.commit, cfg.applied ?? snapIndex);
    this.currentTerm = hardState.term;
    this.votedFor = hardState.vote;
    this.becomeFollower(this.currentTerm, NONE);
    // Paper rule: becomeFollower did not start the timer; a fresh server starts one.
    if (this.timerReset === "paper") this.resetElectionTimer();
  }

  // ---- hooks implemented by the leader layer ----
  protected abstract stepLeader(m: Message): void;
  protected abstract becomeLeader(): void;
  protected abstract resetProgress(): void;

  softState(): SoftState {
    return { leader: this.lead === NONE ? null : this.lead, role: this.currentRole };
  }

  hardState(): HardState {
    return { term: this.currentTerm, vote: this.votedFor, commit: this.log.committed };
  }

  protected quorum(): number {
    return Math.floor(this.peers.length / 2) + 1;
  }

  protected send(m: Message): void {
    // The outbox is made with its first message (ready() hands the last one out).
    if (this.msgs === NO_MESSAGES) this.msgs = [m];
    else this.msgs.push(m);
  }

  /** Draws a fresh election timeout in [electionTicks, electionTicksMax) (§5.2). */
  protected resetElectionTimer(): void {
    this.electionElapsed = 0;
    const span = this.electionTicksMax - this.electionTicks;
    this.randomizedTimeoutTicks =
      span <= 0
        ? this.electionTicks
        : this.electionTicks + Math.floor((this.rng.nextU32() / TWO_POW_32) * span);
  }

  /** Enters `term` with a clean slate; restarts the election timer when `restartTimer`. */
  protected reset(term: number, restartTimer = true): void {
    if (term !== this.currentTerm) {
      this.currentTerm = term;
      this.votedFor = NONE;
    }
    this.lead = NONE;
    this.heartbeatElapsed = 0;
    if (restartTimer) this.resetElectionTimer();
    this.leadTransferee = NONE;
    this.votes.clear();
    this.resetProgress();
  }

  protected becomeFollower(term: number, lead: NodeId): void {
    // Figure 2 (§5.2) restarts a follower's timer only on hearing from the
    // current leader (heardFromLeader) or granting a vote, so in "paper" mode
    // seeing a higher term or losing an election leaves it running. etcd-raft
    // restarts it on every term change. A leader has no election timer
    // running, so stepping down starts one in both modes.
    this.reset(term, this.timerReset === "etcd" || this.currentRole === "leader");
    this.lead = lead;
    this.currentRole = "follower";
  }

  private becomePreCandidate(): void {
    assert(this.currentRole !== "leader", "leader cannot become pre-candidate");
    // No term or vote change: a pre-election must not disturb anyone (§9.6 thesis).
    this.votes.clear();
    this.lead = NONE;
    this.resetElectionTimer();
    this.currentRole = "pre-candidate";
  }

  private becomeCandidate(): void {
    assert(this.currentRole !== "leader", "leader cannot become candidate");
    this.reset(this.currentTerm + 1);
    this.votedFor = this.id;
    this.currentRole = "candidate";
  }

  /** Sets the voters (sorted copy) and whether this node is one of them. */
  private setPeers(peers: readonly NodeId[]): void {
    this.peers = [...peers].sort((a, b) => a - b);
    this.voter = this.peers.includes(this.id);
  }

  protected promotable(): boolean {
    return this.voter;
  }

  protected tickElection(): void {
    this.electionElapsed++;
    if (this.promotable() && this.electionElapsed >= this.randomizedTimeoutTicks) {
      this.hup(false);
    }
  }

  /** Start an election: pre-vote first unless disabled or caused by a transfer (§5.2). */
  protected hup(transfer: boolean): void {
    if (this.currentRole === "leader" || !this.promotable()) return;
    this.runCampaign(this.preVote && !transfer ? "pre-vote" : "vote", transfer);
  }

  private runCampaign(kind: VoteKind, transfer: boolean): void {
    if (kind === "pre-vote") this.becomePreCandidate();
    else this.becomeCandidate();
    const voteTerm = kind === "pre-vote" ? this.currentTerm + 1 : this.currentTerm;
    if (this.recordVote(this.id, true) === "won") {
      // Single-node cluster: we won outright.
      if (kind === "pre-vote") this.runCampaign("vote", transfer);
      else this.becomeLeader();
      return;
    }
    const type = kind === "pre-vote" ? MT.PreVote : MT.Vote;
    for (const p of this.peers) {
      if (p === this.id) continue;
      const m = newMessage(type, this.id, p, voteTerm);
      m.index = this.log.lastIndex();
      m.logTerm = this.log.lastTerm();
      m.transfer = transfer;
      this.send(m);
    }
  }

  private recordVote(from: NodeId, granted: boolean): "won" | "lost" | "pending" {
    if (!this.votes.has(from)) this.votes.set(from, granted);
    let yes = 0;
    let no = 0;
    for (const p of this.peers) {
      const v = this.votes.get(p);
      if (v === true) yes++;
      else if (v === false) no++;
    }
    if (yes >= this.quorum()) return "won";
    if (no >= this.quorum()) return "lost";
    return "pending";
  }

  /** §5.1 term rules, then dispatch by role. */
  protected stepMessage(m: Message): void {
    if (m.type === MT.Hup) {
      this.hup(false);
      return;
    }
    if (m.type === MT.Beat) {
      if (this.currentRole === "leader") this.stepLeader(m);
      return;
    }
    if (m.term > this.currentTerm) {
      if (!this.acceptHigherTerm(m)) return;
    } else if (m.term < this.currentTerm) {
      this.refuseStaleTerm(m);
      return;
    }
    if (m.type === MT.Vote || m.type === MT.PreVote) {
      this.handleVoteRequest(m);
      return;
    }
    switch (this.currentRole) {
      case "leader":
        this.stepLeader(m);
        return;
      case "candidate":
      case "pre-candidate":
        this.stepCandidate(m);
        return;
      case "follower":
        this.stepFollower(m);
        return;
    }
  }

  /** Returns false when the message must be dropped without changing term. */
  private acceptHigherTerm(m: Message): boolean {
    if (m.type === MT.Vote || m.type === MT.PreVote) {
      // Check-quorum lease (§6 "disruptive servers"): while we hear from a
      // leader within the minimum election timeout, ignore vote requests.
      const inLease =
        this.checkQuorum && this.lead !== NONE && this.electionElapsed < this.electionTicks;
      if (inLease && !m.transfer) return false;
    }
    if (m.type === MT.PreVote) return true; // never changes our term
    if (m.type === MT.PreVoteResp && !m.reject) return true; // echoes the term we would run in
    const fromLeader = m.type === MT.App || m.type === MT.Heartbeat || m.type === MT.Snap;
    this.becomeFollower(m.term, fromLeader ? m.from : NONE);
    return true;
  }

  private refuseStaleTerm(m: Message): void {
    if ((this.checkQuorum || this.preVote) && (m.type === MT.Heartbeat || m.type === MT.App)) {
      // A stale leader (e.g. healed from a partition) learns our term and steps down.
      this.send(newMessage(MT.AppResp, this.id, m.from, this.currentTerm));
    } else if (m.type === MT.PreVote) {
      this.sendVoteResp(MT.PreVoteResp, m.from, this.currentTerm, true);
    }
  }

  /** §5.2 one vote per term, §5.4.1 candidate's log at least as up-to-date. */
  private handleVoteRequest(m: Message): void {
    const pre = m.type === MT.PreVote;
    const canVote =
      this.votedFor === m.from ||
      (this.votedFor === NONE && this.lead === NONE) ||
      (pre && m.term > this.currentTerm);
    const respType = pre ? MT.PreVoteResp : MT.VoteResp;
    if (canVote && this.log.isUpToDate(m.index ?? 0, m.logTerm ?? 0)) {
      this.sendVoteResp(respType, m.from, m.term, false);
      if (!pre) {
        this.votedFor = m.from;
        this.resetElectionTimer();
      }
    } else {
      this.sendVoteResp(respType, m.from, this.currentTerm, true);
    }
  }

  private sendVoteResp(type: MessageType, to: NodeId, term: number, reject: boolean): void {
    const r = newMessage(type, this.id, to, term);
    r.reject = reject;
    this.send(r);
  }

  private stepCandidate(m: Message): void {
    const myResp = this.currentRole === "pre-candidate" ? MT.PreVoteResp : MT.VoteResp;
    switch (m.type) {
      case MT.App:
      case MT.Heartbeat:
      case MT.Snap:
        // §5.2: a leader of our term exists; return to follower.
        this.becomeFollower(m.term, m.from);
        this.stepFollower(m);
        return;
      default:
        if (m.type !== myResp) return;
        switch (this.recordVote(m.from, !m.reject)) {
          case "won":
            if (this.currentRole === "pre-candidate") this.runCampaign("vote", false);
            else this.becomeLeader();
            return;
          case "lost":
            this.becomeFollower(this.currentTerm, NONE);
            return;
          default:
            return;
        }
    }
  }

  private stepFollower(m: Message): void {
    switch (m.type) {
      case MT.App:
        this.heardFromLeader(m.from);
        this.handleAppend(m);
        return;
      case MT.Heartbeat:
        this.heardFromLeader(m.from);
        this.handleHeartbeat(m);
        return;
      case MT.Snap:
        this.heardFromLeader(m.from);
        this.handleSnapshot(m);
        return;
      case MT.TimeoutNow:
        // Leadership transfer (thesis §3.10): campaign at once, skipping pre-vote.
        this.hup(true);
        return;
      default:
        return;
    }
  }

  private heardFromLeader(from: NodeId): void {
    this.resetElectionTimer();
    this.lead = from;
  }

  /** Figure 2 AppendEntries receiver; on mismatch, a fast-backtracking hint (§5.3). */
  private handleAppend(m: Message): void {
    const prevIndex = m.index ?? 0;
    // Replies are built field by field (not spread from a template): this runs for every App.
    if (prevIndex < this.log.committed) {
      this.sendAppAck(m.from, this.log.committed);
      return;
    }
    const lastNew = this.log.maybeAppend(prevIndex, m.logTerm ?? 0, m.commit ?? 0, m.entries ?? []);
    if (lastNew >= 0) {
      this.sendAppAck(m.from, lastNew);
      return;
    }
    // Reject. Hint: the last index at or before prevIndex whose term is <= the
    // leader's prevTerm; everything after it cannot match (etcd-raft's scheme).
    const hintIndex = this.log.findConflictByTerm(
      Math.min(prevIndex, this.log.lastIndex()),
      m.logTerm ?? 0,
    );
    const hintTerm = this.log.term(hintIndex);
    const r = newMessage(MT.AppResp, this.id, m.from, this.currentTerm);
    r.index = prevIndex;
    r.reject = true;
    r.rejectHint = hintIndex;
    r.logTerm = Math.max(hintTerm, 0);
    this.send(r);
  }

  private sendAppAck(to: NodeId, index: number): void {
    const r = newMessage(MT.AppResp, this.id, to, this.currentTerm);
    r.index = index;
    this.send(r);
  }

  private handleHeartbeat(m: Message): void {
    this.log.commitTo(Math.min(m.commit ?? 0, this.log.lastIndex()));
    this.send(newMessage(MT.HeartbeatResp, this.id, m.from, this.currentTerm));
  }

  /** §7 InstallSnapshot receiver. */
  private handleSnapshot(m: Message): void {
    const snap = m.snapshot;
    assert(snap !== undefined, "Snap message without a snapshot");
    if (snap.index <= this.log.committed) {
      this.sendAppAck(m.from, this.log.committed);
      return;
    }
    if (this.log.matchTerm(snap.index, snap.term)) {
      // We already hold the entry the snapshot ends at: keep the log, fast-forward commit (§7).
      // Answer with commit, not lastIndex: entries after it may still conflict.
      this.log.commitTo(snap.index);
      this.sendAppAck(m.from, this.log.committed);
      return;
    }
    this.log.restore(snap);
    if (snap.peers.length > 0) this.setPeers(snap.peers);
    this.sendAppAck(m.from, this.log.lastIndex());
  }
}
