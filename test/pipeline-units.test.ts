/**
 * Unit tests of the pipeline's pure parts, no sockets or Workers:
 * - FrameReader: well-formed frames split at every byte boundary are admitted
 *   whole; each malformed frame maps to its named error code.
 * - AckWindow: out-of-order outcomes advance a contiguous prefix, rejects are
 *   reported in order, the unacked limit holds, sequences wrap at 2^32.
 * - LaneScheduler: REALTIME first, the starvation guard yields after `burst`,
 *   TRANSACTIONAL:BATCH turns follow the weights.
 * - protocol encoders/decoders round-trip; CLI flag errors name the flag.
 * - the load generator's futex sleep: never past the next batch, and no
 *   longer than the ack-wait slice while any ack is owed, unless the gap to
 *   the next batch is short enough to sleep whole; its kernel timer slack
 *   is set for a run and put back (Linux /proc, skipped elsewhere).
 * - IngestConnection against a fake socket that takes few bytes: one partial
 *   frame at most is held, later acks coalesce, FINAL goes out after drain.
 */
import { describe, expect, test } from "bun:test";
import { existsSync, readFileSync } from "node:fs";
import { OFF_LANE, OFF_PAYLOAD_LEN, OFF_SEQUENCE } from "../impl/core/record.ts";
import { AckWindow } from "../impl/pipeline/ack-window.ts";
import { parseFlags, UsageError, validateOptions } from "../impl/pipeline/cli-args.ts";
import { createCommitStage } from "../impl/pipeline/commit-stage.ts";
import { PIPELINE_FLAGS, PipelineOptionsSchema } from "../impl/pipeline/config.ts";
import { FrameReader } from "../impl/pipeline/frame-reader.ts";
import { IngestConnection } from "../impl/pipeline/ingest-connection.ts";
import { LaneScheduler } from "../impl/pipeline/lane-scheduler.ts";
import { LOAD_FLAGS, LoadOptionsSchema } from "../impl/pipeline/load.ts";
import {
  ACK_WAIT_WHOLE_GAP_NS,
  FINE_SLEEP_MAX_NS,
  fineSleepNs,
  setKernelTimerSlack,
} from "../impl/pipeline/load-schedule.ts";
import {
  ACK_OUTCOME_ACKED,
  ACK_OUTCOME_REJECTED,
  ACK_OUTCOME_REJECTED_COMMIT_DEADLINE,
} from "../impl/pipeline/messages.ts";
import {
  ACK_REASON_SHIFT,
  decodeServerFrame,
  ErrorCode,
  EVENTS_HEADER_BYTES,
  encodeAck,
  encodeError,
  RejectReason,
  ServerFrameReader,
} from "../impl/pipeline/protocol.ts";
import { eventsFrame } from "./pipeline-helpers.ts";

const RB = 64;

function admitAll(reader: FrameReader, expected: { seq: number }): number {
  let admitted = 0;
  for (let guard = 0; guard < 1000; guard++) {
    const r = reader.nextFrame(expected.seq);
    if (r === false) return admitted;
    if (r !== true) throw new Error(`unexpected error ${r.code}: ${r.message}`);
    const n = reader.recordsLeft;
    for (let i = 0; i < n; i++) {
      const off = reader.recordOff + i * RB;
      expect(reader.dv.getUint32(off + OFF_SEQUENCE, true)).toBe(expected.seq + i);
    }
    reader.consume(n);
    expected.seq += n;
    admitted += n;
  }
  throw new Error("admitAll did not finish");
}

