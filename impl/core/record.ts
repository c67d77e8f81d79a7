/**
 * The event record: a fixed-size binary record, the unit every queue moves and
 * every allocator materialises. Default 64 bytes (one cache line); 32, 64, 128
 * and 256 are selectable and are a sweep parameter.
 *
 * Byte map (little-endian, offsets from the record start):
 *
 *   0          4          8                   16   17   18    20                     recordBytes
 *   +----------+----------+-------------------+----+----+-----+----------------------+
 *   | producer | sequence | ingestNs (u64)    |lane|type| len | payload ...          |
 *   |   u32    |   u32    | lo u32  | hi u32  | u8 | u8 | u16 | recordBytes-20 bytes |
 *   +----------+----------+-------------------+----+----+-----+----------------------+
 *
 * - id = (producer, sequence): sequence counts per producer from 0 and wraps
 *   modulo 2^32.
 * - ingestNs: CLOCK_MONOTONIC nanoseconds (impl/core/clock.ts), shared by every
 *   thread and process on the host, stored as two u32 words so hot paths can
 *   write it through a Uint32Array without BigInt.
 * - every field is 4-byte aligned within the record, and record sizes are
 *   multiples of 4, so a record in a ring is addressable as u32 words.
 */
import { assert } from "./assert.ts";
import { TWO_POW_32 } from "./words.ts";

export const RECORD_SIZES = [32, 64, 128, 256] as const;
export type RecordBytes = (typeof RECORD_SIZES)[number];
export const DEFAULT_RECORD_BYTES: RecordBytes = 64;

export const OFF_PRODUCER = 0;
export const OFF_SEQUENCE = 4;
export const OFF_INGEST_NS_LO = 8;
export const OFF_INGEST_NS_HI = 12;
export const OFF_LANE = 16;
export const OFF_TYPE = 17;
export const OFF_PAYLOAD_LEN = 18;
export const OFF_PAYLOAD = 20;
/** Bytes of the header, i.e. the smallest record that carries no payload. */
export const HEADER_BYTES = OFF_PAYLOAD;
/**
 * The load generator's client tag (u32) in payload bytes 0..3 when it sends
 * no pattern: the server overwrites the producer field, so a checker of a
 * committed log (`bun run cluster verify --acks`) finds the client's
 * identity here; the sequence field is the client's own.
 */
export const OFF_CLIENT_TAG = OFF_PAYLOAD;
export const CLIENT_TAG_BYTES = 4;
/** Client tag of load connection `index` under `seed`: distinct seeds, distinct tags (up to 4096 connections). */
export function clientTag(seed: number, index: number): number {
  return (((seed & 0xfffff) << 12) | (index & 0xfff)) >>> 0;
}

/** The three bus lanes. Values are the on-wire byte. */
export const Lane = { REALTIME: 0, TRANSACTIONAL: 1, BATCH: 2 } as const;
export type Lane = (typeof Lane)[keyof typeof Lane];
export const LANE_NAMES = ["REALTIME", "TRANSACTIONAL", "BATCH"] as const;
export const LANE_COUNT = 3;

/** A decoded event. `payload` is owned by the caller; `payloadLength` bytes of it are meaningful. */
export interface EventFields {
  producerId: number;
  sequence: number;
  ingestNs: number;
  lane: Lane;
  type: number;
  payloadLength: number;
  payload: Uint8Array;
}

/** Throws unless `recordBytes` is one of RECORD_SIZES. */
export function checkRecordBytes(recordBytes: number): RecordBytes {
  if (!(RECORD_SIZES as readonly number[]).includes(recordBytes)) {
    throw new RangeError(
      `recordBytes must be one of ${RECORD_SIZES.join(", ")}, got ${recordBytes}`,
    );
  }
  return recordBytes as RecordBytes;
}

/** Payload bytes a record of `recordBytes` can carry. */
export function payloadCapacity(recordBytes: number): number {
  return checkRecordBytes(recordBytes) - HEADER_BYTES;
}

/** A fresh EventFields with a payload buffer sized for `recordBytes`. */
export function newEventFields(recordBytes: number = DEFAULT_RECORD_BYTES): EventFields {
  return emptyEventFields(payloadCapacity(recordBytes));
}

