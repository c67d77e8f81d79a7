/**
 * RaftLog: the node's view of its log = what Storage already holds (stable)
 * followed by entries and possibly a snapshot not yet persisted (unstable).
 * Also tracks the commit index and how far the application has applied.
 *
 * Unknown terms (compacted or beyond the last index) read as -1, never
 * throw: callers fall back to a snapshot or a coarser hint.
 */
import { assert } from "../core/assert.ts";
import {
  CompactedError,
  copyRun,
  endWithinBytes,
  entrySizeBytes,
  type Storage,
} from "./storage.ts";
import type { Entry, Snapshot } from "./types.ts";

/** Term value meaning "not known here" (compacted or beyond the log). */
export const UNKNOWN_TERM = -1;

/**
 * The one empty entry list the node hands out (a Ready or an App without
 * entries), so none is built per message. Shared but not frozen: a frozen
 * array is a slower kind of array on every read in JSC. Nobody may fill it;
 * RaftNode.advance() asserts it is still empty, so a caller that did fails
 * loudly.
 */
export const NO_ENTRIES: Entry[] = [];

export class RaftLog {
  /** Entries not yet persisted; unstable[0].index === unstableOffset. */
  private unstable: Entry[] = NO_ENTRIES;
  /**
   * `unstable` was handed to the application (lendUnstable, for a Ready) or
   * is the shared NO_ENTRIES: it is never changed in place again, the next
   * change works on a fresh array. So a Ready needs no copy of the entries.
   */
  private unstableLent = true;
  private unstableOffset: number;
  /** A snapshot received from the leader, not yet persisted. */
  unstableSnapshot: Snapshot | null = null;
  committed: number;
  /** Highest index handed to the application (in a Ready) so far. */
  applied: number;

  constructor(
    readonly storage: Storage,
    committed: number,
    applied: number,
  ) {
    this.unstableOffset = storage.lastIndex() + 1;
    const snapIndex = storage.firstIndex() - 1;
    assert(
      committed >= snapIndex && committed <= storage.lastIndex(),
      () => `commit ${committed} outside [${snapIndex}, ${storage.lastIndex()}]`,
    );
    this.committed = committed;
    this.applied = Math.max(snapIndex, Math.min(applied, committed));
  }

  firstIndex(): number {
    if (this.unstableSnapshot) return this.unstableSnapshot.index + 1;
    return this.storage.firstIndex();
  }

  lastIndex(): number {
    if (this.unstable.length > 0) return this.unstableOffset + this.unstable.length - 1;
    if (this.unstableSnapshot) return this.unstableSnapshot.index;
    return this.storage.lastIndex();
  }

  lastTerm(): number {
    return this.term(this.lastIndex());
  }

  /** Term of entry i, or UNKNOWN_TERM (-1) if compacted or beyond the log. */
  term(i: number): number {
    if (i > this.lastIndex() || i < 0) return UNKNOWN_TERM;
    if (i >= this.unstableOffset && this.unstable.length > 0) {
      return this.unstable[i - this.unstableOffset]!.term;
    }
    if (this.unstableSnapshot) {
      return i === this.unstableSnapshot.index ? this.unstableSnapshot.term : UNKNOWN_TERM;
    }
    try {
      return this.storage.term(i);
    } catch (e) {
      if (e instanceof CompactedError) return UNKNOWN_TERM;
      throw e;
    }
  }

  matchTerm(i: number, term: number): boolean {
    return this.term(i) === term && term !== UNKNOWN_TERM;
  }

  /** §5.4.1: is a log ending at (index, term) at least as up-to-date as ours? */
  isUpToDate(index: number, term: number): boolean {
    const myTerm = this.lastTerm();
    return term > myTerm || (term === myTerm && index >= this.lastIndex());
  }

  /**
   * Appends entries[from..] after the leader-side or follower-side checks;
   * truncates a conflicting tail.
   */
  append(entries: readonly Entry[], from = 0): void {
    if (from >= entries.length) return;
    this.cutUnstableAt(entries[from]!.index);
    if (this.unstable.length === 0) {
      this.unstable = [entries[from]!]; // made with its first entry, not [] then a push
      this.unstableLent = false;
      from++;
    }
    const u = this.ownUnstable();
    for (let k = from; k < entries.length; k++) u.push(entries[k]!);
  }

  /** append([e]) without the array (the leader appends its proposals one at a time). */
  appendOne(e: Entry): void {
    this.cutUnstableAt(e.index);
    if (this.unstable.length === 0) {
      this.unstable = [e];
      this.unstableLent = false;
    } else this.ownUnstable().push(e);
  }

  /** `unstable`, safe to change in place: a lent or shared array is replaced by a copy first. */
  private ownUnstable(): Entry[] {
    if (this.unstableLent) {
      this.unstable = this.unstable.slice();
      this.unstableLent = false;
    }
    return this.unstable;
  }

  /** No unstable entries (NO_ENTRIES stands in: it is never changed in place). */
  private clearUnstable(): void {
    this.unstable = NO_ENTRIES;
    this.unstableLent = true;
  }

