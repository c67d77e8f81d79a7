/**
 * Every registered experiment runs one tiny point against the real
 * implementations and returns a row its rowSchema accepts (so a changed
 * implementation or workload cannot silently break a column), the grids of
 * both profiles validate and expand, and spsc-misuse's controls hold: fan-in
 * and one-producer spsc deliver every event exactly once, intact.
 * How: each experiment's run() called inline with shrunken params (thousands
 * of events, a few hundred ms), then rowSchema.parse on the full row. No
 * timing is asserted.
 */
import { describe, expect, test } from "bun:test";
import { QUEUES } from "../experiments/queue/experiment.ts";
import { experiments, findExperiment } from "../experiments/registry.ts";
import { expandGrid } from "../experiments/runner/grid.ts";
import type { Experiment, Profile } from "../experiments/runner/types.ts";

async function runOnce(exp: Experiment, point: Record<string, unknown>, seed = 7) {
  const parsedPoint = exp.paramsSchema.parse(point);
  expect(exp.include ? exp.include(parsedPoint) : true).toBe(true);
  const measured = await exp.run(parsedPoint, {
    seed,
    repeat: 0,
    profile: "quick",
    signal: new AbortController().signal,
  });
  return exp.rowSchema.parse({ ...parsedPoint, repeat: 0, seed, ...measured });
}

describe("experiment grids", () => {
  for (const exp of experiments) {
    for (const profile of ["quick", "full"] as Profile[]) {
      test(`${exp.name} ${profile} grid validates and expands to points with nothing unregistered`, () => {
        const grid = expandGrid(exp, profile);
        expect(grid.points.length).toBeGreaterThan(0);
        expect(grid.skipped.filter((s) => s.reason.includes("not registered"))).toEqual([]);
      });
    }
  }
});

/** Each test starts Workers or processes; room for a loaded 2-core machine. */
const RUN_TIMEOUT_MS = 90_000;

describe("one tiny point per experiment", () => {
  test(
    "alloc: every allocator, with and without a live set",
    async () => {
      const exp = findExperiment("alloc");
      for (const allocator of ["naive", "array-pool", "slab"]) {
        for (const liveSetSize of [0, 100]) {
          const row = await runOnce(exp, {
            allocator,
            liveSetSize,
            recordBytes: 64,
            opsCount: 20_000,
            chunkOps: 1000,
          });
          expect(row.chunks).toBe(20);
          expect(row.opsPerS as number).toBeGreaterThan(0);
          expect(row.slowChunks as number).toBeLessThanOrEqual(20);
        }
      }
    },
    RUN_TIMEOUT_MS,
  );

  test(
    "queue: every queue moves every event intact",
    async () => {
      const exp = findExperiment("queue");
      expect(QUEUES).toContain("message-port");
      for (const queue of QUEUES) {
        const row = await runOnce(exp, {
          queue,
          producers: 1,
          capacitySlots: 256,
          mode: "batch",
          batchRecords: 16,
          recordBytes: 64,
          waitStrategy: "spin-then-park",
          eventsTotal: 5000,
        });
        expect(row).toMatchObject({ eventsReceived: 5000, lost: 0, duplicated: 0, corrupted: 0 });
        expect(row.firstError).toBe("");
        expect(row.latencyNsP99).not.toBeNull();
      }
    },
    RUN_TIMEOUT_MS,
  );

  test(
    "wakeup: a short ping-pong per wait strategy",
    async () => {
      const exp = findExperiment("wakeup");
      for (const waitStrategy of ["spin", "spin-then-park", "park"]) {
        const row = await runOnce(exp, {
          queue: "spsc",
          waitStrategy,
          loadThreads: 0,
          gapUs: 0,
          durationMs: 100,
          maxRoundTrips: 200,
        });
        expect(row.roundTrips as number).toBeGreaterThan(0);
        expect(row.roundTrips as number).toBeLessThanOrEqual(200);
      }
    },
    RUN_TIMEOUT_MS,
  );

  test(
    "spsc-misuse: the controls (fan-in, one-producer spsc) lose nothing",
    async () => {
      const exp = findExperiment("spsc-misuse");
      const base = { mode: "single", batchRecords: 1, eventsPerProducer: 3000 };
      const fanIn = await runOnce(exp, { ...base, queue: "fan-in", producers: 3 });
      expect(fanIn).toMatchObject({
        eventsSent: 9000,
        damagedEvents: 0,
        duplicated: 0,
        reordered: 0,
      });
      const single = await runOnce(exp, { ...base, queue: "spsc", producers: 1 });
      expect(single).toMatchObject({ eventsSent: 3000, damagedEvents: 0 });
      // Unsynchronized producers: the damage is whatever the race produced; the row must still be whole.
      const misuse = await runOnce(exp, { ...base, queue: "spsc", producers: 2 });
      expect(misuse.damagedEvents).toBe(
        (misuse.lost as number) + (misuse.duplicated as number) + (misuse.corrupted as number),
      );
    },
    RUN_TIMEOUT_MS,
  );
});
