/**
 * Bad input against a live pipeline (in-process, ephemeral port), while a
 * well-behaved load-generator connection keeps sending:
 * - truncated, oversized, unknown-lane, bad-record-size and garbage frames
 *   each get their named ERROR frame and a close; the server counts them;
 * - a slow writer (half a frame, then silence) hits the idle timeout with
 *   TRUNCATED;
 * - a slow reader (never reads its acks) does not hold anyone else up;
 * - a connection flood over --max-connections is refused with
 *   TOO_MANY_CONNECTIONS while the admitted ones work;
 * - a client that half-closes after its last frame still gets all its acks;
 *   one that half-closes mid-frame gets TRUNCATED without waiting;
 * - a corrupt payload under --verify is rejected (and reported), not dropped;
 * and the good connection loses nothing (conservation holds).
 */
import "../impl/index.ts";
import { afterAll, beforeAll, expect, test } from "bun:test";
import { OFF_LANE, OFF_PAYLOAD } from "../impl/core/record.ts";
import { listImplementations } from "../impl/core/registry.ts";
import { runLoad } from "../impl/pipeline/load.ts";
import { ErrorCode, EVENTS_HEADER_BYTES } from "../impl/pipeline/protocol.ts";
import { type PipelineServer, type PipelineStats, startPipeline } from "../impl/pipeline/server.ts";
import { eventsFrame, type RawClient, rawConnect, until } from "./pipeline-helpers.ts";

const RB = 64;
const IDLE_MS = 300;
const MAX_CONNECTIONS = 12;
let server: PipelineServer;
let stats: PipelineStats | null = null;

beforeAll(async () => {
  server = await startPipeline({
    port: 0,
    queue: listImplementations("queue")[0]!.name,
    capacity: 1024,
    idleTimeoutMs: IDLE_MS,
    maxFrameBytes: 64 * 1024,
    maxConnections: MAX_CONNECTIONS,
    maxUnacked: 1024,
    verify: true,
  });
});
afterAll(async () => {
  stats ??= await server.stop();
});

/** Sends `bytes` on a fresh connection and waits for its ERROR frame and close. */
async function expectError(bytes: Uint8Array, code: number): Promise<RawClient> {
  const c = await rawConnect(server.port);
  c.send(bytes);
  await until(() => c.isClosed(), IDLE_MS * 10, `close after error ${code}`);
  const errors = c.frames.filter((f) => f.type === "error");
  expect(errors.length).toBe(1);
  expect(errors[0]).toMatchObject({ type: "error", code });
  return c;
}

test("each bad frame gets its error while a good connection loses nothing", async () => {
  const good = runLoad({
    port: server.port,
    connections: 1,
    rate: 20_000,
    durationS: 1.5,
    batch: 16,
    pattern: true,
    seed: 7,
  });
  const oversized = eventsFrame(RB, 0, 1);
  new DataView(oversized.buffer).setUint32(0, 1 << 20, true);
  const badLane = eventsFrame(RB, 0, 3);
  badLane[EVENTS_HEADER_BYTES + RB + OFF_LANE] = 9;
  const badSize = eventsFrame(32, 0, 2);
  const garbage = new Uint8Array(256).map((_, i) => (i * 37 + 11) & 0xff);
  const halfFrame = eventsFrame(RB, 0, 4).subarray(0, 100);
  const results = await Promise.all([
    expectError(oversized, ErrorCode.OVERSIZED),
    expectError(badLane, ErrorCode.UNKNOWN_LANE),
    expectError(badSize, ErrorCode.BAD_RECORD_SIZE),
    expectError(garbage, ErrorCode.OVERSIZED),
    expectError(halfFrame, ErrorCode.TRUNCATED),
  ]);
  expect(results.length).toBe(5);
  const load = await good;
  expect(load.errors).toEqual([]);
  expect(load.acked).toBe(load.sent);
});

test("a frame after valid ones: earlier frames are acked, then the error", async () => {
  const c = await rawConnect(server.port);
  c.send(eventsFrame(RB, 0, 5));
  await until(
    () => c.frames.some((f) => f.type === "ack" && f.resolvedThrough === 5),
    5000,
    "ack of 5",
  );
  const bad = eventsFrame(RB, 6, 1); // skips sequence 5
  c.send(bad);
  await until(() => c.isClosed(), 5000, "close after BAD_SEQUENCE");
  expect(c.frames.at(-1)).toMatchObject({
    type: "error",
    code: ErrorCode.BAD_SEQUENCE,
    resolvedThrough: 5,
  });
});

