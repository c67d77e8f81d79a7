/**
 * LogState: the in-memory picture of what the WAL holds (snapshot meta, log
 * offset, entries, hard state), with the replay rules the WAL's records
 * follow. The FileStorage serves every read from it, and recovery and the
 * offline reader rebuild it by replaying records in order. One owner.
 */
import { assert } from "../../core/assert.ts";
import { CompactedError, entrySizeBytes } from "../storage.ts";
import type { Entry, HardState } from "../types.ts";
import { NONE } from "../types.ts";
import type { LogStateRecord, SnapshotMeta } from "./payload.ts";

export class ReplayError extends Error {
  override name = "ReplayError";
}

export class LogState {
  hard: HardState = { term: 0, vote: NONE, commit: 0 };
  snap: SnapshotMeta;
  /** Entries at or below offsetIndex are compacted; ents[0] has index offsetIndex + 1. */
  offsetIndex = 0;
  offsetTerm = 0;
  ents: Entry[] = [];

  constructor(peers: number[] = []) {
    this.snap = { index: 0, term: 0, peers: [...peers] };
  }

  firstIndex(): number {
    return this.offsetIndex + 1;
  }

  lastIndex(): number {
    return this.offsetIndex + this.ents.length;
  }

  term(i: number): number {
    if (i < this.offsetIndex)
      throw new CompactedError(`term(${i}): compacted (first index ${this.offsetIndex + 1})`);
    assert(i <= this.lastIndex(), () => `term(${i}): beyond last index ${this.lastIndex()}`);
    return i === this.offsetIndex ? this.offsetTerm : this.ents[i - this.offsetIndex - 1]!.term;
  }

  entries(lo: number, hi: number, maxBytes: number): Entry[] {
    if (lo <= this.offsetIndex)
      throw new CompactedError(`entries(${lo}): compacted (first index ${this.offsetIndex + 1})`);
    assert(lo <= hi && hi <= this.lastIndex() + 1, () => `entries(${lo}, ${hi}) out of bounds`);
    const out: Entry[] = [];
    let bytes = 0;
    for (let i = lo; i < hi; i++) {
      const e = this.ents[i - this.offsetIndex - 1]!;
      bytes += entrySizeBytes(e);
      if (out.length > 0 && bytes > maxBytes) break;
      out.push(e);
    }
    return out;
  }

  /**
   * Index of the first entry of `entries` that append() would keep (those at
   * or below the offset are skipped), after checking there is no gap.
   */
  appendStart(entries: readonly Entry[]): number {
    let start = 0;
    while (start < entries.length && entries[start]!.index <= this.offsetIndex) start++;
    if (start === entries.length) return start;
    const first = entries[start]!.index;
    if (first > this.lastIndex() + 1)
      throw new ReplayError(`append: gap (first ${first}, last ${this.lastIndex()})`);
    for (let i = start + 1; i < entries.length; i++)
      if (entries[i]!.index !== entries[i - 1]!.index + 1)
        throw new ReplayError("append: entries not contiguous");
    return start;
  }

  /** One entry: replaces the suffix from its index on (§5.3 conflicting tail). */
  putEntry(e: Entry): void {
    if (e.index <= this.offsetIndex) return;
    if (e.index > this.lastIndex() + 1)
      throw new ReplayError(`entry ${e.index} leaves a gap after last index ${this.lastIndex()}`);
    this.ents.length = e.index - this.offsetIndex - 1;
    this.ents.push(e);
  }

  /** A locally taken snapshot (only a newer one counts). */
  putSnapshot(meta: SnapshotMeta): void {
    if (meta.index <= this.snap.index) return;
    this.snap = { index: meta.index, term: meta.term, peers: [...meta.peers] };
  }

  /** Drops entries up to and including `index` (<= the snapshot's index). */
  compact(index: number): void {
    if (index <= this.offsetIndex) return;
    assert(index <= this.lastIndex(), () => `compact(${index}) beyond ${this.lastIndex()}`);
    assert(index <= this.snap.index, () => `compact(${index}) beyond snapshot ${this.snap.index}`);
    this.offsetTerm = this.term(index);
    this.ents = this.ents.slice(index - this.offsetIndex);
    this.offsetIndex = index;
  }

  /** A snapshot from the leader replaces the whole log. */
  install(meta: SnapshotMeta): void {
    this.snap = { index: meta.index, term: meta.term, peers: [...meta.peers] };
    this.offsetIndex = meta.index;
    this.offsetTerm = meta.term;
    this.ents = [];
  }

  /** A checkpoint record: the state it names, with no entries yet (they follow it). */
  reset(s: LogStateRecord): void {
    this.snap = { index: s.snap.index, term: s.snap.term, peers: [...s.snap.peers] };
    this.offsetIndex = s.offsetIndex;
    this.offsetTerm = s.offsetTerm;
    this.hard = { ...s.hard };
    this.ents = [];
  }

  toRecord(): LogStateRecord {
    return {
      snap: { index: this.snap.index, term: this.snap.term, peers: [...this.snap.peers] },
      offsetIndex: this.offsetIndex,
      offsetTerm: this.offsetTerm,
      hard: { ...this.hard },
    };
  }
}
