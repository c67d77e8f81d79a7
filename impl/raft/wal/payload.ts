/**
 * Payload layouts of the WAL record types (little-endian; u64 values are
 * limited to Number.MAX_SAFE_INTEGER). Decoders check every length and throw
 * PayloadError, which the reader reports with the file and offset.
 *
 *   SegmentHeader: u64 sequence, u32 seed crc (last crc of the previous segment)
 *   Entry:         u64 term, u64 index, u8 type, data (the rest)
 *   HardState:     u64 term, i32 vote, u64 commit
 *   Snapshot:      u64 index, u64 term, u32 peer count, i32 per peer
 *   State:         Snapshot layout, then u64 offset index, u64 offset term, HardState layout
 */
import type { Entry, EntryType, HardState } from "../types.ts";
import { MAX_PEERS } from "./limits.ts";

export class PayloadError extends Error {
  override name = "PayloadError";
}

export interface SegmentHeader {
  seq: number;
  seedCrc: number;
}

/** What a snapshot covers (its data lives in the snapshot file). */
export interface SnapshotMeta {
  index: number;
  term: number;
  peers: number[];
}

/** A checkpoint of the whole log state except the entries that follow it. */
export interface LogStateRecord {
  snap: SnapshotMeta;
  /** Entries at or below offsetIndex are compacted away; offsetTerm is the term at offsetIndex. */
  offsetIndex: number;
  offsetTerm: number;
  hard: HardState;
}

const HARD_BYTES = 8 + 4 + 8;
export const ENTRY_HEAD_BYTES = 8 + 8 + 1;

class Writer {
  readonly bytes: Uint8Array;
  private readonly view: DataView;
  private at = 0;
  constructor(size: number) {
    this.bytes = new Uint8Array(size);
    this.view = new DataView(this.bytes.buffer);
  }
  u8(v: number): void {
    this.view.setUint8(this.at++, v);
  }
  u32(v: number): void {
    this.view.setUint32(this.at, v, true);
    this.at += 4;
  }
  i32(v: number): void {
    this.view.setInt32(this.at, v, true);
    this.at += 4;
  }
  u64(v: number): void {
    if (!Number.isSafeInteger(v) || v < 0) throw new PayloadError(`u64 out of range: ${v}`);
    this.view.setUint32(this.at, v % 2 ** 32, true);
    this.view.setUint32(this.at + 4, Math.floor(v / 2 ** 32), true);
    this.at += 8;
  }
  raw(b: Uint8Array): void {
    this.bytes.set(b, this.at);
    this.at += b.byteLength;
  }
  done(): Uint8Array {
    if (this.at !== this.bytes.length) throw new PayloadError("payload size mismatch (writer)");
    return this.bytes;
  }
}

class Reader {
  private readonly view: DataView;
  private at = 0;
  constructor(private readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  private need(n: number): void {
    if (this.at + n > this.bytes.length)
      throw new PayloadError(
        `payload truncated: need ${n} bytes at ${this.at} of ${this.bytes.length}`,
      );
  }
  u8(): number {
    this.need(1);
    return this.view.getUint8(this.at++);
  }
  u32(): number {
    this.need(4);
    const v = this.view.getUint32(this.at, true);
    this.at += 4;
    return v;
  }
  i32(): number {
    this.need(4);
    const v = this.view.getInt32(this.at, true);
    this.at += 4;
    return v;
  }
  u64(): number {
    this.need(8);
    const lo = this.view.getUint32(this.at, true);
    const hi = this.view.getUint32(this.at + 4, true);
    this.at += 8;
    const v = hi * 2 ** 32 + lo;
    if (!Number.isSafeInteger(v)) throw new PayloadError(`u64 beyond 2^53: hi ${hi}`);
    return v;
  }
  rest(): Uint8Array {
    const out = this.bytes.slice(this.at);
    this.at = this.bytes.length;
    return out;
  }
  end(): void {
    if (this.at !== this.bytes.length)
      throw new PayloadError(`${this.bytes.length - this.at} trailing payload bytes`);
  }
}

export function encodeSegmentHeader(h: SegmentHeader): Uint8Array {
  const w = new Writer(12);
  w.u64(h.seq);
  w.u32(h.seedCrc);
  return w.done();
}

export function decodeSegmentHeader(p: Uint8Array): SegmentHeader {
  const r = new Reader(p);
  const h = { seq: r.u64(), seedCrc: r.u32() };
  r.end();
  return h;
}

export function encodeEntry(e: Entry): Uint8Array {
  const w = new Writer(ENTRY_HEAD_BYTES + e.data.byteLength);
  w.u64(e.term);
  w.u64(e.index);
  w.u8(e.type);
  w.raw(e.data);
  return w.done();
}

export function decodeEntry(p: Uint8Array): Entry {
  const r = new Reader(p);
  const term = r.u64();
  const index = r.u64();
  const type = r.u8();
  if (type !== 0 && type !== 1) throw new PayloadError(`unknown entry type ${type}`);
  return { term, index, type: type as EntryType, data: r.rest() };
}

function writeHard(w: Writer, h: HardState): void {
  w.u64(h.term);
  w.i32(h.vote);
  w.u64(h.commit);
}

function readHard(r: Reader): HardState {
  return { term: r.u64(), vote: r.i32(), commit: r.u64() };
}

export function encodeHardState(h: HardState): Uint8Array {
  const w = new Writer(HARD_BYTES);
  writeHard(w, h);
  return w.done();
}

export function decodeHardState(p: Uint8Array): HardState {
  const r = new Reader(p);
  const h = readHard(r);
  r.end();
  return h;
}

function snapBytes(s: SnapshotMeta): number {
  return 8 + 8 + 4 + 4 * s.peers.length;
}

function writeSnap(w: Writer, s: SnapshotMeta): void {
  if (s.peers.length > MAX_PEERS)
    throw new PayloadError(`${s.peers.length} peers over ${MAX_PEERS}`);
  w.u64(s.index);
  w.u64(s.term);
  w.u32(s.peers.length);
  for (const p of s.peers) w.i32(p);
}

function readSnap(r: Reader): SnapshotMeta {
  const index = r.u64();
  const term = r.u64();
  const n = r.u32();
  if (n > MAX_PEERS) throw new PayloadError(`peer count ${n} over ${MAX_PEERS}`);
  const peers: number[] = [];
  for (let i = 0; i < n; i++) peers.push(r.i32());
  return { index, term, peers };
}

export function encodeSnapshotMeta(s: SnapshotMeta): Uint8Array {
  const w = new Writer(snapBytes(s));
  writeSnap(w, s);
  return w.done();
}

export function decodeSnapshotMeta(p: Uint8Array): SnapshotMeta {
  const r = new Reader(p);
  const s = readSnap(r);
  r.end();
  return s;
}

export function encodeLogState(s: LogStateRecord): Uint8Array {
  const w = new Writer(snapBytes(s.snap) + 16 + HARD_BYTES);
  writeSnap(w, s.snap);
  w.u64(s.offsetIndex);
  w.u64(s.offsetTerm);
  writeHard(w, s.hard);
  return w.done();
}

export function decodeLogState(p: Uint8Array): LogStateRecord {
  const r = new Reader(p);
  const snap = readSnap(r);
  const offsetIndex = r.u64();
  const offsetTerm = r.u64();
  const hard = readHard(r);
  r.end();
  return { snap, offsetIndex, offsetTerm, hard };
}
