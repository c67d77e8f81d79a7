/**
 * Bad-input generators and the reference oracle for the fuzz test
 * (test/pipeline.fuzz.test.ts).
 *
 * The oracle reads a connection's whole byte stream the way docs/protocol.md
 * says the server must: frames in order, each checked for length
 * (OVERSIZED as soon as 4 bytes are there, BAD_LENGTH), then version, type,
 * record size, EVENTS length vs count, then each record's lane, payload length
 * and sequence; a frame cut short, then silence, is TRUNCATED; nothing at all
 * is IDLE_TIMEOUT. It is written from the document, independently of
 * impl/pipeline/frame-reader.ts, so the two check each other.
 */
import {
  HEADER_BYTES,
  LANE_COUNT,
  OFF_LANE,
  OFF_PAYLOAD_LEN,
  OFF_SEQUENCE,
} from "../impl/core/record.ts";
import type { Rng } from "../impl/core/rng.ts";
import { ErrorCode, EVENTS_HEADER_BYTES, FRAME_HEADER_BYTES } from "../impl/pipeline/protocol.ts";
import { eventsFrame } from "./pipeline-helpers.ts";

export interface OracleLimits {
  recordBytes: number;
  maxFrameBytes: number;
}

/** The error the server must send for this byte stream (then silence), or null if it is all valid frames. */
export function expectedError(bytes: Uint8Array, lim: OracleLimits): ErrorCode | null {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let at = 0;
  let seq = 0;
  // Bounded: every valid frame advances `at` by at least FRAME_HEADER_BYTES.
  while (at < bytes.length) {
    const left = bytes.length - at;
    if (left < 4) return ErrorCode.TRUNCATED;
    const frameBytes = dv.getUint32(at, true);
    if (frameBytes > lim.maxFrameBytes) return ErrorCode.OVERSIZED;
    if (frameBytes < FRAME_HEADER_BYTES) return ErrorCode.BAD_LENGTH;
    if (left < FRAME_HEADER_BYTES) return ErrorCode.TRUNCATED;
    if (bytes[at + 5] !== 1) return ErrorCode.BAD_VERSION;
    if (bytes[at + 4] !== 1) return ErrorCode.UNKNOWN_TYPE;
    if (dv.getUint16(at + 6, true) !== lim.recordBytes) return ErrorCode.BAD_RECORD_SIZE;
    if (frameBytes < EVENTS_HEADER_BYTES) return ErrorCode.BAD_LENGTH;
    if (left < EVENTS_HEADER_BYTES) return ErrorCode.TRUNCATED;
    const count = dv.getUint32(at + 8, true);
    if (frameBytes !== EVENTS_HEADER_BYTES + count * lim.recordBytes) return ErrorCode.BAD_LENGTH;
    if (left < frameBytes) return ErrorCode.TRUNCATED;
    for (let i = 0; i < count; i++) {
      const off = at + EVENTS_HEADER_BYTES + i * lim.recordBytes;
      if (bytes[off + OFF_LANE]! >= LANE_COUNT) return ErrorCode.UNKNOWN_LANE;
      if (dv.getUint16(off + OFF_PAYLOAD_LEN, true) > lim.recordBytes - HEADER_BYTES)
        return ErrorCode.BAD_RECORD;
      if (dv.getUint32(off + OFF_SEQUENCE, true) !== (seq + i) >>> 0) return ErrorCode.BAD_SEQUENCE;
    }
    seq += count;
    at += frameBytes;
  }
  return at === 0 ? ErrorCode.IDLE_TIMEOUT : null;
}

/** Valid events in the leading frames the oracle accepts (sequence numbering of what follows). */
function validPrefix(rng: Rng, rb: number): { bytes: Uint8Array; events: number } {
  if (rng.next() >= 0.3) return { bytes: new Uint8Array(0), events: 0 };
  const frames: Uint8Array[] = [];
  let events = 0;
  const n = 1 + rng.int(3);
  for (let i = 0; i < n; i++) {
    const count = rng.int(6); // 0 records is a valid, empty frame
    frames.push(eventsFrame(rb, events, count));
    events += count;
  }
  return { bytes: concat(frames), events };
}

export function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