describe("FrameReader", () => {
  test("frames split at every byte boundary are admitted whole and in order", () => {
    const stream = new Uint8Array([
      ...eventsFrame(RB, 0, 3),
      ...eventsFrame(RB, 3, 0),
      ...eventsFrame(RB, 3, 2),
    ]);
    for (let cut = 1; cut < stream.length; cut += 7) {
      const reader = new FrameReader(RB, 4096);
      const expected = { seq: 0 };
      expect(reader.append(stream.subarray(0, cut))).toBeNull();
      let admitted = admitAll(reader, expected);
      expect(reader.append(stream.subarray(cut))).toBeNull();
      admitted += admitAll(reader, expected);
      expect(admitted).toBe(5);
      expect(reader.pendingBytes()).toBe(0);
    }
  });

  /** Each case breaks a good 2-record frame in one way (mutating it in place). */
  const cases: [string, (f: Uint8Array, dv: DataView) => void, number][] = [
    ["oversized", (_f, dv) => dv.setUint32(0, 1 << 20, true), ErrorCode.OVERSIZED],
    ["length under 8", (_f, dv) => dv.setUint32(0, 5, true), ErrorCode.BAD_LENGTH],
    ["count mismatch", (_f, dv) => dv.setUint32(8, 3, true), ErrorCode.BAD_LENGTH],
    ["bad version", (_f, dv) => dv.setUint8(5, 9), ErrorCode.BAD_VERSION],
    ["unknown type", (_f, dv) => dv.setUint8(4, 2), ErrorCode.UNKNOWN_TYPE],
    ["bad record size", (_f, dv) => dv.setUint16(6, 32, true), ErrorCode.BAD_RECORD_SIZE],
    [
      "unknown lane",
      (_f, dv) => dv.setUint8(EVENTS_HEADER_BYTES + RB + OFF_LANE, 3),
      ErrorCode.UNKNOWN_LANE,
    ],
    [
      "payload too long",
      (_f, dv) => dv.setUint16(EVENTS_HEADER_BYTES + OFF_PAYLOAD_LEN, RB, true),
      ErrorCode.BAD_RECORD,
    ],
    [
      "sequence gap",
      (_f, dv) => dv.setUint32(EVENTS_HEADER_BYTES + RB + OFF_SEQUENCE, 7, true),
      ErrorCode.BAD_SEQUENCE,
    ],
  ];
  for (const [name, breakIt, code] of cases) {
    test(`${name} -> error code ${code}, nothing admitted`, () => {
      const f = eventsFrame(RB, 0, 2);
      const reader = new FrameReader(RB, 4096);
      breakIt(f, new DataView(f.buffer));
      reader.append(f);
      const r = reader.nextFrame(0);
      expect(r).not.toBe(true);
      expect(r).not.toBe(false);
      expect((r as { code: number }).code).toBe(code);
      expect(reader.recordsLeft).toBe(0);
    });
  }
});

describe("AckWindow", () => {
  test("out-of-order outcomes advance a contiguous prefix; rejects reported in order", () => {
    const w = new AckWindow(8);
    w.admit(5);
    expect(w.room()).toBe(3);
    expect(w.resolve(2, 1)).toBe(true);
    expect(w.resolve(1, 2)).toBe(true);
    w.advance();
    expect(w.resolvedThrough).toBe(0);
    expect(w.resolve(0, 1)).toBe(true);
    expect(w.resolve(0, 1)).toBe(false);
    w.advance();
    expect(w.resolvedThrough).toBe(3);
    expect([...w.rejects.subarray(0, w.rejectCount)]).toEqual([1]);
    w.reported();
    expect(w.hasNews()).toBe(false);
    expect(w.resolve(7, 1)).toBe(false);
    expect(() => w.admit(7)).toThrow();
  });

  test("rejects of different reasons go in separate reports, each naming its reason", () => {
    const w = new AckWindow(8);
    w.admit(5);
    // 0 acked, 1 INVALID, 2 COMMIT_DEADLINE, 3 COMMIT_DEADLINE, 4 acked
    const outcomes = [
      ACK_OUTCOME_ACKED,
      ACK_OUTCOME_REJECTED,
      ACK_OUTCOME_REJECTED_COMMIT_DEADLINE,
      ACK_OUTCOME_REJECTED_COMMIT_DEADLINE,
      ACK_OUTCOME_ACKED,
    ];
    for (const [seq, o] of outcomes.entries()) expect(w.resolve(seq, o)).toBe(true);
    const reports: [number, number[], number][] = [];
    for (let round = 0; round < 4; round++) {
      w.advance();
      if (!w.hasNews()) break;
      reports.push([w.resolvedThrough, [...w.rejects.subarray(0, w.rejectCount)], w.rejectReason]);
      w.reported();
    }
    expect(reports).toEqual([
      [2, [1], RejectReason.INVALID],
      [5, [2, 3], RejectReason.COMMIT_DEADLINE],
    ]);
  });

  test("sequences wrap at 2^32", () => {
    const w = new AckWindow(4);
    w.resolvedThrough = w.admittedThrough = w.reportedThrough = 0xfffffffe;
    w.admit(4);
    for (const s of [1, 0, 0xffffffff, 0xfffffffe]) expect(w.resolve(s, 1)).toBe(true);
    w.advance();
    expect(w.resolvedThrough).toBe(2);
    expect(w.unresolved()).toBe(0);
  });
});

