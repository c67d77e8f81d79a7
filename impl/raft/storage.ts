/**
 * Storage: where a Raft node reads its persisted log, hard state and
 * snapshot. The node only reads through this interface; the application
 * writes (MemoryStorage.append/setHardState/applySnapshot) while handling a
 * Ready, before sending that Ready's messages. A file WAL implements the same
 * interface later.
 *
 * Indexing: entries are 1-based; index 0 with term 0 is the empty log's
 * sentinel. After compaction, firstIndex() = snapshot.index + 1 and term() of
 * snapshot.index is still known (snapshot.term).
 */
import { assert } from "../core/assert.ts";
import type { Entry, HardState, NodeId, Snapshot } from "./types.ts";
import { NONE } from "./types.ts";

/** Thrown by term()/entries() when asked about an index compacted away. */
export class CompactedError extends Error {
  override name = "CompactedError";
}

export interface Storage {
  /** Persisted hard state and membership (from the last snapshot or config). */
  initialState(): { hardState: HardState; peers: NodeId[] };
  /** Entries [lo, hi), at least one if lo < hi, capped by maxBytes total payload. Throws CompactedError if lo < firstIndex(). */
  entries(lo: number, hi: number, maxBytes?: number): Entry[];
  /** Term of entry i, for i in [firstIndex()-1, lastIndex()]. Throws CompactedError below. */
  term(i: number): number;
  /** First index still in the log (snapshot.index + 1). */
  firstIndex(): number;
  lastIndex(): number;
  /** The latest snapshot (index 0 when none). */
  snapshot(): Snapshot;
}

/** Payload bytes an entry counts against a size limit (data plus a fixed header). */
export function entrySizeBytes(e: Entry): number {
  return e.data.byteLength + 24;
}

/**
 * A copy of es[from..to), from < to: one entry (most Apps, most applies) as
 * a literal, more by push. Not es.slice(from, to): with arguments, slice
 * leaves the JIT for the runtime, measured about 2% of the simulator's time
 * dearer for these one-to-few-entry copies.
 */
export function copyRun(es: readonly Entry[], from: number, to: number): Entry[] {
  if (to - from === 1) return [es[from]!];
  const out: Entry[] = [];
  for (let k = from; k < to; k++) out.push(es[k]!);
  return out;
}

/**
 * Where a size-capped run of es[from..to) ends (exclusive): the first entry
 * always counts, then entries while the running total stays <= maxBytes.
 * from < to.
 */
export function endWithinBytes(
  es: readonly Entry[],
  from: number,
  to: number,
  maxBytes: number,
): number {
  if (maxBytes === Number.POSITIVE_INFINITY) return to;
  let bytes = entrySizeBytes(es[from]!);
  let k = from + 1;
  for (; k < to; k++) {
    bytes += entrySizeBytes(es[k]!);
    if (bytes > maxBytes) break;
  }
  return k;
}

/**
 * An in-memory Storage. "Persisting" is calling append/setHardState/
 * applySnapshot; a simulator models a crash by keeping only what was written
 * here. Not thread-safe: one owner.
 */
export class MemoryStorage implements Storage {
  private hard: HardState = { term: 0, vote: NONE, commit: 0 };
  private snap: Snapshot;
  /** ents[0] is a sentinel at snap.index with snap.term; real entries follow. */
  private ents: Entry[];
  /** ents[0].index, kept in a field: every term/firstIndex/lastIndex reads it (several per message). */
  private offset = 0;

  constructor(peers: NodeId[] = []) {
    this.snap = { index: 0, term: 0, peers: [...peers], data: new Uint8Array(0) };
    this.ents = [sentinel(0, 0)];
  }

  initialState(): { hardState: HardState; peers: NodeId[] } {
    return { hardState: { ...this.hard }, peers: [...this.snap.peers] };
  }

  get hardState(): HardState {
    return { ...this.hard };
  }

  setHardState(hs: HardState): void {
    // Copied field by field into our own record (never handed out: readers get copies),
    // so the caller may reuse hs and no object is built per write.
    const h = this.hard;
    h.term = hs.term;
    h.vote = hs.vote;
    h.commit = hs.commit;
  }

