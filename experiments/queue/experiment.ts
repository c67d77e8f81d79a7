/**
 * `queue`: every queue implementation across Workers (runQueueWorkload: one
 * Worker per producer and one consumer Worker, a start barrier, every record
 * checked), swept over producers, capacity, batch size, record size and wait
 * strategy, with the `message-port` baseline in the same sweep (its
 * batchRecords option is set to the batch size, so it transfers one
 * ArrayBuffer per batch, the strongest form a user would write) and
 * `message-port-object` (one structured-cloned object per event, the naive
 * form). The queue axis is every registered queue; SLOW_QUEUES (one message
 * per event) get a smaller slice with fewer events.
 *
 * Figures: events/s, push-to-pop latency p50/p99/p999 (HDR histogram, from the
 * ingest timestamp in each record), CPU seconds per million events
 * (process.cpuUsage over all threads), and the integrity counts.
 *
 * The full cartesian grid is ~1,300 points per repetition; instead each profile
 * is a union of slices around one baseline point (capacity 4096, batch 16, 64 B
 * records, spin-then-park, 1 producer), each slice sweeping one or two
 * dimensions (capacity x batch, producers, wait strategy x batch, record size,
 * spans). Budgets on this 2-core machine: quick ~60 points x 3 repeats
 * (~3 min); full ~115 points x 5 repeats (~10 min; 5, not the default 7, to
 * keep the whole full run near 25 min).
 * Control: at every one-producer point outside span mode the same driver
 * also runs the null conduit (null-conduit.ts, NULL_CONDUIT_NAME in the
 * queue column): the harness's own ceiling, so the section gives each
 * queue's events/s as a fraction of it. It is not a registered queue.
 * Spin waiting is swept with one producer only: with more threads than cores,
 * spinners starve the thread they wait for (the wakeup experiment shows that cost).
 */
import { z } from "zod";
import { RecordBytesSchema } from "../../impl/core/contracts.ts";
import { RECORD_SIZES } from "../../impl/core/record.ts";
import "../../impl/index.ts";
import { WAIT_STRATEGIES } from "../../impl/core/contracts.ts";
import { listImplementations } from "../../impl/index.ts";
import { runQueueWorkload } from "../../impl/queue/workload.ts";
import { workloadColumns, workloadRow } from "../queue/columns.ts";
import type { GridBlock } from "../runner/types.ts";
import { defineExperiment } from "../runner/types.ts";
import { NULL_CONDUIT_MODULE, NULL_CONDUIT_NAME } from "./null-conduit.ts";
import { queueSection } from "./section.ts";

/** Every registered queue, the baselines (message-port, message-port-object) included. */
export const QUEUES: readonly string[] = listImplementations("queue").map((r) => r.name);
/**
 * Queues that move one message per event (tens of thousands of events/s):
 * swept over batch size and producers only, with fewer events, so they do not
 * eat the time budget. Their rate is still comparable (events/s).
 */
export const SLOW_QUEUES: readonly string[] = ["message-port-object"];
/** The fast queues and the control (the harness ceiling), which include() keeps to one producer. */
const FAST_QUEUES = [...QUEUES.filter((q) => !SLOW_QUEUES.includes(q)), NULL_CONDUIT_NAME];
/** Per-run time limit; a run that hits it is recorded with timedOut = true. */
export const RUN_TIMEOUT_MS = { quick: 20_000, full: 60_000 } as const;

const params = {
  queue: z.string().min(1),
  producers: z.number().int().min(1).max(16),
  capacitySlots: z
    .number()
    .int()
    .min(1)
    .max(1 << 22),
  mode: z.enum(["single", "batch", "span"]),
  batchRecords: z.number().int().min(1).max(65536),
  recordBytes: RecordBytesSchema,
  waitStrategy: z.enum(WAIT_STRATEGIES),
  /** Events over all producers (each sends eventsTotal / producers). */
  eventsTotal: z.number().int().min(1).max(1e9),
};
type Point = z.output<z.ZodObject<typeof params>>;

/** The baseline every slice varies around. */
function base(eventsTotal: number): GridBlock<Point> {
  return {
    queue: [...FAST_QUEUES],
    producers: [1],
    capacitySlots: [4096],
    mode: ["batch"],
    batchRecords: [16],
    recordBytes: [64],
    waitStrategy: ["spin-then-park"],
    eventsTotal: [eventsTotal],
  };
}

