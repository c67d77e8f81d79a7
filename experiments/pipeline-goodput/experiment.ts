/**
 * `pipeline-goodput`: goodput at a latency SLO, per implementation, with
 * Redis XADD in the same run (issue 13). For each target (eventlab staged
 * fan-in, eventlab compact, Redis XADD) and each SLO (p99 <= 5 ms, <= 1 ms),
 * one search over offered open-loop rates (search.ts): short steps (ramp,
 * bisection) bracket the knee, then the boundary is confirmed by repeated
 * long steps (full: 3 x 10 s, the step), a majority of which must
 * pass. Every measured step is a row (rowKey "step"), so the CSV holds the
 * whole latency-throughput curve (p50, p99, p99.9 against achieved rate);
 * every row of a search carries its result, goodputEventsPerS, and the
 * boundary's long steps give the p99 interval at that rate.
 *
 * Placement (placement.ts): "split" runs the server's threads (eventlab
 * Workers, or the redis-server process) on one CPU set and the load
 * generator's thread on the other, with taskset; "none" lets the OS place
 * them (compact is searched both ways in one run: the comparison). Each row
 * records its placement and the 1-minute load average at its start.
 *
 * After the searches, the "soak" point (soak.ts) runs compact at 10% of the
 * best goodput this run measured for it (pinned or unpinned, with that
 * search's pinning; one long step: the p99 <= 1 ms target) and at 50% for
 * soakS seconds (full: 60), recording every sample above 50 ms with its
 * time (the no-stall target).
 *
 * Isolation "inline": the pipeline runs its own Workers; the Redis server
 * lives for the whole run; the soak reads the goodput its run's search found.
 */
import "../../impl/index.ts";
import { readFileSync } from "node:fs";
import { z } from "zod";
import { TOPOLOGIES } from "../../impl/pipeline/config.ts";
import { openLoopColumns } from "../pipeline/point.ts";
import { defineExperiment } from "../runner/types.ts";
import { measureStep, stopGoodputRedis } from "./measure.ts";
import { choosePlacement, PLACEMENTS, type PlacementKind } from "./placement.ts";
import { type SearchOptions, searchGoodput } from "./search.ts";
import { goodputSection } from "./section.ts";
import { rememberGoodput, runSoak, SOAK_PHASES, stepRow } from "./soak.ts";

export const REDIS_QUEUE = "redis-xadd";

const params = {
  /** "search": goodput search at sloMs; "soak": compact at 10% and 50% of this run's goodput (soak.ts). */
  mode: z.enum(["search", "soak"]).default("search"),
  target: z.enum(["eventlab", "resp"]),
  /** Dispatcher queue kind (REDIS_QUEUE for resp; "-" for the compact topology, which has none). */
  queue: z.string().min(1),
  topology: z.enum([...TOPOLOGIES, "-"]),
  /** "split": server and load generator pinned to separate CPUs; "none": unpinned (placement.ts). */
  pinning: z.enum(PLACEMENTS).default("split"),
  sloMs: z.number().min(0.1).max(1000),
  /** Measured seconds of each ramp and bisection step (after a warm-up): bracketing only. */
  stepS: z.number().min(0.1).max(60),
  /**
   * Measured seconds of each boundary step (and of the soak's 10% step): the
   * figure rests on these. 0: as long as stepS (CSVs written before it existed).
   */
  boundaryS: z.number().min(0).max(60).default(0),
  /** Soak: measured seconds at 50% of goodput (search points: 0). */
  soakS: z.number().min(0).max(600).default(0),
};
type Point = z.output<z.ZodObject<typeof params>>;

