/**
 * The queue experiment's control (experiments/queue/null-conduit.ts): driven
 * by the real workload driver across Workers, it delivers every event exactly
 * once, in order, payload intact, under each wait strategy, in single and
 * batch mode, with a capacity of 1 and a capacity that is not a power of two
 * (wraparound); it stays out of the queue registry even with the experiments
 * loaded (so the contract suite, compare and the pipeline sweep never see
 * it); the section's control table gives a point's paired fraction of the
 * control on synthetic rows, and says "no control" where there is none.
 */
import { describe, expect, test } from "bun:test";
import { controlTable } from "../experiments/queue/control.ts";
import { NULL_CONDUIT_MODULE, NULL_CONDUIT_NAME } from "../experiments/queue/null-conduit.ts";
import { experiments } from "../experiments/registry.ts";
import { listImplementations } from "../impl/index.ts";
import { runQueueWorkload } from "../impl/queue/workload.ts";

const EVENTS = 20_000;

async function runControl(
  capacitySlots: number,
  mode: "single" | "batch",
  batchRecords: number,
  waitStrategy: "spin" | "spin-then-park" | "park",
) {
  return runQueueWorkload({
    queue: NULL_CONDUIT_NAME,
    conduitModule: NULL_CONDUIT_MODULE,
    queueOptions: { capacitySlots, recordBytes: 64, producers: 1, waitStrategy },
    eventsPerProducer: EVENTS,
    mode,
    batchRecords,
    seed: 7,
    timeoutMs: 60_000,
    checkPayload: true,
  });
}

describe("null conduit (the queue experiment's control)", () => {
  for (const [cap, mode, batch, ws] of [
    [4096, "batch", 256, "spin-then-park"],
    [1, "single", 1, "park"],
    [7, "batch", 5, "spin-then-park"],
    [4096, "batch", 256, "spin"],
    [100, "batch", 64, "park"],
  ] as const) {
    test(`capacity ${cap}, ${mode} ${batch}, ${ws}: every event once, in order, intact`, async () => {
      const r = await runControl(cap, mode, batch, ws);
      expect(r.errors).toEqual([]);
      expect([r.eventsSent, r.eventsReceived]).toEqual([EVENTS, EVENTS]);
      expect([r.lost, r.duplicated, r.reordered, r.corrupted]).toEqual([0, 0, 0, 0]);
    }, 90_000);
  }

  test("it is not a registered queue, with every experiment loaded", () => {
    expect(experiments.some((e) => e.name === "queue")).toBe(true);
    expect(listImplementations("queue").map((q) => q.name)).not.toContain(NULL_CONDUIT_NAME);
  });

  test("the control table pairs a point with the control by repetition", () => {
    const point = {
      producers: 1,
      capacitySlots: 4096,
      mode: "batch",
      batchRecords: 16,
      recordBytes: 64,
      waitStrategy: "park",
      eventsTotal: 1000,
    };
    const rows = [0, 1, 2, 3, 4].flatMap((repeat) => [
      { ...point, queue: NULL_CONDUIT_NAME, repeat, throughputEventsPerS: 1e7 * (1 + repeat) },
      { ...point, queue: "spsc", repeat, throughputEventsPerS: 0.8e7 * (1 + repeat) },
      { ...point, queue: "fan-in", producers: 2, repeat, throughputEventsPerS: 5e6 },
    ]);
    const t = controlTable(rows);
    const spsc = t.rows.find((r) => r[0] === "spsc")!;
    expect(spsc[9]).toMatch(/^0\.8x \(95% CI 0\.8x–0\.8x, 5 pairs\)$/);
    const fanIn = t.rows.find((r) => r[0] === "fan-in")!;
    expect(fanIn[9]).toContain("no control (it runs only at one-producer points without spans)");
    expect(fanIn[2]).toBe("batch");
    expect(t.rows.some((r) => r[0] === NULL_CONDUIT_NAME)).toBe(false);
  });
});
