/**
 * `pipeline-goodput`: goodput at a latency SLO, per implementation, with
 * Redis XADD in the same run (issue 13). For each target (eventlab per queue
 * kind and topology; Redis XADD) and each SLO (p99 <= 5 ms, <= 1 ms), one
 * repetition is one search over offered open-loop rates (search.ts): ramp,
 * bisection, then repeated steps at the boundary. Every measured step is a
 * row (rowKey "step"), so the CSV holds the whole latency-throughput curve
 * (p50, p99, p99.9 against achieved rate); every row of a search also
 * carries its result, goodputEventsPerS, and the runner's repetitions give
 * its interval (median, min, max over repetitions in the report).
 *
 * Steps are short (quick 0.5 s, full 1.5 s, each after a 0.3 s warm-up on a
 * fresh server), not the 10 s the issue names, so the full profile finishes
 * in ~12 minutes on the 2-core host; short steps see fewer rare stalls, so
 * the goodput figures are optimistic against a 10 s criterion.
 *
 * Placement (placement.ts): the server's threads (eventlab Workers, or the
 * redis-server process) on one CPU set and the load generator's thread on
 * the other, with taskset, recorded in each row's `placement`. Every row
 * also records the 1-minute load average at its start: the host is shared.
 *
 * Isolation "inline": the pipeline runs its own Workers; the Redis server
 * lives for the whole run.
 */
import "../../impl/index.ts";
import { readFileSync } from "node:fs";
import { z } from "zod";
import { TOPOLOGIES } from "../../impl/pipeline/config.ts";
import { openLoopColumns } from "../pipeline/point.ts";
import { defineExperiment } from "../runner/types.ts";
import { measureStep, stopGoodputRedis } from "./measure.ts";
import { choosePlacement } from "./placement.ts";
import { type SearchOptions, searchGoodput } from "./search.ts";
import { goodputSection } from "./section.ts";

export const REDIS_QUEUE = "redis-xadd";

const params = {
  target: z.enum(["eventlab", "resp"]),
  /** Dispatcher queue kind (REDIS_QUEUE for resp; "-" for the compact topology, which has none). */
  queue: z.string().min(1),
  topology: z.enum([...TOPOLOGIES, "-"]),
  sloMs: z.number().min(0.1).max(1000),
  /** Measured seconds of each step (after a warm-up). */
  stepS: z.number().min(0.1).max(60),
};
type Point = z.output<z.ZodObject<typeof params>>;

const measured = {
  step: z.number().int().min(0),
  phase: z.enum(["ramp", "bisect", "boundary"]),
  ratePerS: z.number().min(0),
  ...openLoopColumns,
  passed: z.boolean(),
  /** The search's result (same on every row of one repetition), events/s; 0 if no rate passed. */
  goodputEventsPerS: z.number().min(0),
  boundaryPassFraction: z.number().min(0).max(1),
  placement: z.string(),
  loadAverage1m: z.number().min(0),
};
type Measured = z.output<z.ZodObject<typeof measured>>;

/** Search bounds, events/s: wide enough for Redis (~0.1-0.7M) and eventlab (~0.3-4M) on 2 cores. */
const SEARCH: Omit<SearchOptions, "sloNs"> = {
  startPerS: 100_000,
  minPerS: 10_000,
  maxPerS: 8_000_000,
  resolution: 0.15,
  boundaryRepeats: 3,
};

/**
 * Steps per search: ramp (~6 doublings from 100k), bisection (~3 to 15%) and
 * 3 boundary repeats fit in 12-14; the full profile's 20 searches x 14 steps
 * x ~2.3 s (1.5 s + warm-up + server start/stop) stay under ~11 minutes.
 */
const MAX_STEPS = { quick: 12, full: 14 } as const;

const quickTargets = [
  { target: ["eventlab" as const], queue: ["fan-in"], topology: ["staged" as const] },
  { target: ["eventlab" as const], queue: ["-"], topology: ["compact" as const] },
  { target: ["resp" as const], queue: [REDIS_QUEUE], topology: ["-" as const] },
];
const fullTargets = [
  {
    target: ["eventlab" as const],
    queue: ["fan-in", "mutex", "message-port"],
    topology: ["staged" as const],
  },
  ...quickTargets.slice(1),
];

function loadAverage1m(): number {
  return Number(readFileSync("/proc/loadavg", "utf8").split(" ")[0]);
}

export default defineExperiment({
  name: "pipeline-goodput",
  description:
    "goodput at a p99 SLO (5 ms, 1 ms): the highest open-loop rate each target sustains within it, by a search over rates with repetition at the boundary, eventlab per queue and topology and Redis XADD in one run; every step is a point of the latency-throughput curve",
  module: import.meta.url,
  section: goodputSection,
  params,
  measured,
  rowKey: ["step"],
  grids: {
    quick: quickTargets.map((t) => ({ ...t, sloMs: [5, 1], stepS: [0.5] })),
    full: fullTargets.map((t) => ({ ...t, sloMs: [5, 1], stepS: [1.5] })),
  },
  repeats: { quick: 1, full: 2 },
  isolation: "inline",
  include: (p: Point) => {
    if (p.target === "resp")
      return p.queue === REDIS_QUEUE && p.topology === "-"
        ? true
        : `resp rows use queue "${REDIS_QUEUE}" and topology "-"`;
    if (p.topology === "-") return "eventlab rows name a topology";
    if ((p.topology === "compact") !== (p.queue === "-"))
      return 'the compact topology has no queue (queue "-"); staged rows name one';
    return true;
  },
  smoke: {
    points: [{ target: "eventlab", queue: "-", topology: "compact", sloMs: 50, stepS: 0.2 }],
    check: (rows) =>
      rows.length > 0 && rows.every((r) => r.goodputEventsPerS === rows[0]!.goodputEventsPerS)
        ? []
        : ["a search's rows must share one goodput figure"],
  },
  async run(p, ctx): Promise<Measured[]> {
    const placement = choosePlacement();
    const rows: Measured[] = [];
    const loads: number[] = [];
    let seed = ctx.seed;
    const result = await searchGoodput(
      async (rate) => {
        if (ctx.signal.aborted) throw new Error("aborted");
        loads.push(loadAverage1m());
        seed = (seed + 1) >>> 0;
        return measureStep(p, rate, p.stepS, seed, placement);
      },
      { ...SEARCH, sloNs: p.sloMs * 1e6, maxSteps: MAX_STEPS[ctx.profile] },
    );
    result.steps.forEach((s, i) => {
      rows.push({
        step: i,
        phase: s.phase,
        ratePerS: s.ratePerS,
        offeredEventsPerS: s.offeredPerS,
        achievedEventsPerS: s.achievedPerS,
        latencyNsP50: s.p50Ns,
        latencyNsP99: s.p99Ns,
        latencyNsP999: s.p999Ns,
        latencyNsMax: s.maxNs,
        passed: s.passed,
        goodputEventsPerS: result.goodputPerS,
        boundaryPassFraction: result.boundaryPassFraction,
        placement: placement.text,
        loadAverage1m: loads[i] ?? 0,
      });
    });
    return rows;
  },
});

export { stopGoodputRedis };