describe("LaneScheduler", () => {
  test("REALTIME first; after `burst` realtime turns a waiting lane gets one", () => {
    const s = new LaneScheduler(3, 1, 1);
    const picks = Array.from({ length: 8 }, () => s.pick(true, true, false));
    expect(picks).toEqual([0, 0, 0, 1, 0, 0, 0, 1]);
    expect(s.pick(true, false, false)).toBe(0);
    expect(s.pick(false, false, false)).toBe(-1);
  });

  test("TRANSACTIONAL:BATCH turns follow the weights; weight 0 serves only when alone", () => {
    const s = new LaneScheduler(1, 3, 1);
    const picks = Array.from({ length: 8 }, () => s.pick(false, true, true));
    expect(picks.filter((l) => l === 1).length).toBe(6);
    expect(picks.filter((l) => l === 2).length).toBe(2);
    const z = new LaneScheduler(1, 1, 0);
    expect(z.pick(false, true, true)).toBe(1);
    expect(z.pick(false, false, true)).toBe(2);
  });
});

describe("commit stage seam", () => {
  test("the immediate stage reports each submitted event committed, once, by id", () => {
    const stage = createCommitStage("immediate");
    const frame = eventsFrame(RB, 10, 3);
    stage.submit(frame, EVENTS_HEADER_BYTES, 3, RB);
    expect(stage.pending()).toBe(3);
    const seen: [number, number, number][] = [];
    expect(stage.poll((p, s, outcome) => seen.push([p, s, outcome]))).toBe(3);
    expect(seen).toEqual([
      [0, 10, ACK_OUTCOME_ACKED],
      [0, 11, ACK_OUTCOME_ACKED],
      [0, 12, ACK_OUTCOME_ACKED],
    ]);
    expect(stage.poll(() => seen.push([0, 0, 0]))).toBe(0);
    expect(() => createCommitStage("nope")).toThrow(/valid choices: immediate/);
  });
});

describe("protocol and options", () => {
  test("ACK and ERROR frames round-trip", () => {
    const ack = decodeServerFrame(encodeAck(70000, [3, 9], 2, 1), 0);
    expect(ack).toEqual({
      type: "ack",
      resolvedThrough: 70000,
      rejects: [3, 9],
      final: true,
      rejectReason: RejectReason.INVALID,
    });
    const late = decodeServerFrame(
      encodeAck(8, [5], 1, RejectReason.COMMIT_DEADLINE << ACK_REASON_SHIFT),
      0,
    );
    expect(late).toMatchObject({
      final: false,
      rejects: [5],
      rejectReason: RejectReason.COMMIT_DEADLINE,
    });
    const err = decodeServerFrame(encodeError(ErrorCode.UNKNOWN_LANE, 5, "lane 7"), 0);
    expect(err).toMatchObject({
      type: "error",
      code: 7,
      codeName: "UNKNOWN_LANE",
      message: "lane 7",
    });
  });

  test("bad flag values name the flag and its range", () => {
    const bad = (argv: string[]) => () =>
      validateOptions(PipelineOptionsSchema, parseFlags(argv, PIPELINE_FLAGS), PIPELINE_FLAGS);
    expect(bad(["--ingest-workers", "0"])).toThrow(/--ingest-workers.*1\.\.32/);
    expect(bad(["--record-bytes", "48"])).toThrow(/--record-bytes/);
    expect(bad(["--lane-weights", "0:1:1"])).toThrow(/--lane-weights/);
    expect(bad(["--port", "x"])).toThrow(UsageError);
    expect(bad(["--nope"])).toThrow(/unknown option --nope/);
    const cfg = validateOptions(
      LoadOptionsSchema,
      parseFlags(["--lane-mix", "2:1:0", "--max", "128"], LOAD_FLAGS),
      LOAD_FLAGS,
    );
    expect(cfg.laneMix).toEqual([2, 1, 0]);
    expect(cfg.max).toBe(128);
    const badLoad = (argv: string[]) => () =>
      validateOptions(LoadOptionsSchema, parseFlags(argv, LOAD_FLAGS), LOAD_FLAGS);
    expect(badLoad(["--ack-wait-slice-us", "0"])).toThrow(/--ack-wait-slice-us.*1\.\.200/);
    expect(badLoad(["--ack-wait-slice-us", "201"])).toThrow(/--ack-wait-slice-us/);
    expect(badLoad(["--ack-wait-slice-us", "50"])().ackWaitSliceUs).toBe(50);
  });
});

