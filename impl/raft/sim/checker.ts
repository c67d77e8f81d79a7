/**
 * The safety checker: the simulator reports what each node does (role and
 * term changes, entries written to its log, commit index, entries applied)
 * and the checker throws a SafetyViolation, naming the seed and the virtual
 * time, at the first breach of a property of Figure 3 of the Raft paper:
 *
 * - Election Safety: at most one leader per term (§5.2).
 * - Log Matching: two logs with an entry of the same index and term are
 *   identical up to it (§5.3). Checked incrementally: every (index, term)
 *   ever written anywhere maps to one payload and one predecessor term; by
 *   induction on the index this gives identical prefixes.
 * - Leader Completeness: a committed entry is in the log of every later
 *   leader (§5.4). Checked when a node becomes leader.
 * - Term rule (Figure 2, rules for all servers, §5.1): a server that
 *   receives an RPC or a response carrying a higher term adopts it (vote
 *   and pre-vote requests excepted: pre-vote and the check-quorum lease may
 *   ignore them on purpose).
 * - Persistence before reply (Figure 2: persistent state is updated on
 *   stable storage before responding to RPCs): when a node grants a vote,
 *   its durable hard state already holds that term and vote; when it
 *   acknowledges entries up to i, its durable log already holds them.
 * - State Machine Safety: no two nodes apply different entries at one index
 *   (§5.4.3), checked as "every applied entry is the committed one at its
 *   index" (recorded once per index, so appliers agree); and each node
 *   applies indexes in order, each once per incarnation (a restarted node
 *   starts again from its snapshot).
 *
 * The checker only sees what the simulator tells it; it never reads a node's
 * internals, so a bug in the node cannot hide a violation from it.
 */
import { type Entry, type Message, MessageType } from "../types.ts";
import { IndexTable } from "./index-table.ts";
import { hashEntry } from "./payload-hash.ts";

export class SafetyViolation extends Error {
  override name = "SafetyViolation";
  constructor(
    readonly property: string,
    readonly seed: number,
    readonly virtualMs: number,
    detail: string,
  ) {
    super(`${property} violated at virtual ${virtualMs.toFixed(3)} ms (seed ${seed}): ${detail}`);
  }
}

/** What the checker remembers about one (index, term) pair. */
interface EntryFact {
  payloadHash: number;
  /** Term of the entry just before, in the log that first held this entry. */
  prevTerm: number;
}

/** A node's log as the checker may read it: term at an index, or undefined if absent/compacted. */
export interface LogView {
  /** Index of the last entry (0 = empty). */
  lastIndex: number;
  /** Entries at or below this index were compacted into a snapshot. */
  snapshotIndex: number;
  snapshotTerm: number;
  termAt(index: number): number | undefined;
}

/** A node's durable state (what a crash now would leave), as the checker may read it. */
export interface DurableView {
  term: number;
  vote: number;
  log: LogView;
}

export class SafetyChecker {
  private readonly leaderOfTerm = new Map<number, number>();
  /** The last (term, leader) pair recorded in leaderOfTerm (a repeat needs no lookup). */
  private lastLeaderTerm = -1;
  private lastLeaderId = -1;
  /**
   * Entry facts: the first (index, term) seen at each index, as (term,
   * payloadHash, prevTerm) per index; the rare other terms at an index are
   * keyed by factKey(index, term) in otherFacts.
   */
  private readonly facts = new IndexTable();
  private readonly otherFacts = new Map<number, EntryFact>();
  /** Globally committed entries: index -> (term, payloadHash). */
  private readonly committed = new IndexTable();
  private maxCommitted = 0;
  /** Per node id: the highest commit index it reported (in any incarnation); absent = 0. */
  private readonly commitOf: number[] = [];
  /** Per node id: last index applied in the current incarnation; absent = 0. */
  private readonly lastApplied: number[] = [];
  /** Virtual time of the current step, set by the simulator. */
  nowMs = 0;
  /** Counters, to show the checker actually looked at something. */
  readonly counts = {
    roleChecks: 0,
    entriesChecked: 0,
    commitsChecked: 0,
    appliesChecked: 0,
    leaderLogChecks: 0,
    repliesChecked: 0,
  };