test("a corrupt payload under --verify is rejected and reported, not dropped", async () => {
  const c = await rawConnect(server.port);
  const f = eventsFrame(RB, 0, 5);
  f[EVENTS_HEADER_BYTES + 2 * RB + OFF_PAYLOAD + 3]! ^= 0xff;
  c.send(f);
  await until(
    () => c.frames.some((x) => x.type === "ack" && x.resolvedThrough === 5),
    5000,
    "ack of 5",
  );
  const rejects = c.frames.flatMap((x) => (x.type === "ack" ? x.rejects : []));
  expect(rejects).toEqual([2]);
  c.end();
});

test("a half-close after the last frame still gets every ack, then the server closes", async () => {
  const c = await rawConnect(server.port);
  c.send(new Uint8Array([...eventsFrame(RB, 0, 40), ...eventsFrame(RB, 40, 24)]));
  c.shutdown();
  await until(() => c.isClosed(), 5000, "server to close after acking");
  const last = c.frames.at(-1);
  expect(last).toMatchObject({ type: "ack", resolvedThrough: 64, final: false });
  expect(c.frames.every((f) => f.type === "ack")).toBe(true);
});

test("a half-close in the middle of a frame gets TRUNCATED at once", async () => {
  const c = await rawConnect(server.port);
  const f = eventsFrame(RB, 0, 4);
  c.send(f.subarray(0, f.length - 10));
  c.shutdown();
  const t0 = performance.now();
  await until(() => c.isClosed(), 5000, "close after TRUNCATED");
  expect(performance.now() - t0).toBeLessThan(IDLE_MS);
  expect(c.frames.at(-1)).toMatchObject({ type: "error", code: ErrorCode.TRUNCATED });
});

test("a slow reader (never reads acks) does not hold up a good connection", async () => {
  const slow = await rawConnect(server.port, { read: false });
  // 40 frames of 64 records: the acks it never reads pile up on its side only.
  for (let i = 0; i < 40; i++) slow.send(eventsFrame(RB, i * 64, 64));
  const load = await runLoad({
    port: server.port,
    connections: 2,
    rate: 20_000,
    durationS: 0.5,
    batch: 16,
    pattern: true,
    seed: 8,
  });
  expect(load.errors).toEqual([]);
  expect(load.acked).toBe(load.sent);
  slow.end();
});

test("a connection flood over the limit is refused cleanly; admitted connections work", async () => {
  const flood = await Promise.all(
    Array.from({ length: MAX_CONNECTIONS + 6 }, () => rawConnect(server.port)),
  );
  await until(
    () => flood.filter((c) => c.isClosed()).length >= 6,
    5000,
    "refused connections to close",
  );
  const refused = flood.filter((c) =>
    c.frames.some((f) => f.type === "error" && f.code === ErrorCode.TOO_MANY_CONNECTIONS),
  );
  expect(refused.length).toBeGreaterThanOrEqual(6);
  const admitted = flood.find((c) => !c.isClosed())!;
  admitted.send(eventsFrame(RB, 0, 3));
  await until(
    () => admitted.frames.some((f) => f.type === "ack" && f.resolvedThrough === 3),
    5000,
    "ack on admitted",
  );
  for (const c of flood) c.end();
  await until(() => flood.every((c) => c.isClosed()), 5000, "flood to close");
});

test("the server counted every bad frame and stayed up", async () => {
  stats = await server.stop();
  const c = stats.counters;
  expect(c["ingest.error.OVERSIZED"]).toBe(2);
  expect(c["ingest.error.UNKNOWN_LANE"]).toBe(1);
  expect(c["ingest.error.BAD_RECORD_SIZE"]).toBe(1);
  expect(c["ingest.error.TRUNCATED"]).toBe(2);
  expect(c["ingest.error.BAD_SEQUENCE"]).toBe(1);
  expect(c["ingest.connectionsRefused"]).toBeGreaterThanOrEqual(6);
  expect(c["process.rejected"]).toBe(1);
  expect(c["ingest.duplicateAcks"]).toBe(0);
});
