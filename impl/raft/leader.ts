/**
 * The leader side: no-op on election (§8), log replication with batching and
 * pipelining (§5.3), fast backtracking on rejections, commitment by counting
 * replicas of current-term entries only (§5.4.2, Figure 8), heartbeats,
 * check-quorum step-down (§6), InstallSnapshot for followers behind the
 * compacted log (§7) and leadership transfer (thesis §3.10).
 */
import { ElectionState } from "./election.ts";
import { NO_ENTRIES, UNKNOWN_TERM } from "./log.ts";
import { Progress } from "./progress.ts";
import type { Entry, Message, NodeId } from "./types.ts";
import { EntryType, MessageType as MT, NONE, newMessage } from "./types.ts";

export abstract class LeaderState extends ElectionState {
  /** maybeCommit's working array (one per node, reused). */
  private readonly matchScratch: number[] = [];

  protected resetProgress(): void {
    this.prs.clear(); // rebuilt by becomeLeader; followers keep none
  }

  protected becomeLeader(): void {
    this.reset(this.currentTerm);
    this.lead = this.id;
    this.currentRole = "leader";
    const last = this.log.lastIndex();
    for (const p of this.peers) {
      const pr = new Progress(last + 1, this.maxInflightMsgs);
      if (p === this.id) {
        pr.match = last;
        pr.recentActive = true;
        pr.becomeReplicate();
      }
      this.prs.add(p, pr);
    }
    // §8: a no-op of the new term lets the leader commit (and learn) what
    // earlier terms left uncommitted.
    this.appendEntry({ term: 0, index: 0, type: EntryType.Noop, data: new Uint8Array(0) });
    this.bcastAppend();
  }

  protected proposeData(data: Uint8Array): boolean {
    if (this.currentRole !== "leader" || this.leadTransferee !== NONE) return false;
    // Backpressure: a leader that cannot commit stops accepting work.
    if (this.log.lastIndex() - this.log.committed >= this.maxUncommittedEntries) return false;
    this.appendEntry({ term: 0, index: 0, type: EntryType.Normal, data });
    this.bcastAppend();
    return true;
  }

  /** Stamps term and index on a new entry, appends it, counts our own match. */
  private appendEntry(e: Entry): void {
    e.term = this.currentTerm;
    e.index = this.log.lastIndex() + 1;
    this.log.appendOne(e);
    this.prs.get(this.id)!.maybeUpdate(this.log.lastIndex());
    this.maybeCommit();
  }

  /** §5.3/§5.4.2: the highest index a quorum holds, committed only if of our term. */
  private maybeCommit(): boolean {
    // Matches sorted descending by insertion into a reused array: this runs
    // on every acknowledgement, and clusters are small.
    const matches = this.matchScratch;
    matches.length = 0;
    const prs = this.prs.list; // every voter's progress (built from peers by becomeLeader)
    for (let k = 0; k < prs.length; k++) {
      const m = prs[k]!.match;
      let i = matches.length;
      matches.push(m);
      while (i > 0 && matches[i - 1]! < m) {
        matches[i] = matches[i - 1]!;
        i--;
      }
      matches[i] = m;
    }
    const q = this.quorum() - 1;
    const quorumMatch = q < matches.length ? matches[q]! : 0;
    return this.log.maybeCommit(quorumMatch, this.currentTerm);
  }

  private bcastAppend(): void {
    const { ids, list } = this.prs;
    for (let k = 0; k < ids.length; k++) {
      if (ids[k] !== this.id) this.sendAppend(ids[k]!, list[k]!, true);
    }
  }

  private bcastHeartbeat(): void {
    const { ids, list } = this.prs;
    for (let k = 0; k < ids.length; k++) {
      const p = ids[k]!;
      if (p === this.id) continue;
      const pr = list[k]!;
      // Never tell a follower to commit past what it is known to hold.
      const commit = Math.min(pr.match, this.log.committed);
      const hb = newMessage(MT.Heartbeat, this.id, p, this.currentTerm);
      hb.commit = commit;
      this.send(hb);
    }
  }