/** A fresh zeroed EventFields with a `payloadBytes` buffer, unchecked (callers that checked the size once, like the naive allocator). */
export function emptyEventFields(payloadBytes: number): EventFields {
  return {
    producerId: 0,
    sequence: 0,
    ingestNs: 0,
    lane: Lane.REALTIME,
    type: 0,
    payloadLength: 0,
    payload: new Uint8Array(payloadBytes),
  };
}

/** Writes `ev` into `buf` at byte `offset` as a record of `recordBytes`. Asserts every bound. */
export function encodeRecord(
  buf: Uint8Array,
  offset: number,
  recordBytes: number,
  ev: EventFields,
): void {
  assert(
    Number.isInteger(offset) && offset >= 0 && offset + recordBytes <= buf.length,
    () =>
      `encodeRecord: record [${offset}, ${offset + recordBytes}) outside buffer of ${buf.length} bytes`,
  );
  const cap = payloadCapacity(recordBytes);
  assert(
    ev.payloadLength >= 0 && ev.payloadLength <= cap && ev.payloadLength <= ev.payload.length,
    () =>
      `encodeRecord: payloadLength ${ev.payloadLength} exceeds capacity ${cap} of a ${recordBytes}-byte record`,
  );
  assert(ev.lane >= 0 && ev.lane < LANE_COUNT, () => `encodeRecord: unknown lane ${ev.lane}`);
  assert(ev.type >= 0 && ev.type <= 0xff, () => `encodeRecord: type ${ev.type} is not a u8`);
  assert(ev.ingestNs >= 0, () => `encodeRecord: negative ingestNs ${ev.ingestNs}`);
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  dv.setUint32(offset + OFF_PRODUCER, ev.producerId >>> 0, true);
  dv.setUint32(offset + OFF_SEQUENCE, ev.sequence >>> 0, true);
  dv.setUint32(offset + OFF_INGEST_NS_LO, ev.ingestNs % TWO_POW_32, true);
  dv.setUint32(offset + OFF_INGEST_NS_HI, Math.floor(ev.ingestNs / TWO_POW_32), true);
  buf[offset + OFF_LANE] = ev.lane;
  buf[offset + OFF_TYPE] = ev.type;
  dv.setUint16(offset + OFF_PAYLOAD_LEN, ev.payloadLength, true);
  buf.set(ev.payload.subarray(0, ev.payloadLength), offset + OFF_PAYLOAD);
  buf.fill(0, offset + OFF_PAYLOAD + ev.payloadLength, offset + recordBytes);
}

/** Reads the record at byte `offset` of `buf` into `out` (allocated if absent). Asserts every bound. */
export function decodeRecord(
  buf: Uint8Array,
  offset: number,
  recordBytes: number,
  out: EventFields = newEventFields(recordBytes),
): EventFields {
  assert(
    Number.isInteger(offset) && offset >= 0 && offset + recordBytes <= buf.length,
    () =>
      `decodeRecord: record [${offset}, ${offset + recordBytes}) outside buffer of ${buf.length} bytes`,
  );
  const cap = payloadCapacity(recordBytes);
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const lane = buf[offset + OFF_LANE]!;
  const len = dv.getUint16(offset + OFF_PAYLOAD_LEN, true);
  assert(lane < LANE_COUNT, () => `decodeRecord: unknown lane ${lane} at offset ${offset}`);
  assert(len <= cap, () => `decodeRecord: payloadLength ${len} exceeds capacity ${cap}`);
  assert(
    out.payload.length >= len,
    () => `decodeRecord: out.payload holds ${out.payload.length} < ${len} bytes`,
  );
  out.producerId = dv.getUint32(offset + OFF_PRODUCER, true);
  out.sequence = dv.getUint32(offset + OFF_SEQUENCE, true);
  out.ingestNs =
    dv.getUint32(offset + OFF_INGEST_NS_HI, true) * TWO_POW_32 +
    dv.getUint32(offset + OFF_INGEST_NS_LO, true);
  out.lane = lane as Lane;
  out.type = buf[offset + OFF_TYPE]!;
  out.payloadLength = len;
  out.payload.set(buf.subarray(offset + OFF_PAYLOAD, offset + OFF_PAYLOAD + len));
  return out;
}