  /** Makes the unstable tail end just before `after` (a new entry's index), dropping a conflicting suffix. */
  private cutUnstableAt(after: number): void {
    // Checked without assert's message closures: this runs for every App and proposal.
    if (after <= this.committed) {
      assert(false, `append at ${after} would overwrite commit ${this.committed}`);
    }
    if (after > this.lastIndex() + 1) {
      assert(false, `append at ${after} leaves a gap after ${this.lastIndex()}`);
    }
    const end = this.unstableOffset + this.unstable.length;
    if (after === end) return;
    if (after <= this.unstableOffset) {
      // Replacing (part of) the stable log: storage.append truncates it when persisted.
      this.unstableOffset = after;
      this.clearUnstable();
    } else {
      this.ownUnstable().length = after - this.unstableOffset;
    }
  }

  /**
   * The follower side of AppendEntries (Figure 2, receiver rules 2-5):
   * returns the index of the last new entry, or -1 when the log does not
   * contain (prevIndex, prevTerm).
   */
  maybeAppend(
    prevIndex: number,
    prevTerm: number,
    commit: number,
    entries: readonly Entry[],
  ): number {
    if (!this.matchTerm(prevIndex, prevTerm)) return -1;
    const lastNew = prevIndex + entries.length;
    let k = 0;
    // Skip entries we already have (rule 3: delete only on a real conflict).
    while (k < entries.length && this.matchTerm(entries[k]!.index, entries[k]!.term)) k++;
    if (k < entries.length) this.append(entries, k);
    this.commitTo(Math.min(commit, lastNew));
    return lastNew;
  }

  /**
   * The largest index <= `index` whose term is <= `term` (or whose term is
   * unknown): everything after it certainly conflicts with a log whose entry
   * at `index` has `term`. Used for fast backtracking hints.
   */
  findConflictByTerm(index: number, term: number): number {
    let i = Math.min(index, this.lastIndex());
    for (; i > 0; i--) {
      const t = this.term(i);
      if (t === UNKNOWN_TERM || t <= term) return i;
    }
    return 0;
  }

  commitTo(index: number): void {
    if (index <= this.committed) return;
    if (index > this.lastIndex())
      assert(false, `commit ${index} beyond last index ${this.lastIndex()}`);
    this.committed = index;
  }

  /** §5.4.2: advance commit only to an entry of the current term. */
  maybeCommit(index: number, term: number): boolean {
    if (index > this.committed && this.term(index) === term) {
      this.committed = index;
      return true;
    }
    return false;
  }

  /** Entries [lo, hi) from storage and the unstable tail, capped by maxBytes (at least one). */
  slice(lo: number, hi: number, maxBytes = Number.POSITIVE_INFINITY, maxCount = Infinity): Entry[] {
    if (lo < this.firstIndex())
      assert(false, `slice(${lo}) below first index ${this.firstIndex()}`);
    hi = Math.min(hi, this.lastIndex() + 1, lo + maxCount);
    if (lo >= hi) return [];
    const off = this.unstableOffset;
    if (lo >= off) {
      // All unstable (a leader's fresh proposals).
      const u = this.unstable;
      return copyRun(u, lo - off, endWithinBytes(u, lo - off, hi - off, maxBytes));
    }
    const stableHi = Math.min(hi, off);
    const out = this.storage.entries(lo, stableHi, maxBytes);
    // Done when the run ends in storage or hit the byte cap there.
    if (hi <= off || out.length < stableHi - lo) return out;
    let bytes = 0;
    if (maxBytes !== Number.POSITIVE_INFINITY) for (const e of out) bytes += entrySizeBytes(e);
    for (let i = Math.max(lo, this.unstableOffset); i < hi; i++) {
      const e = this.unstable[i - this.unstableOffset]!;
      bytes += entrySizeBytes(e);
      if (out.length > 0 && bytes > maxBytes) break;
      out.push(e);
    }
    return out;
  }

  /** Replaces the whole log with a snapshot from the leader (§7). */
  restore(snap: Snapshot): void {
    this.unstableSnapshot = snap;
    this.clearUnstable();
    this.unstableOffset = snap.index + 1;
    this.committed = snap.index;
  }

  /** The unstable entries, to read (not to keep: see lendUnstable). */
  unstableEntries(): readonly Entry[] {
    return this.unstable;
  }

  /**
   * The unstable entries for a Ready: the array itself, no copy. The log
   * never changes a lent array (the next change starts a fresh one), so the
   * application may keep it.
   */
  lendUnstable(): Entry[] {
    if (this.unstable.length === 0) return NO_ENTRIES;
    this.unstableLent = true;
    return this.unstable;
  }

  hasNextCommitted(): boolean {
    return this.committed > Math.max(this.applied, this.firstIndex() - 1);
  }

  nextCommitted(maxCount: number): Entry[] {
    const lo = Math.max(this.applied + 1, this.firstIndex());
    if (lo > this.committed) return [];
    return this.slice(lo, this.committed + 1, Number.POSITIVE_INFINITY, maxCount);
  }

  /** The application persisted the unstable entries up to (index, term). */
  stableTo(index: number, term: number): void {
    if (index < this.unstableOffset) return;
    if (this.term(index) !== term) return; // replaced since the Ready: keep them unstable
    const n = index - this.unstableOffset + 1;
    const u = this.unstable;
    if (n >= u.length) this.clearUnstable();
    else if (this.unstableLent) {
      this.unstable = u.slice(n);
      this.unstableLent = false;
    } else {
      u.copyWithin(0, n);
      u.length -= n;
    }
    this.unstableOffset = index + 1;
  }

  stableSnapTo(index: number): void {
    if (this.unstableSnapshot && this.unstableSnapshot.index === index)
      this.unstableSnapshot = null;
  }

  appliedTo(index: number): void {
    if (index > this.applied) this.applied = index;
  }
}