  /**
   * Sends the next App (or a snapshot) to `to` if its window allows. With
   * sendIfEmpty=false nothing is sent when there are no new entries.
   * Returns true if something was sent.
   */
  private maybeSendAppend(to: NodeId, sendIfEmpty: boolean): boolean {
    const pr = this.prs.get(to);
    return pr !== undefined && this.sendAppend(to, pr, sendIfEmpty);
  }

  /** maybeSendAppend with the follower's progress at hand. */
  private sendAppend(to: NodeId, pr: Progress, sendIfEmpty: boolean): boolean {
    if (pr.isPaused()) return false;
    // Nothing new to send (every acknowledgement asks once): answered before
    // the term lookup, which cannot send a snapshot here (the last index's
    // term is always known and next = last + 1 is at or above the first index).
    if (!sendIfEmpty && pr.next === this.log.lastIndex() + 1) return false;
    const prevIndex = pr.next - 1;
    const prevTerm = this.log.term(prevIndex);
    if (prevTerm === UNKNOWN_TERM || pr.next < this.log.firstIndex()) {
      return this.sendSnapshot(to, pr);
    }
    if (!sendIfEmpty && pr.next > this.log.lastIndex()) return false;
    // Nothing new (a commit update, a probe at the end of the log): the shared empty list.
    const entries =
      pr.next > this.log.lastIndex()
        ? NO_ENTRIES
        : this.log.slice(
            pr.next,
            this.log.lastIndex() + 1,
            this.maxSizePerMsgBytes,
            this.maxEntriesPerMsg,
          );
    if (entries.length === 0 && !sendIfEmpty) return false;
    const m = newMessage(MT.App, this.id, to, this.currentTerm);
    m.index = prevIndex;
    m.logTerm = prevTerm;
    m.entries = entries;
    m.commit = this.log.committed;
    this.send(m);
    const last = entries.length > 0 ? entries[entries.length - 1] : undefined; // arr[-1] is slow
    if (pr.state === "replicate" && last) {
      pr.optimisticUpdate(last.index);
      pr.inflights.add(last.index);
    } else if (pr.state === "probe") {
      pr.probeSent = true;
    }
    return true;
  }

  private sendSnapshot(to: NodeId, pr: Progress): boolean {
    // A snapshot received as follower and not yet persisted is the newest one we hold.
    const snap = this.log.unstableSnapshot ?? this.log.storage.snapshot();
    if (snap.index === 0) return false; // nothing compacted: cannot happen with a sane storage
    const m = newMessage(MT.Snap, this.id, to, this.currentTerm);
    m.snapshot = snap;
    this.send(m);
    pr.becomeSnapshot(snap.index);
    return true;
  }

  protected tickLeader(): void {
    this.heartbeatElapsed++;
    this.electionElapsed++;
    if (this.electionElapsed >= this.electionTicks) {
      this.electionElapsed = 0;
      if (this.checkQuorum && !this.quorumActive()) {
        // §6: a leader cut off from a quorum steps down rather than linger.
        this.becomeFollower(this.currentTerm, NONE);
        return;
      }
      this.leadTransferee = NONE; // a transfer that took an election timeout is abandoned
    }
    if (this.heartbeatElapsed >= this.heartbeatTicks) {
      this.heartbeatElapsed = 0;
      this.retryLostSnapshots();
      this.bcastHeartbeat();
    }
  }

  /**
   * A lost snapshot would stall a follower forever: after about an election
   * timeout in snapshot state, probe again (which resends it if still
   * needed). Checked once per heartbeat interval, not every tick.
   */
  private retryLostSnapshots(): void {
    const { ids, list } = this.prs;
    for (let k = 0; k < ids.length; k++) {
      const pr = list[k]!;
      if (pr.state !== "snapshot") continue;
      pr.snapshotWaitTicks += this.heartbeatTicks;
      if (pr.snapshotWaitTicks >= this.electionTicks) {
        pr.pendingSnapshot = 0; // assume it was lost: probe from the known match
        pr.becomeProbe();
        this.sendAppend(ids[k]!, pr, true);
      }
    }
  }