/**
 * Hot-path accessors over a buffer of records through a Uint32Array, with no
 * allocation per call. Offsets are byte offsets and must be multiples of 4.
 */
export class RecordWords {
  readonly u32: Uint32Array;
  readonly u8: Uint8Array;
  constructor(
    buffer: ArrayBufferLike,
    byteOffset = 0,
    byteLength = buffer.byteLength - byteOffset,
  ) {
    this.u32 = new Uint32Array(buffer, byteOffset, byteLength >>> 2);
    this.u8 = new Uint8Array(buffer, byteOffset, byteLength);
  }
  producerId(off: number): number {
    return this.u32[(off + OFF_PRODUCER) >>> 2]!;
  }
  sequence(off: number): number {
    return this.u32[(off + OFF_SEQUENCE) >>> 2]!;
  }
  ingestNs(off: number): number {
    const w = (off + OFF_INGEST_NS_LO) >>> 2;
    return this.u32[w + 1]! * TWO_POW_32 + this.u32[w]!;
  }
  lane(off: number): number {
    return this.u8[off + OFF_LANE]!;
  }
  /** Writes the header words (id, timestamp, lane, type, payload length) of the record at `off`. */
  writeHeader(
    off: number,
    producerId: number,
    sequence: number,
    ingestNs: number,
    lane: number,
    type: number,
    payloadLength: number,
  ): void {
    const w = off >>> 2;
    this.u32[w] = producerId;
    this.u32[w + 1] = sequence;
    this.u32[w + 2] = ingestNs % TWO_POW_32;
    this.u32[w + 3] = Math.floor(ingestNs / TWO_POW_32);
    // lane | type << 8 | payloadLength << 16, little-endian in one word
    this.u32[w + 4] = (lane & 0xff) | ((type & 0xff) << 8) | ((payloadLength & 0xffff) << 16);
  }
}

/**
 * The deterministic test payload of event (producer, sequence): byte i is a
 * hash of the id and i. Tests and experiments fill it on push and check it on
 * pop, so a torn or mixed-up record is caught, not just a lost id.
 */
export function patternByte(producerId: number, sequence: number, i: number): number {
  let h =
    Math.imul(producerId + 1, 0x9e3779b1) ^
    Math.imul(sequence + 1, 0x85ebca77) ^
    Math.imul(i + 1, 0xc2b2ae3d);
  h ^= h >>> 15;
  return Math.imul(h, 0x27d4eb2f) >>> 24;
}

/** Writes a full test record (header + pattern payload filling the capacity) at `off`. */
export function writePatternRecord(
  words: RecordWords,
  off: number,
  recordBytes: number,
  producerId: number,
  sequence: number,
  ingestNs: number,
  lane: number = sequence % LANE_COUNT,
): void {
  const cap = recordBytes - HEADER_BYTES;
  words.writeHeader(off, producerId, sequence, ingestNs, lane, sequence & 0xff, cap);
  const p = off + OFF_PAYLOAD;
  for (let i = 0; i < cap; i++) words.u8[p + i] = patternByte(producerId, sequence, i);
}

/** Returns null if the record at `off` carries its pattern payload intact, else a description of the first bad byte. */
export function checkPatternRecord(
  words: RecordWords,
  off: number,
  recordBytes: number,
): string | null {
  const producerId = words.producerId(off);
  const sequence = words.sequence(off);
  const cap = recordBytes - HEADER_BYTES;
  const len = words.u8[off + OFF_PAYLOAD_LEN]! | (words.u8[off + OFF_PAYLOAD_LEN + 1]! << 8);
  if (len !== cap) return `event ${producerId}/${sequence}: payloadLength ${len}, expected ${cap}`;
  const p = off + OFF_PAYLOAD;
  for (let i = 0; i < cap; i++) {
    if (words.u8[p + i] !== patternByte(producerId, sequence, i)) {
      return `event ${producerId}/${sequence}: payload byte ${i} corrupted`;
    }
  }
  return null;
}
