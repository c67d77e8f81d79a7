/**
 * Checks what the workload driver reports beyond the contract counts: with
 * recordLatency the push-to-pop latency percentiles are present, ordered, and
 * no record's latency exceeds the timed window (timestamps are taken after the
 * start barrier on the clock every Worker shares, so a larger value would mean
 * a broken clock or barrier); elapsed time, throughput and CPU time are
 * positive; bad options are refused before any Worker starts.
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
});
