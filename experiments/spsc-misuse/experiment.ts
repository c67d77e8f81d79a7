/**
 * `spsc-misuse`: N producers (1..4) pushing into ONE `spsc` ring opened with
 * `unsafe: true` (the registry refuses that wiring otherwise), against
 * `fan-in` (one SPSC ring per producer) as the correct control. The C++ system
 * this harness studies let several TCP threads push into its 65,536-slot SPSC
 * ring without synchronization; this measures what that loses.
 *
 * Each producer sends records one at a time (as a TCP reader thread would);
 * the consumer checks every record's id and pattern payload, so the counts of
 * lost, duplicated, reordered and corrupted events are exact. With one
 * producer both queues must show zero damage (the control row).
 */
import { z } from "zod";
import "../../impl/index.ts";
import { runQueueWorkload } from "../../impl/queue/workload.ts";
import { workloadColumns, workloadRow } from "../queue/columns.ts";
import { defineExperiment } from "../runner/types.ts";
import { spscMisuseSection } from "./section.ts";

/** The C++ system's ring size. */
export const MISUSE_CAPACITY_SLOTS = 65536;
export const RUN_TIMEOUT_MS = { quick: 20_000, full: 40_000 } as const;

const params = {
  queue: z.enum(["spsc", "fan-in"]),
  producers: z.number().int().min(1).max(16),
  mode: z.enum(["single", "batch"]),
  batchRecords: z.number().int().min(1).max(65536),
  eventsPerProducer: z.number().int().min(1).max(1e8),
};

const measured = {
  ...workloadColumns,
  /** lost + duplicated + corrupted: events the consumer did not get exactly once, intact. */
  damagedEvents: z.number().int().min(0),
  /** damagedEvents / eventsSent. */
  damagedFraction: z.number().min(0),
};

function misuseClaim(producers: number) {
  return {
    id: `spsc-unsynchronized-push-${producers}p`,
    text: "Multiple TCP threads can push without synchronization into the SPSC ring.",
    source:
      "docs/claims.md: the C++ event system this harness studies (its dispatcher's 65,536-slot SPSC ring)",
    claimed: { value: 0, unit: "fraction of events damaged (implied: nothing lost)" },
    measured: {
      kind: "value" as const,
      unit: `fraction of events lost, duplicated or corrupted (spsc, ${producers} producers)`,
      measure: { column: "damagedFraction", where: { queue: "spsc", producers } },
    },
    interpretation:
      "Any value above 0 refutes the claim: events were lost, duplicated or corrupted. fan-in at the same producer count is the control and must be 0; so must spsc with 1 producer.",
  };
}

export default defineExperiment({
  name: "spsc-misuse",
  description:
    "N producers into one spsc ring (unsafe) vs fan-in: lost, duplicated, reordered, corrupted events",
  module: import.meta.url,
  section: spscMisuseSection,
  smoke: {
    // The controls (fan-in, one-producer spsc) lose nothing; two unsynchronized
    // spsc producers damage whatever the race damages, but the row stays whole.
    points: [
      { queue: "fan-in" as const, producers: 3 },
      { queue: "spsc" as const, producers: 1 },
      { queue: "spsc" as const, producers: 2 },
    ].map((p) => ({ ...p, mode: "single" as const, batchRecords: 1, eventsPerProducer: 3000 })),
    check: (rows) =>
      rows.flatMap((r) => {
        const problems: string[] = [];
        const name = `${r.queue} x${r.producers}`;
        if (r.eventsSent !== 3000 * r.producers) problems.push(`${name}: sent ${r.eventsSent}`);
        if (r.damagedEvents !== r.lost + r.duplicated + r.corrupted)
          problems.push(
            `${name}: damagedEvents ${r.damagedEvents} != lost + duplicated + corrupted`,
          );
        const control = r.queue === "fan-in" || r.producers === 1;
        if (control && (r.damagedEvents !== 0 || r.duplicated !== 0 || r.reordered !== 0))
          problems.push(`${name}: a control damaged ${r.damagedEvents}, reordered ${r.reordered}`);
        return problems;
      }),
  },
  params,
  measured,
  grids: {
    quick: {
      queue: ["spsc", "fan-in"],
      producers: [1, 2, 3, 4],
      mode: ["single"],
      batchRecords: [1],
      eventsPerProducer: [100_000],
    },
    full: [
      {
        queue: ["spsc", "fan-in"],
        producers: [1, 2, 3, 4],
        mode: ["single"],
        batchRecords: [1],
        eventsPerProducer: [250_000],
      },
      {
        queue: ["spsc", "fan-in"],
        producers: [1, 2, 4],
        mode: ["batch"],
        batchRecords: [64],
        eventsPerProducer: [250_000],
      },
    ],
  },
  include: (p) =>
    (p.mode === "single") === (p.batchRecords === 1) ? true : "mode single means batch 1",
  isolation: "inline", // runQueueWorkload runs every end in a fresh Worker
  headline: { metrics: [{ column: "throughputEventsPerS", higherIsBetter: true }] },
  claims: [misuseClaim(2), misuseClaim(4)],
  async run(p, ctx) {
    const result = await runQueueWorkload({
      queue: p.queue,
      queueOptions: {
        capacitySlots: MISUSE_CAPACITY_SLOTS,
        recordBytes: 64,
        producers: p.producers,
        waitStrategy: "spin-then-park",
        unsafe: p.queue === "spsc",
      },
      eventsPerProducer: p.eventsPerProducer,
      mode: p.mode,
      batchRecords: p.batchRecords,
      seed: ctx.seed,
      timeoutMs: RUN_TIMEOUT_MS[ctx.profile],
      checkPayload: true,
      recordLatency: false,
    });
    const row = workloadRow(result);
    const damagedEvents = result.lost + result.duplicated + result.corrupted;
    return {
      ...row,
      damagedEvents,
      damagedFraction: result.eventsSent > 0 ? damagedEvents / result.eventsSent : 0,
    };
  },
});