/** Batch 1 runs as mode single (one record per push and pop); larger batches as mode batch. */
function batches(sizes: number[], eventsTotal: number): GridBlock<Point>[] {
  return sizes.map((b) => ({
    ...base(eventsTotal),
    mode: [b === 1 ? "single" : "batch"],
    batchRecords: [b],
  }));
}

// Runs long enough that the JIT has tiered up before the timed window opens:
// with 250k events and no warm-up, fresh Workers spent most of the run in the
// interpreter and every fast queue measured ~2-5M events/s (the bench, sized to
// ~1 s runs, measures spsc at batch 256 near 40M/s on the same machine).
const QUICK_EVENTS = 400_000;
const FULL_EVENTS = 1_000_000;
const SLOW_QUICK_EVENTS = 40_000;
const SLOW_FULL_EVENTS = 80_000;
/** Share of each run's events received before the timed window opens. */
const WARMUP_FRACTION = 0.25;

/** The slow queues at batch 1, 16 and 256, and at `producers`. */
function slowBlocks(eventsTotal: number, producers: number[]): GridBlock<Point>[] {
  if (SLOW_QUEUES.every((q) => !QUEUES.includes(q))) return [];
  const queue = SLOW_QUEUES.filter((q) => QUEUES.includes(q));
  return [
    ...batches([1, 16, 256], eventsTotal).map((b) => ({ ...b, queue })),
    { ...base(eventsTotal), queue, producers },
  ];
}

const quick: GridBlock<Point>[] = [
  ...batches([1, 16, 256], QUICK_EVENTS),
  { ...base(QUICK_EVENTS), capacitySlots: [64, 1024, 65536] },
  { ...base(QUICK_EVENTS), producers: [2, 4] },
  { ...base(QUICK_EVENTS), waitStrategy: ["spin", "park"] },
  { ...base(QUICK_EVENTS), recordBytes: [32, 256] },
  ...slowBlocks(SLOW_QUICK_EVENTS, [2]),
];

/** The batch-size block for `b` with `patch` applied (one slice of the full grid). */
function vary(b: number, patch: Partial<GridBlock<Point>>): GridBlock<Point> {
  return { ...batches([b], FULL_EVENTS)[0]!, ...patch };
}

const full: GridBlock<Point>[] = [
  ...[1, 256].map((b) => vary(b, { capacitySlots: [64, 1024, 4096, 16384, 65536] })),
  vary(16, { capacitySlots: [64, 65536] }),
  vary(16, { producers: [1, 2, 3, 4] }),
  vary(256, { producers: [1, 4] }),
  ...[16, 256].map((b) => vary(b, { waitStrategy: [...WAIT_STRATEGIES] })),
  vary(16, { recordBytes: [...RECORD_SIZES] }),
  { ...base(FULL_EVENTS), mode: ["span"], batchRecords: [16, 256] },
  ...slowBlocks(SLOW_FULL_EVENTS, [2, 4]),
];

/** Latency sample rate: ~47k samples in the timed 750k events of a full run, enough for p99.9. */
const LATENCY_SAMPLE_EVERY = 16;

