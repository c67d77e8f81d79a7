/**
 * Binary encoding of Raft messages for a byte transport (the later TCP one).
 * Little-endian; integers that may exceed 32 bits (terms, indexes) as u64
 * limited to Number.MAX_SAFE_INTEGER. Decoding checks every bound and refuses
 * truncated input, trailing bytes, unknown types and absurd counts.
 *
 * Byte map:
 *   0  u8   version (CODEC_VERSION)
 *   1  u8   message type (MessageType)
 *   2  u16  field flags (FLAG_*), which optional fields follow
 *   4  i32  from   (NONE = -1 allowed)
 *   8  i32  to
 *  12  u64  term
 *  20  then, in this order, each present field:
 *      logTerm u64 | index u64 | commit u64 | rejectHint u64 |
 *      entries: u32 count, then per entry u64 term, u64 index, u8 type, u32 len, len bytes |
 *      snapshot: u64 index, u64 term, u32 peer count, i32 per peer, u32 len, len bytes
 *  reject and transfer are flag bits (present + value), no bytes.
 */
import { assert } from "../core/assert.ts";
import type { Entry, Message, MessageType, Snapshot } from "./types.ts";
import { MESSAGE_TYPE_MAX } from "./types.ts";

export const CODEC_VERSION = 1;
const HEADER_BYTES = 20;
/** Limits on decoded counts, so a corrupt length cannot make us allocate wildly. */
export const MAX_ENTRIES_PER_MESSAGE = 1 << 20;
export const MAX_PEERS = 1 << 16;

const FLAG_LOG_TERM = 1 << 0;
const FLAG_INDEX = 1 << 1;
const FLAG_COMMIT = 1 << 2;
const FLAG_REJECT_HINT = 1 << 3;
const FLAG_ENTRIES = 1 << 4;
const FLAG_SNAPSHOT = 1 << 5;
const FLAG_REJECT = 1 << 6;
const FLAG_REJECT_VALUE = 1 << 7;
const FLAG_TRANSFER = 1 << 8;
const FLAG_TRANSFER_VALUE = 1 << 9;
const FLAGS_KNOWN = (1 << 10) - 1;

const ENTRY_HEADER_BYTES = 8 + 8 + 1 + 4;

/** Exact encoded size of `m` in bytes. */
export function encodedSizeBytes(m: Message): number {
  let n = HEADER_BYTES;
  if (m.logTerm !== undefined) n += 8;
  if (m.index !== undefined) n += 8;
  if (m.commit !== undefined) n += 8;
  if (m.rejectHint !== undefined) n += 8;
  if (m.entries !== undefined) {
    n += 4;
    for (const e of m.entries) n += ENTRY_HEADER_BYTES + e.data.byteLength;
  }
  if (m.snapshot !== undefined)
    n += 8 + 8 + 4 + 4 * m.snapshot.peers.length + 4 + m.snapshot.data.byteLength;
  return n;
}

export function encodeMessage(m: Message): Uint8Array {
  const out = new Uint8Array(encodedSizeBytes(m));
  const w = new Writer(out);
  assert(m.type >= 0 && m.type <= MESSAGE_TYPE_MAX, () => `encode: bad message type ${m.type}`);
  w.u8(CODEC_VERSION);
  w.u8(m.type);
  w.u16(flagsOf(m));
  w.i32(m.from);
  w.i32(m.to);
  w.u64(m.term);
  if (m.logTerm !== undefined) w.u64(m.logTerm);
  if (m.index !== undefined) w.u64(m.index);
  if (m.commit !== undefined) w.u64(m.commit);
  if (m.rejectHint !== undefined) w.u64(m.rejectHint);
  if (m.entries !== undefined) {
    assert(m.entries.length <= MAX_ENTRIES_PER_MESSAGE, "encode: too many entries");
    w.u32(m.entries.length);
    for (const e of m.entries) {
      w.u64(e.term);
      w.u64(e.index);
      assert(e.type === 0 || e.type === 1, () => `encode: unknown entry type ${e.type}`);
      w.u8(e.type);
      w.bytes(e.data);
    }
  }
  if (m.snapshot !== undefined) {
    const s = m.snapshot;
    assert(s.peers.length <= MAX_PEERS, "encode: too many peers");
    w.u64(s.index);
    w.u64(s.term);
    w.u32(s.peers.length);
    for (const p of s.peers) w.i32(p);
    w.bytes(s.data);
  }
  assert(w.pos === out.length, "encode: size mismatch");
  return out;
}

function flagsOf(m: Message): number {
  let f = 0;
  if (m.logTerm !== undefined) f |= FLAG_LOG_TERM;
  if (m.index !== undefined) f |= FLAG_INDEX;
  if (m.commit !== undefined) f |= FLAG_COMMIT;
  if (m.rejectHint !== undefined) f |= FLAG_REJECT_HINT;
  if (m.entries !== undefined) f |= FLAG_ENTRIES;
  if (m.snapshot !== undefined) f |= FLAG_SNAPSHOT;
  if (m.reject !== undefined) f |= FLAG_REJECT | (m.reject ? FLAG_REJECT_VALUE : 0);
  if (m.transfer !== undefined) f |= FLAG_TRANSFER | (m.transfer ? FLAG_TRANSFER_VALUE : 0);
  return f;
}