  constructor(readonly seed: number) {}

  private fail(property: string, detail: string): never {
    throw new SafetyViolation(property, this.seed, this.nowMs, detail);
  }

  /** A node is leader in `term` (call whenever it is seen as leader). */
  observeLeader(id: number, term: number): void {
    this.counts.roleChecks++;
    // The simulator reports the leader after each of its events: the same pair, already recorded.
    if (term === this.lastLeaderTerm && id === this.lastLeaderId) return;
    const other = this.leaderOfTerm.get(term);
    if (other === undefined) this.leaderOfTerm.set(term, id);
    else if (other !== id)
      this.fail("Election Safety", `nodes ${other} and ${id} are both leader in term ${term}`);
    this.lastLeaderTerm = term;
    this.lastLeaderId = id;
  }

  /** Entries were written to node `id`'s log; `termAt` reads that log after the write. */
  observeAppend(id: number, entries: readonly Entry[], log: LogView): void {
    for (let k = 0; k < entries.length; k++) {
      const e = entries[k]!;
      this.counts.entriesChecked++;
      const prevIndex = e.index - 1;
      const prevTerm = prevIndex === 0 ? 0 : log.termAt(prevIndex);
      if (prevTerm === undefined) continue; // predecessor compacted: nothing to compare
      const payloadHash = hashEntry(e);
      const f = this.facts;
      let seenHash: number;
      let seenPrevTerm: number;
      if (f.has(e.index) && f.f0At(e.index) === e.term) {
        seenHash = f.f1At(e.index);
        seenPrevTerm = f.f2At(e.index);
      } else {
        const other = this.otherFactOf(e.index, e.term);
        if (other === undefined) {
          this.addFact(e.index, e.term, payloadHash, prevTerm);
          continue;
        }
        seenHash = other.payloadHash;
        seenPrevTerm = other.prevTerm;
      }
      if (seenHash !== payloadHash) {
        this.fail(
          "Log Matching",
          `node ${id} holds a different entry at index ${e.index} term ${e.term} than another log`,
        );
      } else if (seenPrevTerm !== prevTerm) {
        this.fail(
          "Log Matching",
          `node ${id} has index ${e.index} term ${e.term} after term ${prevTerm}, another log has it after term ${seenPrevTerm}`,
        );
      }
    }
  }

  /** The fact recorded for (index, term) if it is not the index's first one (rare). */
  private otherFactOf(index: number, term: number): EntryFact | undefined {
    return this.otherFacts.size === 0 ? undefined : this.otherFacts.get(factKey(index, term));
  }

  private addFact(index: number, term: number, payloadHash: number, prevTerm: number): void {
    const key = factKey(index, term); // checks the range even when the fact goes in the table
    if (!this.facts.has(index)) this.facts.set(index, term, payloadHash, prevTerm);
    else this.otherFacts.set(key, { payloadHash, prevTerm });
  }

  /** Node `id` reports commit index `commit`; `entryAt` reads its log. */
  observeCommit(
    id: number,
    commit: number,
    log: LogView,
    entryAt: (i: number) => Entry | undefined,
  ): void {
    for (let i = this.maxCommitted + 1; i <= commit; i++) {
      this.counts.commitsChecked++;
      const e = entryAt(i);
      if (e === undefined) {
        if (i <= log.snapshotIndex) continue; // committed inside a snapshot it received
        this.fail(
          "Commitment",
          `node ${id} claims commit index ${commit} but has no entry at ${i}`,
        );
      }
      this.committed.set(i, e.term, hashEntry(e), 0);
    }
    if (commit > this.maxCommitted) this.maxCommitted = commit;
    // Entries this node newly counts as committed must agree with what was committed.
    const before = this.commitOf[id] ?? 0;
    const from = Math.max(log.snapshotIndex + 1, before + 1);
    if (commit > before) this.commitOf[id] = commit;
    for (let i = from; i <= commit; i++) {
      if (!this.committed.has(i)) continue;
      const term = this.committed.f0At(i);
      const t = log.termAt(i);
      if (t !== undefined && t !== term) {
        this.fail(
          "State Machine Safety",
          `node ${id} committed index ${i} with term ${t}, but term ${term} was committed there`,
        );
      }
    }
  }