export default defineExperiment({
  name: "queue",
  description:
    "every registered queue across Workers (spsc, fan-in, mutex; message-port and message-port-object baselines; a null-conduit control, the harness ceiling): events/s, push-to-pop latency, CPU per million events over producers, capacity, batch, record size, wait strategy",
  module: import.meta.url,
  section: queueSection,
  smoke: {
    // Every registered queue moves every event intact.
    points: [...QUEUES, NULL_CONDUIT_NAME].map((queue) => ({
      queue,
      producers: 1,
      capacitySlots: 256,
      mode: "batch" as const,
      batchRecords: 16,
      recordBytes: 64 as const,
      waitStrategy: "spin-then-park" as const,
      eventsTotal: 5000,
    })),
    check: (rows) =>
      rows.flatMap((r) =>
        r.eventsReceived === 5000 &&
        r.lost === 0 &&
        r.duplicated === 0 &&
        r.corrupted === 0 &&
        r.firstError === "" &&
        r.latencyNsP99 !== null
          ? []
          : [
              `${r.queue}: received ${r.eventsReceived}/5000, lost ${r.lost}, duplicated ${r.duplicated}, corrupted ${r.corrupted}, firstError "${r.firstError}", latencyNsP99 ${r.latencyNsP99}`,
            ],
      ),
  },
  params,
  measured: workloadColumns,
  grids: { quick, full },
  include(p) {
    if (p.queue === NULL_CONDUIT_NAME)
      return p.producers === 1 && p.mode !== "span"
        ? true
        : "the control (null conduit) has one producer and no spans";
    const reg = listImplementations("queue").find((r) => r.name === p.queue);
    if (!reg) return `queue "${p.queue}" is not registered`;
    if (p.producers > 1 && !reg.capabilities.multiProducer)
      return `${p.queue} is single-producer (see spsc-misuse for what concurrent pushes cost)`;
    if (p.mode === "span" && !reg.capabilities.spans) return `${p.queue} offers no spans`;
    if ((p.mode === "single") !== (p.batchRecords === 1))
      return "mode single means batch 1, and batch 1 runs as mode single";
    if (p.batchRecords > p.capacitySlots) return "a batch larger than the queue";
    return true;
  },
  repeats: { full: 5 },
  isolation: "inline", // runQueueWorkload already runs every end in a fresh Worker
  headline: {
    metrics: [{ column: "throughputEventsPerS", higherIsBetter: true }],
    // spsc / message-port at batch 256: its 2 points to 80 repetitions (the grid keeps 5). Two
    // reference runs at 5 gave half-widths of 10% and 21%, at 25 11.3% and 15.3% (a queue trial
    // needs both cores, so its pairs spread about twice the allocators'); the half-width falls
    // as 1/sqrt(pairs), so 80 should bring both under 10%. Cost: 2 x 55 extra x ~0.3 s = ~35 s.
    repeats: { full: 80 },
  },
  claims: [
    {
      id: "queue-spsc-vs-message-port",
      text: "A lock-free SPSC ring beats the batched MessagePort baseline between two threads.",
      source:
        "docs/claims.md: design notes (batches matter more than lock-freedom: a MessagePort that transfers one ArrayBuffer per batch reaches 25-30M records/s of 64 B)",
      measured: {
        kind: "ratio",
        unit: "x (spsc / message-port events/s)",
        numerator: {
          column: "throughputEventsPerS",
          where: {
            queue: "spsc",
            mode: "batch",
            producers: 1,
            capacitySlots: 4096,
            batchRecords: 256,
            recordBytes: 64,
            waitStrategy: "spin-then-park",
          },
        },
        denominator: {
          column: "throughputEventsPerS",
          where: {
            queue: "message-port",
            mode: "batch",
            producers: 1,
            capacitySlots: 4096,
            batchRecords: 256,
            recordBytes: 64,
            waitStrategy: "spin-then-park",
          },
        },
      },
      interpretation:
        "Both batch 256 records; above 1 the ring wins. Compare batch 1 in the CSV, where per-record publication dominates.",
    },
  ],
  async run(p, ctx) {
    const result = await runQueueWorkload({
      queue: p.queue,
      ...(p.queue === NULL_CONDUIT_NAME ? { conduitModule: NULL_CONDUIT_MODULE } : {}),
      queueOptions: {
        capacitySlots: p.capacitySlots,
        recordBytes: p.recordBytes,
        producers: p.producers,
        waitStrategy: p.waitStrategy,
        batchRecords: p.batchRecords,
      },
      eventsPerProducer: Math.floor(p.eventsTotal / p.producers),
      mode: p.mode,
      batchRecords: p.batchRecords,
      seed: ctx.seed,
      timeoutMs: RUN_TIMEOUT_MS[ctx.profile],
      // Throughput is measured in the same run as latency, so neither check may
      // dominate it: integrity of payloads is the contract suite's and compare's
      // job (ids are still checked here: lost/duplicated/reordered), and latency
      // is sampled (1 record in LATENCY_SAMPLE_EVERY, chosen by sequence).
      checkPayload: false,
      recordLatency: true,
      latencySampleEvery: LATENCY_SAMPLE_EVERY,
      warmupEvents: Math.floor(
        Math.floor(p.eventsTotal / p.producers) * p.producers * WARMUP_FRACTION,
      ),
    });
    return workloadRow(result);
  },
});