  /** Sets membership when there is no snapshot yet (bootstrap). */
  setPeers(peers: NodeId[]): void {
    this.snap = { ...this.snap, peers: [...peers] };
  }

  firstIndex(): number {
    return this.offset + 1;
  }

  lastIndex(): number {
    return this.offset + this.ents.length - 1;
  }

  term(i: number): number {
    const offset = this.offset;
    if (i < offset) throw new CompactedError(`term(${i}): compacted (first index ${offset + 1})`);
    const e = this.ents[i - offset];
    // Checked without assert's message closure: this runs several times per message.
    if (e === undefined) assert(false, `term(${i}): beyond last index ${this.lastIndex()}`);
    return e.term;
  }

  entries(lo: number, hi: number, maxBytes = Number.POSITIVE_INFINITY): Entry[] {
    const offset = this.offset;
    if (lo <= offset)
      throw new CompactedError(`entries(${lo}): compacted (first index ${offset + 1})`);
    if (!(lo <= hi && hi <= this.lastIndex() + 1))
      assert(false, `entries(${lo}, ${hi}) out of bounds`);
    if (lo === hi) return [];
    return copyRun(
      this.ents,
      lo - offset,
      endWithinBytes(this.ents, lo - offset, hi - offset, maxBytes),
    );
  }

  snapshot(): Snapshot {
    return this.snap;
  }

  /** Entry i, or undefined outside [firstIndex(), lastIndex()] (one entry without an array). */
  entryAt(i: number): Entry | undefined {
    const offset = this.offset;
    return i > offset && i - offset < this.ents.length ? this.ents[i - offset] : undefined;
  }

  /**
   * Appends entries, truncating any existing suffix from entries[0].index on
   * (a leader overwriting a conflicting tail, §5.3). Entries at or below the
   * snapshot are skipped. Appending must stay contiguous.
   */
  append(entries: readonly Entry[]): void {
    if (entries.length === 0) return;
    const offset = this.offset;
    let start = 0;
    while (start < entries.length && entries[start]!.index <= offset) start++;
    if (start === entries.length) return;
    const first = entries[start]!.index;
    if (first > this.lastIndex() + 1)
      assert(false, `append: gap (first ${first}, last ${this.lastIndex()})`);
    if (this.ents.length !== first - offset) this.ents.length = first - offset; // truncate only on a conflict
    const ents = this.ents;
    for (let i = start; i < entries.length; i++) {
      const e = entries[i]!;
      if (e.index !== offset + ents.length) assert(false, "append: entries not contiguous");
      ents.push(e);
    }
  }

  /** Replaces log and state with a snapshot received from a leader. */
  applySnapshot(snap: Snapshot): void {
    if (snap.index <= this.snap.index) return; // older than ours: nothing to do
    this.snap = { ...snap, peers: [...snap.peers] };
    this.ents = [sentinel(snap.index, snap.term)];
    this.offset = snap.index;
  }

  /**
   * Records a snapshot of the applied state at `index` (<= last index) taken
   * by the application; does not drop entries (call compact for that).
   */
  createSnapshot(index: number, data: Uint8Array, peers?: NodeId[]): Snapshot {
    assert(index <= this.lastIndex(), () => `createSnapshot(${index}) beyond ${this.lastIndex()}`);
    if (index <= this.snap.index) return this.snap;
    this.snap = { index, term: this.term(index), peers: [...(peers ?? this.snap.peers)], data };
    return this.snap;
  }

  /** Drops entries up to and including `index` (which must be <= the snapshot's index, >= first-1). */
  compact(index: number): void {
    const offset = this.offset;
    if (index <= offset) return;
    assert(index <= this.lastIndex(), () => `compact(${index}) beyond ${this.lastIndex()}`);
    // A lagging follower must still be servable by a snapshot covering what is dropped.
    assert(index <= this.snap.index, () => `compact(${index}) beyond snapshot ${this.snap.index}`);
    const t = this.term(index);
    this.ents = [sentinel(index, t), ...this.ents.slice(index - offset + 1)];
    this.offset = index;
  }
}

function sentinel(index: number, term: number): Entry {
  return { term, index, type: 0, data: new Uint8Array(0) }; // the field order of every entry: one object shape
}