const measured = {
  step: z.number().int().min(0),
  phase: z.enum(["ramp", "bisect", "boundary", ...SOAK_PHASES]),
  ratePerS: z.number().min(0),
  /** Measured seconds of this step (0: not recorded, a CSV from before the column). */
  durationS: z.number().min(0).default(0),
  ...openLoopColumns,
  passed: z.boolean(),
  /** The search's result (same on every row of one search), events/s; 0 if no rate passed. Soak: the goodput it ran against. */
  goodputEventsPerS: z.number().min(0),
  /** Lowest rate a short step failed at (the bracket's top), events/s; 0: none failed. */
  lowestFailEventsPerS: z.number().min(0).default(0),
  boundaryPassFraction: z.number().min(0).max(1),
  /** Measured batches acked 50 ms or more after their intended time. */
  samplesOver50Ms: z.number().int().min(0).nullable().default(null),
  /** Those samples as episodes, "from-to s (into the measured window): n batches, worst ms; ..." (up to MAX_SLOW_LISTED). */
  samplesOver50MsAt: z.string().default(""),
  /** Where the threads ran: e.g. "server cpu 0, load cpu 1", or "none: unpinned". */
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
 * Steps per search and boundary rates tried: the ramp (~5 doublings from
 * 100k) and bisection (~3 to 15%) are short steps; the boundary is 3 long
 * steps per rate, at most 2 rates in full (so a failed boundary costs 60 s,
 * not more). Full profile, 7 searches + the soak: ~5-7 minutes.
 */
const MAX_STEPS = { quick: 14, full: 16 } as const;
const MAX_BOUNDARY_RATES = { quick: 1, full: 2 } as const;

const timing = {
  quick: { stepS: [0.3], boundaryS: [0.5], soakS: [0] },
  full: { stepS: [0.5], boundaryS: [10], soakS: [0] },
};
const split = { mode: ["search" as const], pinning: ["split" as const] };
const fanIn = { target: ["eventlab" as const], queue: ["fan-in"], topology: ["staged" as const] };
const compact = { target: ["eventlab" as const], queue: ["-"], topology: ["compact" as const] };
const redis = { target: ["resp" as const], queue: [REDIS_QUEUE], topology: ["-" as const] };

function grid(profile: "quick" | "full") {
  const t = timing[profile];
  return [
    { ...split, ...compact, sloMs: [5, 1], ...t },
    { ...split, ...fanIn, sloMs: [5, 1], ...t },
    { ...split, ...redis, sloMs: [5, 1], ...t },
    // The placement comparison: compact with no pinning, same search, same run.
    { ...split, pinning: ["none" as const], ...compact, sloMs: [5], ...t },
    // Last: it runs against the best goodput the compact searches above found, with that search's pinning.
    {
      mode: ["soak" as const],
      pinning: ["split" as const],
      ...compact,
      sloMs: [5],
      ...t,
      soakS: [profile === "full" ? 60 : 2],
    },
  ];
}

function loadAverage1m(): number {
  return Number(readFileSync("/proc/loadavg", "utf8").split(" ")[0]);
}

/** Slow samples this close together (s) are one episode in the row's list: one stall delays many batches. */
const EPISODE_GAP_S = 0.1;

/** The slow samples as episodes "from-to s: n batches, worst ms" (up to `max`; the count column is per batch). */
function slowText(slow: readonly { atS: number; latencyNs: number }[], max: number): string {
  const eps: { from: number; to: number; n: number; worstNs: number }[] = [];
  for (const x of [...slow].sort((a, b) => a.atS - b.atS)) {
    const last = eps.at(-1);
    if (last && x.atS - last.to <= EPISODE_GAP_S) {
      last.to = x.atS;
      last.n++;
      last.worstNs = Math.max(last.worstNs, x.latencyNs);
    } else eps.push({ from: x.atS, to: x.atS, n: 1, worstNs: x.latencyNs });
  }
  const shown = eps
    .slice(0, max)
    .map(
      (e) =>
        `${e.from.toFixed(2)}-${e.to.toFixed(2)} s: ${e.n} batches, worst ${(e.worstNs / 1e6).toFixed(1)} ms`,
    );
  if (eps.length > max) shown.push(`... ${eps.length - max} more episodes`);
  return shown.join("; ");
}

export default defineExperiment({
  name: "pipeline-goodput",
  description:
    "goodput at a p99 SLO (5 ms, 1 ms): the highest open-loop rate each target sustains within it, short steps to bracket and repeated long steps to confirm the boundary, eventlab (compact, staged fan-in; compact pinned and unpinned) and Redis XADD in one run; then compact at 10% and 50% of its goodput with every sample over 50 ms recorded; every step is a point of the latency-throughput curve",
  module: import.meta.url,
  section: goodputSection,
  params,
  measured,
  rowKey: ["step"],
  grids: { quick: grid("quick"), full: grid("full") },
  repeats: { quick: 1, full: 1 },
  isolation: "inline",
  include: (p: Point) => {
    if (p.target === "resp")
      return p.queue === REDIS_QUEUE && p.topology === "-"
        ? true
        : `resp rows use queue "${REDIS_QUEUE}" and topology "-"`;
    if (p.topology === "-") return "eventlab rows name a topology";
    if ((p.topology === "compact") !== (p.queue === "-"))
      return 'the compact topology has no queue (queue "-"); staged rows name one';
    if ((p.mode === "soak") !== p.soakS > 0) return "soak points (only) have soakS > 0";
    return true;
  },
  smoke: {
    points: [
      {
        mode: "search",
        target: "eventlab",
        queue: "-",
        topology: "compact",
        pinning: "split",
        sloMs: 50,
        stepS: 0.2,
        boundaryS: 0.2,
        soakS: 0,
      },
    ],
    check: (rows) =>
      rows.length > 0 && rows.every((r) => r.goodputEventsPerS === rows[0]!.goodputEventsPerS)
        ? []
        : ["a search's rows must share one goodput figure"],
  },
  async run(p, ctx): Promise<Measured[]> {
    let seed = ctx.seed;
    const measureAt = (pinning: PlacementKind) => {
      const placement = choosePlacement(pinning);
      return async (rate: number, durationS: number) => {
        if (ctx.signal.aborted) throw new Error("aborted");
        const loadAverage = loadAverage1m();
        seed = (seed + 1) >>> 0;
        return { m: await measureStep(p, rate, durationS, seed, placement), loadAverage };
      };
    };
    if (p.mode === "soak") {
      const soak = await runSoak(p, measureAt, (slow) => slowText(slow, MAX_SLOW_LISTED));
      const text = choosePlacement(soak.pinning).text;
      return soak.rows.map((r) => ({ ...r, placement: text }));
    }
    const placement = choosePlacement(p.pinning);
    const measure = measureAt(p.pinning);
    const steps: { durationS: number; loadAverage: number; slow: number; slowAt: string }[] = [];
    const result = await searchGoodput(
      async (rate, phase) => {
        const durationS = phase === "boundary" && p.boundaryS > 0 ? p.boundaryS : p.stepS;
        const { m, loadAverage } = await measure(rate, durationS);
        steps.push({
          durationS,
          loadAverage,
          slow: m.slow.length,
          slowAt: slowText(m.slow, MAX_SLOW_LISTED),
        });
        return m;
      },
      {
        ...SEARCH,
        sloNs: p.sloMs * 1e6,
        maxSteps: MAX_STEPS[ctx.profile],
        maxBoundaryRates: MAX_BOUNDARY_RATES[ctx.profile],
      },
    );
    rememberGoodput(p, result.goodputPerS);
    return result.steps.map((s, i) => ({
      placement: placement.text,
      ...stepRow(
        i,
        s,
        s.passed,
        result.goodputPerS,
        steps[i]!.durationS,
        steps[i]!.loadAverage,
        steps[i]!.slow,
        steps[i]!.slowAt,
      ),
      lowestFailEventsPerS: Number.isFinite(result.lowestFailPerS) ? result.lowestFailPerS : 0,
      boundaryPassFraction: result.boundaryPassFraction,
    }));
  },
});

/** Named maximum: slow episodes listed (with their times) in one row; the count is always complete. */
const MAX_SLOW_LISTED = 40;

export { stopGoodputRedis };