/** Decodes one message occupying all of `bytes`; throws on any malformation. */
export function decodeMessage(bytes: Uint8Array): Message {
  const r = new Reader(bytes);
  const version = r.u8();
  assert(version === CODEC_VERSION, () => `decode: unknown version ${version}`);
  const type = r.u8();
  assert(type <= MESSAGE_TYPE_MAX, () => `decode: unknown message type ${type}`);
  const flags = r.u16();
  assert((flags & ~FLAGS_KNOWN) === 0, () => `decode: unknown flags 0x${flags.toString(16)}`);
  const m: Message = { type: type as MessageType, from: r.i32(), to: r.i32(), term: r.u64() };
  if (flags & FLAG_LOG_TERM) m.logTerm = r.u64();
  if (flags & FLAG_INDEX) m.index = r.u64();
  if (flags & FLAG_COMMIT) m.commit = r.u64();
  if (flags & FLAG_REJECT_HINT) m.rejectHint = r.u64();
  if (flags & FLAG_ENTRIES) m.entries = readEntries(r);
  if (flags & FLAG_SNAPSHOT) m.snapshot = readSnapshot(r);
  if (flags & FLAG_REJECT) m.reject = (flags & FLAG_REJECT_VALUE) !== 0;
  if (flags & FLAG_TRANSFER) m.transfer = (flags & FLAG_TRANSFER_VALUE) !== 0;
  assert(r.pos === bytes.length, () => `decode: ${bytes.length - r.pos} trailing bytes`);
  return m;
}

function readEntries(r: Reader): Entry[] {
  const count = r.u32();
  assert(count <= MAX_ENTRIES_PER_MESSAGE, () => `decode: entry count ${count} over limit`);
  assert(count * ENTRY_HEADER_BYTES <= r.remaining(), "decode: entry count exceeds input");
  const out: Entry[] = [];
  for (let i = 0; i < count; i++) {
    const term = r.u64();
    const index = r.u64();
    const type = r.u8();
    assert(type === 0 || type === 1, () => `decode: unknown entry type ${type}`);
    out.push({ term, index, type, data: r.bytes() });
  }
  return out;
}

function readSnapshot(r: Reader): Snapshot {
  const index = r.u64();
  const term = r.u64();
  const peerCount = r.u32();
  assert(peerCount <= MAX_PEERS, () => `decode: peer count ${peerCount} over limit`);
  assert(peerCount * 4 <= r.remaining(), "decode: peer count exceeds input");
  const peers: number[] = [];
  for (let i = 0; i < peerCount; i++) peers.push(r.i32());
  return { index, term, peers, data: r.bytes() };
}

class Writer {
  private readonly view: DataView;
  pos = 0;
  constructor(private readonly out: Uint8Array) {
    this.view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  }
  u8(v: number): void {
    this.view.setUint8(this.pos, v);
    this.pos += 1;
  }
  u16(v: number): void {
    this.view.setUint16(this.pos, v, true);
    this.pos += 2;
  }
  u32(v: number): void {
    assert(
      Number.isInteger(v) && v >= 0 && v <= 0xffffffff,
      () => `encode: u32 out of range: ${v}`,
    );
    this.view.setUint32(this.pos, v, true);
    this.pos += 4;
  }
  i32(v: number): void {
    assert(
      Number.isInteger(v) && v >= -1 && v <= 0x7fffffff,
      () => `encode: node id out of range: ${v}`,
    );
    this.view.setInt32(this.pos, v, true);
    this.pos += 4;
  }
  u64(v: number): void {
    assert(Number.isSafeInteger(v) && v >= 0, () => `encode: u64 out of range: ${v}`);
    this.view.setUint32(this.pos, v % 4294967296, true);
    this.view.setUint32(this.pos + 4, Math.floor(v / 4294967296), true);
    this.pos += 8;
  }
  bytes(b: Uint8Array): void {
    this.u32(b.byteLength);
    this.out.set(b, this.pos);
    this.pos += b.byteLength;
  }
}

class Reader {
  private readonly view: DataView;
  pos = 0;
  constructor(private readonly input: Uint8Array) {
    this.view = new DataView(input.buffer, input.byteOffset, input.byteLength);
  }
  remaining(): number {
    return this.input.length - this.pos;
  }
  private need(n: number): void {
    assert(
      this.pos + n <= this.input.length,
      () => `decode: truncated at byte ${this.pos} (need ${n})`,
    );
  }
  u8(): number {
    this.need(1);
    return this.view.getUint8(this.pos++);
  }
  u16(): number {
    this.need(2);
    const v = this.view.getUint16(this.pos, true);
    this.pos += 2;
    return v;
  }
  u32(): number {
    this.need(4);
    const v = this.view.getUint32(this.pos, true);
    this.pos += 4;
    return v;
  }
  i32(): number {
    this.need(4);
    const v = this.view.getInt32(this.pos, true);
    assert(v >= -1, () => `decode: node id ${v} out of range`);
    this.pos += 4;
    return v;
  }
  u64(): number {
    this.need(8);
    const lo = this.view.getUint32(this.pos, true);
    const hi = this.view.getUint32(this.pos + 4, true);
    assert(hi <= 0x1fffff, () => `decode: u64 at byte ${this.pos} exceeds 2^53`);
    this.pos += 8;
    return hi * 4294967296 + lo;
  }
  /** A u32 length then that many bytes, copied so the message owns them. */
  bytes(): Uint8Array {
    const len = this.u32();
    this.need(len);
    const b = this.input.slice(this.pos, this.pos + len);
    this.pos += len;
    return b;
  }
}
