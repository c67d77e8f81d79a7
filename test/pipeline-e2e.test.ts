/**
 * End to end on loopback: the pipeline started in-process on an ephemeral
 * port, the load generator against it, for every allocator x queue
 * combination the registry allows (multi-producer queues with 2 ingest
 * Workers, single-producer ones with 1). Each run is short (open loop,
 * pattern payloads, server --verify) and checks conservation from both
 * sides: the client saw every event acked and in order, with no rejects and
 * no corruption; the server processed and acked exactly what was sent.
 * Also: closed loop with 2 x 2 Workers, and a graceful stop under load
 * (everything acked was processed, nothing unprocessed was acked).
 */
import "../impl/index.ts";
import { describe, expect, test } from "bun:test";
import { listImplementations } from "../impl/core/registry.ts";
import { runLoad } from "../impl/pipeline/load.ts";
import { startPipeline } from "../impl/pipeline/server.ts";
import { runConserved } from "./support/pipeline-run.ts";

const SEED = 42;
const queues = listImplementations("queue");
const allocators = listImplementations("allocator");

test("the registry offers queues and allocators to wire", () => {
  expect(queues.length).toBeGreaterThan(0);
  expect(allocators.length).toBeGreaterThan(0);
});

test("a single-producer queue behind 2 ingest Workers is refused before any Worker starts", async () => {
  const single = queues.find((q) => !q.capabilities.multiProducer);
  if (!single) return; // every registered queue is multi-producer: nothing to refuse
  await expect(startPipeline({ port: 0, queue: single.name, ingestWorkers: 2 })).rejects.toThrow(
    /supports one producer/,
  );
});

test("--unsafe runs a single-producer queue behind 2 ingest Workers; the server survives and accounts for what it got", async () => {
  const single = queues.find((q) => !q.capabilities.multiProducer);
  if (!single) return; // nothing to run unsafely
  const server = await startPipeline({
    port: 0,
    queue: single.name,
    ingestWorkers: 2,
    unsafe: true,
    verify: true,
    stopDrainTimeoutMs: 300,
  });
  const load = await runLoad({
    port: server.port,
    connections: 4,
    max: 1024,
    durationS: 0.3,
    pattern: true,
    drainTimeoutMs: 500,
    seed: SEED,
  });
  const stats = await server.stop();
  // Whatever the race did, the client never saw an ack past what it sent (a protocol error)...
  expect(load.errors.filter((e) => e.includes("outside"))).toEqual([]);
  // ...and every event the client saw resolved went through a process manager.
  expect(load.acked + load.rejected).toBeLessThanOrEqual(stats.counters["process.events"]!);
});

describe("every allocator x queue combination conserves events end to end", () => {
  for (const q of queues) {
    for (const a of allocators) {
      const ingestWorkers = q.capabilities.multiProducer ? 2 : 1;
      test(`${a.name} x ${q.name} (${ingestWorkers} ingest)`, async () => {
        await runConserved(
          {
            queue: q.name,
            alloc: a.name,
            ingestWorkers,
            consumers: 1,
            capacity: 1024,
            verify: true,
          },
          { connections: 2, rate: 30_000, durationS: 0.2, batch: 16, pattern: true, seed: SEED },
          (stats, load) => {
            expect(stats.counters["process.events"]).toBe(load.sent);
            expect(stats.counters["process.acked"]).toBe(load.sent);
            expect(stats.counters["ingest.badFrames"]).toBe(0);
          },
        );
      });
    }
  }
});

test("closed loop, 12 connections over 2 ingest (SO_REUSEPORT) x 2 process managers, 256 B records, small queues (backpressure) conserves events", async () => {
  const multi = queues.find((q) => q.capabilities.multiProducer);
  expect(multi).toBeDefined();
  const server = await startPipeline({
    port: 0,
    queue: multi!.name,
    ingestWorkers: 2,
    consumers: 2,
    capacity: 64,
    maxUnacked: 256,
    popBatch: 32,
    workNs: 2000,
    recordBytes: 256,
    verify: true,
  });
  try {
    const load = await runLoad({
      port: server.port,
      connections: 12,
      max: 512,
      warmupS: 0.1,
      durationS: 0.3,
      batch: 64,
      laneMix: "3:1:1",
      recordBytes: 256,
      pattern: true,
      seed: SEED,
    });
    expect(load.errors).toEqual([]);
    expect(load.acked).toBe(load.sent);
    // warm-up events are conserved but kept out of the latency histogram
    expect(load.latency.count).toBeGreaterThan(0);
    expect(load.latency.count).toBeLessThan(load.acked);
    const stats = await server.stop();
    expect(stats.counters["process.events"]).toBe(load.sent);
    expect(stats.counters["ingest.pauses"]).toBeGreaterThan(0);
    // SO_REUSEPORT spread the 12 connections over both ingest Workers (all on one: p = 2^-11)
    const accepted = stats.workers
      .filter((w) => w.role === "ingest")
      .map((w) => w.counters.connectionsAccepted!);
    expect(accepted.length).toBe(2);
    expect(Math.min(...accepted)).toBeGreaterThan(0);
  } finally {
    await server.stop();
  }
});

test("graceful stop under load (32 B records): acked == processed, the rest declared not accepted", async () => {
  const server = await startPipeline({
    port: 0,
    queue: queues[0]!.name,
    capacity: 256,
    workNs: 5000,
    recordBytes: 32,
  });
  const loadP = runLoad({
    port: server.port,
    connections: 3,
    rate: 60_000,
    durationS: 2,
    batch: 32,
    recordBytes: 32,
    seed: SEED,
  });
  await Bun.sleep(400);
  const stats = await server.stop();
  const load = await loadP;
  expect(load.errors).toEqual([]);
  for (const c of load.connections) expect(c.finalSeen).toBe(true);
  expect(load.acked).toBeGreaterThan(0);
  // everything acked was processed, and everything processed was acked (drain before FINAL)
  expect(load.acked).toBe(stats.counters["process.acked"]!);
  expect(stats.counters["process.events"]).toBe(stats.counters["ingest.eventsIn"]);
  expect(load.acked + load.notAccepted).toBe(load.sent);
});
