/**
 * impl/core: the seeded RNG is deterministic and uniform enough, the record
 * codec round-trips every field at every record size and refuses out-of-bounds
 * input, and the registry refuses unknown names and unsupported wirings with
 * errors that name the valid choices.
 */
import { describe, expect, test } from "bun:test";
import {
  checkPatternRecord,
  decodeRecord,
  encodeRecord,
  Lane,
  monoNowNs,
  newEventFields,
  payloadCapacity,
  RECORD_SIZES,
  RecordWords,
  Rng,
  writePatternRecord,
} from "../impl/core/index.ts";

describe("Rng", () => {
  test("same seed, same stream; different seeds differ", () => {
    const a = new Rng(42);
    const b = new Rng(42);
    const c = new Rng(43);
    const sa = Array.from({ length: 100 }, () => a.nextU32());
    const sb = Array.from({ length: 100 }, () => b.nextU32());
    const sc = Array.from({ length: 100 }, () => c.nextU32());
    expect(sa).toEqual(sb);
    expect(sa).not.toEqual(sc);
  });
  test("int(n) covers [0, n) roughly uniformly", () => {
    const r = new Rng(7);
    const counts = new Array(10).fill(0);
    for (let i = 0; i < 100_000; i++) counts[r.int(10)]++;
    for (const c of counts) expect(Math.abs(c - 10_000)).toBeLessThan(600);
  });
});

describe("event record", () => {
  for (const size of RECORD_SIZES) {
    test(`${size}-byte record round-trips every field`, () => {
      const rng = new Rng(size);
      const buf = new Uint8Array(size * 3);
      const ev = newEventFields(size);
      ev.producerId = 0xfffffffe;
      ev.sequence = 0xffffffff;
      ev.ingestNs = monoNowNs();
      ev.lane = Lane.BATCH;
      ev.type = 200;
      ev.payloadLength = payloadCapacity(size);
      rng.fill(ev.payload);
      encodeRecord(buf, size, size, ev);
      const out = decodeRecord(buf, size, size);
      expect(out).toEqual(ev);
      // neighbours untouched
      expect(buf.subarray(0, size).every((b) => b === 0)).toBe(true);
      expect(buf.subarray(2 * size).every((b) => b === 0)).toBe(true);
    });
  }
  test("encode/decode refuse out-of-bounds records and bad fields", () => {
    const buf = new Uint8Array(64);
    const ev = newEventFields(64);
    expect(() => encodeRecord(buf, 4, 64, ev)).toThrow(/outside buffer/);
    expect(() => decodeRecord(buf, 1, 64)).toThrow(/outside buffer/);
    ev.payloadLength = 45;
    expect(() => encodeRecord(buf, 0, 64, ev)).toThrow(/exceeds capacity 44/);
    ev.payloadLength = 0;
    ev.lane = 3 as Lane;
    expect(() => encodeRecord(buf, 0, 64, ev)).toThrow(/unknown lane/);
    buf[16] = 9;
    expect(() => decodeRecord(buf, 0, 64)).toThrow(/unknown lane 9/);
    expect(() => payloadCapacity(48)).toThrow(/one of 32, 64, 128, 256/);
  });
  test("RecordWords writes what decodeRecord reads; pattern check catches a flipped byte", () => {
    const buf = new Uint8Array(128);
    const w = new RecordWords(buf.buffer);
    writePatternRecord(w, 64, 64, 3, 99, 123_456_789_012_345, Lane.TRANSACTIONAL);
    const ev = decodeRecord(buf, 64, 64);
    expect([ev.producerId, ev.sequence, ev.ingestNs, ev.lane, ev.type, ev.payloadLength]).toEqual([
      3,
      99,
      123_456_789_012_345,
      Lane.TRANSACTIONAL,
      99,
      44,
    ]);
    expect(checkPatternRecord(w, 64, 64)).toBeNull();
    buf[64 + 40] = (buf[64 + 40]! + 1) & 0xff;
    expect(checkPatternRecord(w, 64, 64)).toMatch(/payload byte 20 corrupted/);
  });
});