describe("load generator sleep", () => {
  test("sleeps at most the ack-wait slice while acks are owed, never past the next batch", () => {
    const conn = (inFlight: number) => ({ inFlight: () => inFlight });
    const idle = [conn(0), conn(0)];
    const owed = [conn(0), conn(64)];
    expect(fineSleepNs(1_500_000, idle, 20_000)).toBe(FINE_SLEEP_MAX_NS);
    expect(fineSleepNs(1_500_000, owed, 20_000)).toBe(20_000);
    expect(fineSleepNs(ACK_WAIT_WHOLE_GAP_NS + 1, owed, 20_000)).toBe(20_000);
    // a short gap is slept whole: one wake-up per batch at high rates
    expect(fineSleepNs(ACK_WAIT_WHOLE_GAP_NS, owed, 20_000)).toBe(ACK_WAIT_WHOLE_GAP_NS);
    expect(fineSleepNs(5_000, owed, 20_000)).toBe(5_000);
    expect(fineSleepNs(5_000, idle, 20_000)).toBe(5_000);
    expect(fineSleepNs(0, owed, 20_000)).toBe(0);
    expect(fineSleepNs(-10, idle, 20_000)).toBe(0);
    // a slice longer than the gap (--ack-wait-slice-us 200) still ends at the batch
    expect(fineSleepNs(150_000, owed, 200_000)).toBe(150_000);
  });
});

describe("load generator timer slack", () => {
  const file = "/proc/self/timerslack_ns";
  test.skipIf(!existsSync(file))("is set for the run and put back after; 0 leaves it", () => {
    const before = readFileSync(file, "utf8").trim();
    const restore = setKernelTimerSlack(1000);
    expect(readFileSync(file, "utf8").trim()).toBe("1000");
    restore();
    expect(readFileSync(file, "utf8").trim()).toBe(before);
    setKernelTimerSlack(0)();
    expect(readFileSync(file, "utf8").trim()).toBe(before);
  });
});

describe("IngestConnection writes to a slow reader", () => {
  /** A socket whose kernel buffer takes `room` more bytes, then nothing until drained. */
  function fakeSocket(room: number) {
    const written: number[] = [];
    const s = {
      room,
      ended: false,
      data: { conn: null },
      // Bun's Socket.write(data, byteOffset, byteLength)
      write(b: Uint8Array, off = 0, len = b.length - off) {
        const n = Math.min(len, s.room);
        s.room -= n;
        for (let i = 0; i < n; i++) written.push(b[off + i]!);
        return n;
      },
      end() {
        s.ended = true;
      },
      pause() {},
      resume() {},
    };
    return { s, written };
  }

  test("holds at most one partial frame, coalesces later acks, sends FINAL after draining", () => {
    const { s, written } = fakeSocket(10);
    const conn = new IngestConnection(s as never, 0, 0, RB, 4096, 64, 0);
    conn.window.admit(10);
    for (let i = 0; i < 4; i++) conn.window.resolve(i, 1);
    conn.sendAck(); // 16-byte ACK, only 10 bytes fit
    expect(conn.outPending?.length).toBe(6);
    for (let i = 4; i < 10; i++) conn.window.resolve(i, i === 7 ? 2 : 1);
    conn.sendAck(); // blocked: nothing more is queued
    expect(conn.outPending?.length).toBe(6);
    conn.sendFinal();
    expect(s.ended).toBe(false);
    s.room = 1 << 20;
    conn.onDrain();
    expect(s.ended).toBe(true);
    const frames: ReturnType<typeof decodeServerFrame>[] = [];
    const reader = new ServerFrameReader();
    reader.push(new Uint8Array(written), (f) => frames.push(f));
    expect(frames).toEqual([
      { type: "ack", resolvedThrough: 4, rejects: [], final: false, rejectReason: 0 },
      { type: "ack", resolvedThrough: 10, rejects: [7], final: false, rejectReason: 0 },
      { type: "ack", resolvedThrough: 10, rejects: [], final: true, rejectReason: 0 },
    ]);
  });
});
