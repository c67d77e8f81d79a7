/**
 * `pipeline-goodput`: goodput at a latency SLO, per implementation, with
 * Redis XADD in the same run (issue 13). For each target (eventlab staged
 * fan-in, eventlab compact, Redis XADD) and each SLO (p99 <= 5 ms, <= 1 ms),
 * one search over offered open-loop rates (search.ts): short steps (ramp,
 * bisection) hint where the knee is, then `rounds` repetitions (full: 3) of
 * a search on long steps alone (full: 10 s, the step) each find
 * their own goodput, moving up or down from the hint (later rounds from the
 * median so far) and bisecting between a long pass and a long failure; each
 * round has a named maximum of long steps and records how it ended
 * (bracketed, at-max, never-passed, budget-exhausted). The search's goodput
 * is the median over its rounds with their min-max (the interval over
 * repetitions; 0: not confirmed, with the lowest long failing rate). Every
 * measured step is a row (rowKey "step"), so the CSV holds the whole
 * latency-throughput curve (p50, p99, p99.9 against achieved rate); every
 * row carries its search's result and its round's.
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
import { MAX_ROUNDS, ROUND_OUTCOMES, type SearchResult, searchGoodput } from "./search.ts";
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
  /** Repetitions (rounds) of the long-step search in one point (search.ts); 1: CSVs from before rounds. */
  rounds: z.number().int().min(1).max(MAX_ROUNDS).default(1),
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
  /**
   * The search's result (same on every row of one search), events/s: the
   * median of its rounds' goodputs; 0: not confirmed (most rounds had no long
   * pass). Soak: the goodput it ran against.
   */
  goodputEventsPerS: z.number().min(0),
  /** Min and max of the rounds' goodputs, events/s (null: a CSV from before rounds, one figure). */
  goodputMinEventsPerS: z.number().min(0).nullable().default(null),
  goodputMaxEventsPerS: z.number().min(0).nullable().default(null),
  /** Lowest rate a long step of the search failed at, events/s (CSVs from before rounds: a short step); 0: none failed. */
  lowestFailEventsPerS: z.number().min(0).default(0),
  /** Passing fraction of the search's long steps at rates up to its goodput (1: no long step below the figure failed). */
  boundaryPassFraction: z.number().min(0).max(1),
  /** The round this long step belongs to (short steps and soak rows: 0). */
  round: z.number().int().min(0).default(0),
  /** This row's round: its goodput (highest long pass, 0 none), lowest long failure (0 none), how it ended; null / "": short steps, soak rows, older CSVs. */
  roundGoodputEventsPerS: z.number().min(0).nullable().default(null),
  roundLowestFailEventsPerS: z.number().min(0).nullable().default(null),
  roundOutcome: z.enum([...ROUND_OUTCOMES, ""]).default(""),
  /** Long steps the round took (its named maximum: firstRoundLongSteps / longStepsPerRound); 0: not a round's row. */
  roundLongSteps: z.number().int().min(0).default(0),
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
const SEARCH = {
  startPerS: 100_000,
  minPerS: 10_000,
  maxPerS: 8_000_000,
  resolution: 0.15,
} as const;

/**
 * Long-step budgets (search.ts caps them): round 0 may start far from the
 * long-step knee (Redis: short steps pass at ~1.6x what 10 s steps sustain:
 * one step down, a halving, then bisection to 15% takes 5-6), later rounds
 * start near it and take 2 (a pass and a failure 15% above it) or 3.
 * Full profile, expected: ~45 long steps of ~10.3 s over the 7 searches
 * (eventlab's 1 ms searches ~3 when nothing passes at the floor), ~45 s of
 * short steps, the soak's 71 s: ~9-10 minutes. Worst case (every round
 * spending its budget): 11 long steps per search.
 */
const BUDGET = {
  quick: { maxShortSteps: 12, firstRoundLongSteps: 3, longStepsPerRound: 2 },
  full: { maxShortSteps: 14, firstRoundLongSteps: 5, longStepsPerRound: 3 },
} as const;

const timing = {
  quick: { stepS: [0.3], boundaryS: [0.5], soakS: [0], rounds: [3] },
  full: { stepS: [0.5], boundaryS: [10], soakS: [0], rounds: [3] },
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
      rounds: [1],
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
    "goodput at a p99 SLO (5 ms, 1 ms): the highest open-loop rate each target sustains within it, short steps to hint where the knee is, then rounds (repetitions) of a search on long steps, median and min-max over rounds, eventlab (compact, staged fan-in; compact pinned and unpinned) and Redis XADD in one run; then compact at 10% and 50% of its goodput with every sample over 50 ms recorded; every step is a point of the latency-throughput curve",
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
        rounds: 2,
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
    const label = `pipeline-goodput ${p.target === "resp" ? REDIS_QUEUE : p.topology === "compact" ? "compact" : p.queue} (${p.pinning}) p99 <= ${p.sloMs} ms`;
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
        ...BUDGET[ctx.profile],
        rounds: p.rounds,
        sloNs: p.sloMs * 1e6,
        // Progress: a search runs for a minute or more in the full profile.
        onRound: (r) =>
          console.warn(
            `${label}: round ${r.round + 1}/${p.rounds} ${r.outcome}, goodput ${Math.round(r.goodputPerS)}/s, lowest long failure ${Number.isFinite(r.lowestFailPerS) ? Math.round(r.lowestFailPerS) : "none"}, ${r.longSteps} long steps`,
          ),
      },
    );
    rememberGoodput(p, result.goodputPerS);
    return searchRows(result, steps, placement.text);
  },
});

/** The CSV rows of one search: each step with its round's result and the search's. */
function searchRows(
  result: SearchResult,
  steps: readonly { durationS: number; loadAverage: number; slow: number; slowAt: string }[],
  placement: string,
) {
  const finite = (v: number) => (Number.isFinite(v) ? v : 0);
  const long = result.steps.filter((s) => s.phase === "boundary");
  const upTo = long.filter((s) => s.ratePerS <= result.goodputPerS);
  return result.steps.map((s, i) => {
    const round = s.phase === "boundary" ? result.rounds[s.round] : undefined;
    return {
      placement,
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
      goodputMinEventsPerS: result.goodputMinPerS,
      goodputMaxEventsPerS: result.goodputMaxPerS,
      lowestFailEventsPerS: finite(result.lowestFailPerS),
      boundaryPassFraction: upTo.length ? upTo.filter((x) => x.passed).length / upTo.length : 0,
      round: s.round,
      roundGoodputEventsPerS: round ? round.goodputPerS : null,
      roundLowestFailEventsPerS: round ? finite(round.lowestFailPerS) : null,
      roundOutcome: round ? round.outcome : ("" as const),
      roundLongSteps: round ? round.longSteps : 0,
    };
  });
}

/** Named maximum: slow episodes listed (with their times) in one row; the count is always complete. */
const MAX_SLOW_LISTED = 40;

export { stopGoodputRedis };