  /** Counts peers heard from since the last round (self included) and clears the marks. */
  private quorumActive(): boolean {
    let active = 0;
    const { ids, list } = this.prs;
    for (let k = 0; k < ids.length; k++) {
      const pr = list[k]!;
      if (ids[k] === this.id || pr.recentActive) active++;
      if (ids[k] !== this.id) pr.recentActive = false;
    }
    return active >= this.quorum();
  }

  protected stepLeader(m: Message): void {
    if (m.type === MT.Beat) {
      this.bcastHeartbeat();
      return;
    }
    const pr = this.prs.get(m.from);
    if (!pr) return;
    switch (m.type) {
      case MT.AppResp:
        pr.recentActive = true;
        if (m.reject) this.handleAppReject(m, pr);
        else this.handleAppAck(m, pr);
        return;
      case MT.HeartbeatResp:
        pr.recentActive = true;
        pr.probeSent = false;
        if (pr.state === "replicate" && pr.inflights.full()) pr.inflights.freeFirst();
        if (pr.match < this.log.lastIndex()) this.sendAppend(m.from, pr, true);
        return;
      default:
        return;
    }
  }

  private handleAppReject(m: Message, pr: Progress): void {
    // Fast backtracking: jump to the last index where the follower's term is
    // <= ours at that index, skipping whole conflicting terms at once.
    let hint = m.rejectHint ?? 0;
    if ((m.logTerm ?? 0) > 0) hint = this.log.findConflictByTerm(hint, m.logTerm!);
    if (pr.maybeDecrTo(m.index ?? 0, hint)) {
      if (pr.state === "replicate") pr.becomeProbe();
      this.sendAppend(m.from, pr, true);
    }
  }

  private handleAppAck(m: Message, pr: Progress): void {
    const wasPaused = pr.isPaused();
    if (!pr.maybeUpdate(m.index ?? 0)) return;
    if (pr.state === "probe") pr.becomeReplicate();
    else if (pr.state === "snapshot" && pr.match >= pr.pendingSnapshot) {
      pr.becomeProbe();
      pr.becomeReplicate();
    } else if (pr.state === "replicate") pr.inflights.freeLE(pr.match);
    // An ack at or below the commit index cannot move the quorum's match
    // above it (maybeCommit ran after every earlier change of any match).
    if (pr.match > this.log.committed && this.maybeCommit()) this.bcastAppend();
    else if (wasPaused) this.sendAppend(m.from, pr, true);
    // Fill the pipeline window with whatever is still unsent.
    for (let i = 0; i < this.maxInflightMsgs && this.sendAppend(m.from, pr, false); i++);
    if (m.from === this.leadTransferee && pr.match === this.log.lastIndex()) {
      this.send(newMessage(MT.TimeoutNow, this.id, m.from, this.currentTerm));
    }
  }

  protected startTransfer(to: NodeId): void {
    if (this.currentRole !== "leader" || to === this.id || !this.prs.has(to)) return;
    if (this.leadTransferee === to) return;
    this.leadTransferee = to;
    this.electionElapsed = 0; // the transfer must finish within one election timeout
    const pr = this.prs.get(to)!;
    if (pr.match === this.log.lastIndex()) {
      this.send(newMessage(MT.TimeoutNow, this.id, to, this.currentTerm));
    } else {
      this.maybeSendAppend(to, true);
    }
  }

  protected markUnreachable(id: NodeId): void {
    const pr = this.prs.get(id);
    if (this.currentRole === "leader" && pr && pr.state === "replicate") pr.becomeProbe();
  }

  protected snapshotStatus(id: NodeId, ok: boolean): void {
    const pr = this.prs.get(id);
    if (this.currentRole !== "leader" || !pr || pr.state !== "snapshot") return;
    if (!ok) pr.pendingSnapshot = 0;
    pr.becomeProbe();
    pr.probeSent = true; // wait for the follower's answer (or a heartbeat reply) before probing
  }
}
