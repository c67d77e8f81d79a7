/**
 * The compact topology (each ingest Worker processes what it admits; no
 * dispatcher, no process managers), end to end on loopback with real Workers
 * and sockets, checked like the staged topology in pipeline-e2e.test.ts:
 * - every allocator, 2 ingest Workers, open loop with pattern payloads and the
 *   server's --verify: the client saw every event acked in order (cumulative
 *   acks, no protocol error) and the server processed exactly what was sent;
 *   no dispatcher or process-manager Worker ran;
 * - closed loop over 12 connections with an unacked window smaller than a
 *   frame (admitted in parts): sent = acked, SO_REUSEPORT spread the
 *   connections over both Workers;
 * - a corrupt payload under --verify is rejected in its ACK, never dropped,
 *   and sent = acked + rejected;
 * - graceful stop under load: everything acked was processed, the rest was
 *   declared not accepted;
 * - a compact configuration with several process managers is refused, naming
 *   --consumers.
 */
import "../impl/index.ts";
import { expect, test } from "bun:test";
import { OFF_PAYLOAD } from "../impl/core/record.ts";
import { listImplementations } from "../impl/core/registry.ts";
import { PipelineOptionsSchema } from "../impl/pipeline/config.ts";
import { runLoad } from "../impl/pipeline/load.ts";
import { EVENTS_HEADER_BYTES } from "../impl/pipeline/protocol.ts";
import { startPipeline } from "../impl/pipeline/server.ts";
import { eventsFrame, rawConnect, until } from "./pipeline-helpers.ts";
import { runConserved } from "./support/pipeline-run.ts";

const SEED = 4242;
const RB = 64;

for (const a of listImplementations("allocator")) {
  test(`compact, ${a.name}, 2 ingest Workers: every event acked once, in order, and processed once`, async () => {
    await runConserved(
      { topology: "compact", alloc: a.name, ingestWorkers: 2, verify: true },
      { connections: 4, rate: 40_000, durationS: 0.3, batch: 16, pattern: true, seed: SEED },
      (stats, load) => {
        expect(stats.counters["ingest.inline.events"]).toBe(load.sent);
        expect(stats.counters["ingest.acked"]).toBe(load.sent);
        expect(stats.workers.map((w) => w.role)).toEqual(["ingest", "ingest"]);
      },
    );
  });
}

test("compact, closed loop over 12 connections with a small unacked window conserves events", async () => {
  const server = await startPipeline({
    port: 0,
    topology: "compact",
    ingestWorkers: 2,
    maxUnacked: 32,
    workNs: 2000,
    recordBytes: 256,
    verify: true,
  });
  try {
    const load = await runLoad({
      port: server.port,
      connections: 12,
      max: 512,
      durationS: 0.3,
      batch: 64,
      laneMix: "3:1:1",
      recordBytes: 256,
      pattern: true,
      seed: SEED,
    });
    expect(load.errors).toEqual([]);
    expect(load.acked).toBe(load.sent);
    const stats = await server.stop();
    expect(stats.counters["ingest.inline.events"]).toBe(load.sent);
    // Every 64-event frame was admitted in parts (32-event window), none lost or doubled.
    expect(stats.counters["ingest.duplicateAcks"]).toBe(0);
    const accepted = stats.workers.map((w) => w.counters.connectionsAccepted!);
    expect(Math.min(...accepted)).toBeGreaterThan(0);
  } finally {
    await server.stop();
  }
});

test("compact: a corrupt payload under --verify is rejected in its ACK, not dropped", async () => {
  const server = await startPipeline({ port: 0, topology: "compact", verify: true });
  try {
    const c = await rawConnect(server.port);
    const f = eventsFrame(RB, 0, 5);
    f[EVENTS_HEADER_BYTES + 3 * RB + OFF_PAYLOAD + 1]! ^= 0xff;
    c.send(f);
    await until(
      () => c.frames.some((x) => x.type === "ack" && x.resolvedThrough === 5),
      5000,
      "ack of 5",
    );
    expect(c.frames.flatMap((x) => (x.type === "ack" ? x.rejects : []))).toEqual([3]);
    c.end();
    const stats = await server.stop();
    expect(stats.counters["ingest.acked"]! + stats.counters["ingest.rejected"]!).toBe(5);
    expect(stats.counters["ingest.rejected"]).toBe(1);
  } finally {
    await server.stop();
  }
});

test("compact: graceful stop under load: acked == processed, the rest declared not accepted", async () => {
  const server = await startPipeline({ port: 0, topology: "compact", workNs: 5000 });
  const loadP = runLoad({
    port: server.port,
    connections: 3,
    rate: 60_000,
    durationS: 2,
    batch: 32,
    seed: SEED,
  });
  await Bun.sleep(400);
  const stats = await server.stop();
  const load = await loadP;
  expect(load.errors).toEqual([]);
  for (const c of load.connections) expect(c.finalSeen).toBe(true);
  expect(load.acked).toBeGreaterThan(0);
  expect(load.acked).toBe(stats.counters["ingest.acked"]!);
  expect(stats.counters["ingest.inline.events"]).toBe(stats.counters["ingest.eventsIn"]);
  expect(load.acked + load.notAccepted).toBe(load.sent);
});

test("compact with several process managers is refused, naming --consumers", () => {
  const r = PipelineOptionsSchema.safeParse({ topology: "compact", consumers: 2 });
  expect(r.success).toBe(false);
  expect(r.error?.issues[0]?.path).toEqual(["consumers"]);
  expect(r.error?.issues[0]?.message).toContain("compact");
  expect(PipelineOptionsSchema.safeParse({ topology: "compact" }).success).toBe(true);
  expect(PipelineOptionsSchema.safeParse({ topology: "ring" }).success).toBe(false);
});