  /** Node `id` just became leader: its log must hold every committed entry (§5.4.1). */
  observeNewLeader(id: number, term: number, log: LogView): void {
    this.observeLeader(id, term);
    this.counts.leaderLogChecks++;
    for (let i = 1; i <= this.maxCommitted; i++) {
      if (!this.committed.has(i)) continue;
      if (i < log.snapshotIndex) continue; // inside its snapshot: covered by the snapshot
      const cTerm = this.committed.field(i, 0);
      const t = i === log.snapshotIndex ? log.snapshotTerm : log.termAt(i);
      if (t !== cTerm) {
        this.fail(
          "Leader Completeness",
          `node ${id}, leader of term ${term}, lacks committed entry ${i} (term ${cTerm}); its log has ${t === undefined ? "nothing" : `term ${t}`} there`,
        );
      }
    }
  }

  /** Node `id` applied entry `e` to its state machine. */
  observeApply(id: number, e: Entry): void {
    this.counts.appliesChecked++;
    const last = this.lastApplied[id] ?? 0;
    if (e.index !== last + 1) {
      this.fail(
        "State Machine Safety",
        e.index <= last
          ? `node ${id} applied index ${e.index} again (last applied ${last})`
          : `node ${id} applied index ${e.index} out of order (last applied ${last})`,
      );
    }
    this.lastApplied[id] = e.index;
    const h = hashEntry(e);
    const c = this.committed;
    if (!c.has(e.index) || c.f0At(e.index) !== e.term || c.f1At(e.index) !== h) {
      this.fail(
        "State Machine Safety",
        `node ${id} applied index ${e.index} (term ${e.term}) which is not the committed entry there`,
      );
    }
    // No second record of what each index's first applier applied: the committed record above is
    // written once per index, so two nodes that pass this check applied the same entry there
    // (a comparison between appliers could never fire after it).
  }

  /**
   * Node `id` handled a message of `type` carrying `msgTerm` and is now in
   * `termAfter`; `mustAdopt` says whether the type is bound by the term rule.
   */
  observeTermRule(
    id: number,
    type: number,
    msgTerm: number,
    termAfter: number,
    mustAdopt: boolean,
  ): void {
    if (mustAdopt && msgTerm > termAfter) {
      this.fail(
        "Term rule",
        `node ${id} stayed in term ${termAfter} after a message (type ${type}) of term ${msgTerm}`,
      );
    }
  }

  /** Node `id` is about to send `m`; `durable` is what would survive a crash now. */
  observeReply(id: number, m: Message, durable: DurableView): void {
    if (m.reject) return;
    if (m.type === MessageType.VoteResp) {
      this.counts.repliesChecked++;
      if (durable.term !== m.term || durable.vote !== m.to)
        this.fail(
          "Persistence before reply",
          `node ${id} grants its term-${m.term} vote to ${m.to} but its durable state says term ${durable.term}, vote ${durable.vote}`,
        );
    } else if (m.type === MessageType.AppResp && m.index !== undefined) {
      this.counts.repliesChecked++;
      if (m.index > durable.log.lastIndex)
        this.fail(
          "Persistence before reply",
          `node ${id} acknowledges index ${m.index} but its durable log ends at ${durable.log.lastIndex}`,
        );
    }
  }

  /** Node `id` restored its state machine from a snapshot at `index` (restart or InstallSnapshot). */
  observeRestore(id: number, index: number): void {
    this.lastApplied[id] = index;
  }
}

/** Named limit: terms below 2^21 and indexes below 2^32 pack into one exact double key. */
const MAX_FACT_TERM = 2 ** 21;

/** One number for (index, term): a Map with number keys is much cheaper than one with string keys. */
function factKey(index: number, term: number): number {
  if (term >= MAX_FACT_TERM || index >= 2 ** 32)
    throw new RangeError(`checker: index ${index} term ${term} beyond the fact key's range`);
  return index * MAX_FACT_TERM + term;
}