/** A frame broken in exactly one named way (`seq` = the sequence the server expects next). */
function brokenFrame(rng: Rng, kind: FuzzKind, lim: OracleLimits, seq: number): Uint8Array {
  const rb = lim.recordBytes;
  const count = 1 + rng.int(8);
  const f = eventsFrame(rb, seq, count);
  const dv = new DataView(f.buffer);
  const rec = EVENTS_HEADER_BYTES + rng.int(count) * rb;
  switch (kind) {
    case "garbage":
      return rng.int(4) === 0
        ? new Uint8Array(8 + rng.int(200)).map(() => rng.int(256))
        : f.map(() => rng.int(256));
    case "mutated": {
      const flips = 1 + rng.int(3);
      for (let i = 0; i < flips; i++) f[rng.int(f.length)] = rng.int(256);
      return f;
    }
    case "truncated":
      return f.subarray(0, rng.int(f.length));
    case "oversized":
      dv.setUint32(0, lim.maxFrameBytes + 1 + rng.int(0xffffffff - lim.maxFrameBytes), true);
      return f.subarray(0, 4 + rng.int(f.length - 4));
    case "bad-length": {
      const choices = [
        rng.int(FRAME_HEADER_BYTES),
        f.length + 1 + rng.int(rb - 1),
        f.length - 1 - rng.int(rb - 1),
      ];
      const len = choices[rng.int(3)]!;
      dv.setUint32(0, len, true);
      // Send exactly the claimed bytes (zero-padded), so the frame is complete but its length is wrong.
      const out = new Uint8Array(Math.max(len, 4));
      out.set(f.subarray(0, Math.min(f.length, out.length)));
      return out;
    }
    case "bad-version":
      f[5] = [0, 2, 255][rng.int(3)]!;
      return f;
    case "bad-type":
      f[4] = [0, 2, 3, 4, 200][rng.int(5)]!;
      return f;
    case "bad-record-size":
      dv.setUint16(6, [0, 32, 128, 256, 65, 65535][rng.int(6)]!, true);
      return f;
    case "bad-lane":
      f[rec + OFF_LANE] = LANE_COUNT + rng.int(256 - LANE_COUNT);
      return f;
    case "bad-payload-length":
      dv.setUint16(rec + OFF_PAYLOAD_LEN, rb - HEADER_BYTES + 1 + rng.int(1000), true);
      return f;
    case "bad-sequence":
      dv.setUint32(
        rec + OFF_SEQUENCE,
        dv.getUint32(rec + OFF_SEQUENCE, true) + 1 + rng.int(1000),
        true,
      );
      return f;
  }
}

export const FUZZ_KINDS = [
  "garbage",
  "mutated",
  "truncated",
  "oversized",
  "bad-length",
  "bad-version",
  "bad-type",
  "bad-record-size",
  "bad-lane",
  "bad-payload-length",
  "bad-sequence",
] as const;
export type FuzzKind = (typeof FUZZ_KINDS)[number];

/** Relative weights: truncated cases wait out the idle timeout, so they are rarer. */
const WEIGHTS: Record<FuzzKind, number> = {
  garbage: 3,
  mutated: 4,
  truncated: 1,
  oversized: 1,
  "bad-length": 1,
  "bad-version": 1,
  "bad-type": 1,
  "bad-record-size": 1,
  "bad-lane": 1,
  "bad-payload-length": 1,
  "bad-sequence": 1,
};
const TOTAL_WEIGHT = Object.values(WEIGHTS).reduce((a, b) => a + b, 0);

export interface FuzzCase {
  kind: FuzzKind;
  /** Everything the connection sends, possibly split into several writes. */
  bytes: Uint8Array;
  /** Byte offsets where the writes are split. */
  splits: number[];
  expected: ErrorCode;
}

/**
 * One bad connection: maybe some valid frames, then one broken frame. If the
 * oracle finds the whole stream valid (a mutation that only touched payload
 * bytes), a bad-version frame is appended, so every case ends in an error.
 */
export function fuzzCase(rng: Rng, lim: OracleLimits): FuzzCase {
  let pick = rng.next() * TOTAL_WEIGHT;
  let kind: FuzzKind = FUZZ_KINDS[0];
  for (const k of FUZZ_KINDS) {
    pick -= WEIGHTS[k];
    if (pick < 0) {
      kind = k;
      break;
    }
  }
  const prefix = validPrefix(rng, lim.recordBytes);
  let bytes = concat([prefix.bytes, brokenFrame(rng, kind, lim, prefix.events)]);
  let expected = expectedError(bytes, lim);
  if (expected === null) {
    const tail = eventsFrame(lim.recordBytes, 0, 1);
    tail[5] = 9;
    bytes = concat([bytes, tail]);
    expected = expectedError(bytes, lim)!;
  }
  const splits: number[] = [];
  const writes = rng.int(3);
  for (let i = 0; i < writes && bytes.length > 1; i++) splits.push(1 + rng.int(bytes.length - 1));
  splits.sort((a, b) => a - b);
  return { kind, bytes, splits, expected };
}
