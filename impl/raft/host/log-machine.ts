/**
 * The member's replicated state machine: the committed log as clients see it
 * plus the client sessions that make retries exactly-once.
 *
 * A batch entry from (clientId, seq) is ACCEPTED when seq is the session's
 * next sequence (lastSeq + 1, or any seq for a new session); a seq at or
 * below lastSeq is a DUPLICATE (a retry that reached the log twice: answered
 * with the index it first got, never applied again); a seq beyond lastSeq + 1
 * is a GAP (an earlier append of that client is missing: refused so the
 * client's records stay in its order; the client resends). Every member
 * applies the same entries in the same order, so every member reaches the
 * same verdicts: the visible log is the accepted entries only.
 *
 * Bounded: MAX_SESSIONS sessions (the one applied longest ago is dropped),
 * SESSION_RESULT_WINDOW remembered results per session, and accepted entries
 * only since the last snapshot (older reads get COMPACTED).
 * Owner: the member's event loop.
 */
import { type Entry, EntryType } from "../types.ts";
import { ByteReader, ByteWriter } from "./bytes.ts";
import { decodeEntryPayload, EntryKind } from "./entry-format.ts";
import { MAX_SESSIONS, SESSION_RESULT_WINDOW } from "./limits.ts";

export interface AcceptedEntry {
  index: number;
  clientId: number;
  seq: number;
  records: Uint8Array[];
}

export type ApplyOutcome =
  | { kind: "accepted"; clientId: number; seq: number; index: number; records: number }
  | { kind: "duplicate"; clientId: number; seq: number; index: number | null }
  | { kind: "gap"; clientId: number; seq: number; expectedSeq: number }
  | { kind: "barrier"; index: number }
  | { kind: "noop" };

interface Session {
  lastSeq: number;
  /** seq -> log index, the last SESSION_RESULT_WINDOW accepted seqs. */
  results: Map<number, number>;
}

export class LogMachine {
  appliedIndex = 0;
  /** Index of the snapshot this state started from; reads below it are compacted. */
  baseIndex = 0;
  acceptedCount = 0;
  duplicateCount = 0;
  gapCount = 0;
  private readonly sessions = new Map<number, Session>();
  private accepted: AcceptedEntry[] = [];

  apply(e: Entry): ApplyOutcome {
    if (e.index <= this.appliedIndex) return { kind: "noop" }; // re-delivered below a restored snapshot
    this.appliedIndex = e.index;
    if (e.type !== EntryType.Normal) return { kind: "noop" };
    const p = decodeEntryPayload(e.data);
    if (p.kind === EntryKind.Barrier) return { kind: "barrier", index: e.index };
    const s = this.sessions.get(p.clientId);
    if (s && p.seq <= s.lastSeq) {
      this.duplicateCount++;
      return {
        kind: "duplicate",
        clientId: p.clientId,
        seq: p.seq,
        index: s.results.get(p.seq) ?? null,
      };
    }
    if (s && p.seq !== s.lastSeq + 1) {
      this.gapCount++;
      return { kind: "gap", clientId: p.clientId, seq: p.seq, expectedSeq: s.lastSeq + 1 };
    }
    this.remember(p.clientId, p.seq, e.index, s);
    this.accepted.push({ index: e.index, clientId: p.clientId, seq: p.seq, records: p.records });
    this.acceptedCount++;
    return {
      kind: "accepted",
      clientId: p.clientId,
      seq: p.seq,
      index: e.index,
      records: p.records.length,
    };
  }

  /** The index a committed (clientId, seq) got, if remembered. */
  resultOf(clientId: number, seq: number): number | null | undefined {
    const s = this.sessions.get(clientId);
    if (!s || seq > s.lastSeq) return undefined; // not applied yet
    return s.results.get(seq) ?? null;
  }

  /** Accepted entries with index >= from, at most maxEntries; null when `from` is compacted. */
  read(from: number, maxEntries: number): AcceptedEntry[] | null {
    if (from <= this.baseIndex && this.baseIndex > 0) return null;
    let lo = 0;
    let hi = this.accepted.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.accepted[mid]!.index < from) lo = mid + 1;
      else hi = mid;
    }
    return this.accepted.slice(lo, lo + maxEntries);
  }

  private remember(clientId: number, seq: number, index: number, s: Session | undefined): void {
    const session = s ?? { lastSeq: 0, results: new Map() };
    session.lastSeq = seq;
    session.results.set(seq, index);
    if (session.results.size > SESSION_RESULT_WINDOW) {
      session.results.delete(session.results.keys().next().value!);
    }
    // Re-insert so Map order is "applied longest ago first" for eviction.
    this.sessions.delete(clientId);
    this.sessions.set(clientId, session);
    if (this.sessions.size > MAX_SESSIONS) this.sessions.delete(this.sessions.keys().next().value!);
  }

  /**
   * Snapshot at appliedIndex: the sessions (the visible log before it is
   * compacted away). Layout: u64 appliedIndex, u32 sessions, per session
   * u64 clientId, u64 lastSeq, u32 results, results x (u64 seq, u64 index).
   */
  snapshot(): Uint8Array {
    const w = new ByteWriter(64 + this.sessions.size * 32);
    w.u64(this.appliedIndex).u32(this.sessions.size);
    for (const [id, s] of this.sessions) {
      w.u64(id).u64(s.lastSeq).u32(s.results.size);
      for (const [seq, index] of s.results) w.u64(seq).u64(index);
    }
    return w.finish();
  }

  /** Drops accepted entries at or below `index` (after a snapshot there). */
  compact(index: number): void {
    this.baseIndex = Math.max(this.baseIndex, index);
    let n = 0;
    while (n < this.accepted.length && this.accepted[n]!.index <= index) n++;
    this.accepted = this.accepted.slice(n);
  }

  restore(data: Uint8Array): void {
    const r = new ByteReader(data);
    this.appliedIndex = r.u64("appliedIndex");
    this.baseIndex = this.appliedIndex;
    this.accepted = [];
    this.sessions.clear();
    const n = r.u32("sessions");
    for (let i = 0; i < n; i++) {
      const id = r.u64("clientId");
      const lastSeq = r.u64("lastSeq");
      const m = r.u32("results");
      const results = new Map<number, number>();
      for (let j = 0; j < m; j++) results.set(r.u64("seq"), r.u64("index"));
      this.sessions.set(id, { lastSeq, results });
    }
    r.end("session snapshot");
  }
}
