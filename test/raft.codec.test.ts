/**
 * Checks impl/raft/codec.ts: every message type round-trips exactly (fields
 * present stay present, absent stay absent), seeded random messages with
 * entries and snapshots round-trip, and malformed input (every truncation,
 * trailing bytes, unknown version/type/flags, counts beyond the input) is
 * refused with an error rather than decoded into garbage.
 */
import { describe, expect, test } from "bun:test";
import { Rng } from "../impl/core/rng.ts";
import { decodeMessage, encodedSizeBytes, encodeMessage } from "../impl/raft/codec.ts";
import type { Entry, Message, MessageType as MessageTypeT } from "../impl/raft/types.ts";
import { MESSAGE_TYPE_MAX, MessageType, NONE } from "../impl/raft/types.ts";

const SEED = Number(process.env.SEED ?? 20140520);

function entry(term: number, index: number, bytes: number[]): Entry {
  return { term, index, type: 0, data: new Uint8Array(bytes) };
}

const examples: Message[] = [
  { type: MessageType.Hup, from: 1, to: 1, term: 0 },
  { type: MessageType.Beat, from: 1, to: 1, term: 0 },
  {
    type: MessageType.App,
    from: 1,
    to: 2,
    term: 5,
    index: 9,
    logTerm: 4,
    commit: 8,
    entries: [entry(5, 10, [1, 2, 3]), { term: 5, index: 11, type: 1, data: new Uint8Array() }],
  },
  { type: MessageType.App, from: 1, to: 2, term: 5, index: 9, logTerm: 4, commit: 8, entries: [] },
  { type: MessageType.AppResp, from: 2, to: 1, term: 5, index: 11 },
  {
    type: MessageType.AppResp,
    from: 2,
    to: 1,
    term: 5,
    index: 9,
    reject: true,
    rejectHint: 6,
    logTerm: 3,
  },
  { type: MessageType.Vote, from: 3, to: 0, term: 7, index: 20, logTerm: 6, transfer: false },
  { type: MessageType.Vote, from: 3, to: 0, term: 7, index: 20, logTerm: 6, transfer: true },
  { type: MessageType.VoteResp, from: 0, to: 3, term: 7, reject: false },
  { type: MessageType.PreVote, from: 3, to: 0, term: 8, index: 20, logTerm: 6 },
  { type: MessageType.PreVoteResp, from: 0, to: 3, term: 7, reject: true },
  { type: MessageType.Heartbeat, from: 1, to: 2, term: 5, commit: 42 },
  { type: MessageType.HeartbeatResp, from: 2, to: 1, term: 5 },
  {
    type: MessageType.Snap,
    from: 1,
    to: 4,
    term: 9,
    snapshot: { index: 1000, term: 8, peers: [0, 1, 2, 3, 4], data: new Uint8Array([9, 8, 7]) },
  },
  { type: MessageType.TimeoutNow, from: 1, to: 2, term: 9 },
  // Extremes: largest safe integers and the NONE id.
  {
    type: MessageType.AppResp,
    from: NONE,
    to: 0x7fffffff,
    term: Number.MAX_SAFE_INTEGER,
    index: 2 ** 40 + 3,
  },
];

describe("raft codec", () => {
  test("every message type has an example", () => {
    const covered = new Set(examples.map((m) => m.type));
    for (let t = 0; t <= MESSAGE_TYPE_MAX; t++) expect(covered.has(t as MessageTypeT)).toBe(true);
  });

  test("examples round-trip exactly and sizes are exact", () => {
    for (const m of examples) {
      const bytes = encodeMessage(m);
      expect(bytes.length).toBe(encodedSizeBytes(m));
      expect(decodeMessage(bytes)).toEqual(m);
    }
  });

  test(`seeded random messages round-trip (seed ${SEED})`, () => {
    const rng = new Rng(SEED);
    for (let i = 0; i < 500; i++) {
      const m = randomMessage(rng);
      expect(decodeMessage(encodeMessage(m))).toEqual(m);
    }
  });

  test("every truncation and any trailing byte is refused", () => {
    for (const m of examples) {
      const bytes = encodeMessage(m);
      for (let n = 0; n < bytes.length; n++) {
        expect(() => decodeMessage(bytes.subarray(0, n))).toThrow(/decode/);
      }
      const longer = new Uint8Array(bytes.length + 1);
      longer.set(bytes);
      expect(() => decodeMessage(longer)).toThrow(/trailing/);
    }
  });

  test("bad version, type, flags and counts are refused", () => {
    const good = encodeMessage(examples[2]!);
    const bad = (patch: (b: Uint8Array, v: DataView) => void) => {
      const b = good.slice();
      patch(b, new DataView(b.buffer));
      return b;
    };
    expect(() => decodeMessage(bad((b) => (b[0] = 2)))).toThrow(/version/);
    expect(() => decodeMessage(bad((b) => (b[1] = MESSAGE_TYPE_MAX + 1)))).toThrow(/type/);
    expect(() => decodeMessage(bad((_, v) => v.setUint16(2, 1 << 12, true)))).toThrow(/flags/);
    // Entry count field sits after header (20) + logTerm, index, commit (24).
    expect(() => decodeMessage(bad((_, v) => v.setUint32(44, 0xffffff, true)))).toThrow(/count/);
    // A u64 above 2^53 (high word of term at byte 16).
    expect(() => decodeMessage(bad((_, v) => v.setUint32(16, 0xffffffff, true)))).toThrow(/2\^53/);
  });

  test("encoding refuses values the wire cannot carry", () => {
    expect(() => encodeMessage({ type: MessageType.App, from: 1, to: 2, term: -1 })).toThrow();
    expect(() => encodeMessage({ type: MessageType.App, from: 1, to: 2, term: 1.5 })).toThrow();
    expect(() => encodeMessage({ type: MessageType.App, from: -2, to: 2, term: 1 })).toThrow();
    expect(() => encodeMessage({ type: 99 as MessageTypeT, from: 1, to: 2, term: 1 })).toThrow();
  });
});

function randomMessage(rng: Rng): Message {
  const big = () =>
    rng.chance(0.2) ? rng.int(2 ** 21) * 4294967296 + rng.nextU32() : rng.int(1000);
  const m: Message = {
    type: rng.int(MESSAGE_TYPE_MAX + 1) as MessageTypeT,
    from: rng.chance(0.1) ? NONE : rng.int(9),
    to: rng.int(0x7fffffff),
    term: big(),
  };
  if (rng.chance(0.5)) m.logTerm = big();
  if (rng.chance(0.5)) m.index = big();
  if (rng.chance(0.5)) m.commit = big();
  if (rng.chance(0.3)) m.rejectHint = big();
  if (rng.chance(0.3)) m.reject = rng.chance(0.5);
  if (rng.chance(0.3)) m.transfer = rng.chance(0.5);
  if (rng.chance(0.5)) {
    m.entries = [];
    const n = rng.int(6);
    for (let i = 0; i < n; i++) {
      const data = new Uint8Array(rng.int(40));
      rng.fill(data);
      m.entries.push({ term: big(), index: big(), type: rng.int(2) as 0 | 1, data });
    }
  }
  if (rng.chance(0.2)) {
    const data = new Uint8Array(rng.int(100));
    rng.fill(data);
    const peers = Array.from({ length: rng.int(7) }, () => rng.int(100));
    m.snapshot = { index: big(), term: big(), peers, data };
  }
  return m;
}
