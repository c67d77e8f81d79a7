/**
 * Checks what the workload driver reports beyond the contract counts: with
 * recordLatency the push-to-pop latency percentiles are present, ordered, and
 * no record's latency exceeds the timed window (timestamps are taken after the
 * start barrier on the clock every Worker shares, so a larger value would mean
 * a broken clock or barrier); elapsed time, throughput and CPU time are
 * positive; with warmupEvents the timed window holds only what arrived after
 * the warm-up (and the warm-up's latency samples are dropped); bad options are
 * refused before any Worker starts.
 */
import { expect, test } from "bun:test";
import { runQueueWorkload } from "../impl/queue/workload.ts";

const SEED = Number(process.env.SEED ?? 7);

test("latency, elapsed time, throughput and CPU time are reported consistently", async () => {
  const r = await runQueueWorkload({
    queue: "spsc",
    queueOptions: { capacitySlots: 256 },
    eventsPerProducer: 20_000,
    mode: "batch",
    batchRecords: 32,
    seed: SEED,
    timeoutMs: 60_000,
    recordLatency: true,
  });
  expect(r.errors).toEqual([]);
  expect(r.eventsReceived).toBe(20_000);
  const l = r.latencyNs;
  expect(l).not.toBeNull();
  if (!l) return;
  expect(l.p50).toBeGreaterThan(0);
  expect(l.p50).toBeLessThanOrEqual(l.p99);
  expect(l.p99).toBeLessThanOrEqual(l.p999);
  // percentiles are HDR bucket upper ends (3 significant digits: up to 2/1024 above); max is exact
  expect(l.p999).toBeLessThanOrEqual(l.max * (1 + 2 / 1024));
  expect(l.max).toBeLessThanOrEqual(r.elapsedNs);
  expect(r.elapsedNs).toBeGreaterThan(0);
  expect(r.throughputEventsPerS).toBeCloseTo(r.eventsReceived / (r.elapsedNs / 1e9), 0);
  expect(r.cpuUserUs + r.cpuSystemUs).toBeGreaterThan(0);
});

test("bad options are refused with the field named", async () => {
  const base = {
    queue: "spsc",
    queueOptions: { capacitySlots: 8 },
    eventsPerProducer: 10,
    mode: "batch" as const,
    batchRecords: 4,
    seed: SEED,
    timeoutMs: 1000,
  };
  await expect(runQueueWorkload({ ...base, batchRecords: 0 })).rejects.toThrow(/batchRecords/);
  await expect(runQueueWorkload({ ...base, eventsPerProducer: -1 })).rejects.toThrow(
    /eventsPerProducer/,
  );
  await expect(runQueueWorkload({ ...base, queue: "nope" })).rejects.toThrow(/valid choices/);
  await expect(runQueueWorkload({ ...base, queueOptions: { capacitySlots: 0 } })).rejects.toThrow(
    /capacitySlots/,
  );
  await expect(runQueueWorkload({ ...base, warmupEvents: 10 })).rejects.toThrow(/warmupEvents/);
  await expect(runQueueWorkload({ ...base, latencySampleEvery: 3 })).rejects.toThrow(
    /latencySampleEvery/,
  );
});

test("a warm-up keeps its events out of the timed window and the latency samples", async () => {
  const r = await runQueueWorkload({
    queue: "fan-in",
    queueOptions: { capacitySlots: 64, producers: 2 },
    eventsPerProducer: 10_000,
    mode: "batch",
    batchRecords: 16,
    seed: SEED,
    timeoutMs: 60_000,
    recordLatency: true,
    latencySampleEvery: 4,
    warmupEvents: 5_000,
  });
  expect(r.errors).toEqual([]);
  expect([r.lost, r.duplicated, r.reordered, r.corrupted]).toEqual([0, 0, 0, 0]);
  expect(r.eventsReceived).toBe(20_000);
  // the window opens at the first pop that reaches 5,000 (a pop takes up to 16 records)
  expect(r.timedEvents).toBeGreaterThan(20_000 - 5_000 - 16);
  expect(r.timedEvents).toBeLessThanOrEqual(20_000 - 5_000);
  expect(r.throughputEventsPerS).toBeCloseTo(r.timedEvents / (r.elapsedNs / 1e9), 0);
  expect(r.latencyNs).not.toBeNull();
  // 1 sample in 4 sequences, timed window only: about timedEvents / 4 (each producer's
  // window edge can shift the count by one sample per 4 records of the opening pop)
  expect(Math.abs(r.latencySamples - r.timedEvents / 4)).toBeLessThanOrEqual(10);
});
