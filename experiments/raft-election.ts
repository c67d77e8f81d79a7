/**
 * `raft-election`: the Raft paper's Figure 16 (Ongaro and Ousterhout 2014,
 * §9.3) in the deterministic simulator: 5 servers, the leader crashed, time
 * until a new leader is elected, for each line of election timeouts. One grid
 * point is one line of the figure; run() wraps runElectionLine
 * (impl/raft/sim/election-trial.ts, which documents how the paper's setup is
 * modeled) and reports the distribution over its trials as summary columns
 * and the percentiles P00, P05, ..., P95, P99, P100 of the time without a
 * leader, enough to draw the figure's CDF. Trials that elect no leader within
 * capMs are censored (their time is capMs).
 *
 * The simulation is virtual time: figures do not depend on the machine. Lines
 * whose timeouts have (almost) no randomness run to the cap on most trials and
 * cost far more CPU, so they get fewer trials. Isolation "worker": a line is
 * one long synchronous call, and a Worker can be terminated on Ctrl-C.
 */
import { z } from "zod";
import { runElectionLine } from "../impl/raft/sim/election-trial.ts";
import type { Claim, GridBlock } from "./runner/types.ts";
import { defineExperiment } from "./runner/types.ts";

/** The percentiles reported as columns timeWithoutLeaderMsPxx (100 = max). */
export const ELECTION_PERCENTILES = [
  0, 5, 10, 15, 20, 25, 30, 35, 40, 45, 50, 55, 60, 65, 70, 75, 80, 85, 90, 95, 99, 100,
] as const;

export function percentileColumn(p: number): string {
  return `timeWithoutLeaderMsP${String(p).padStart(2, "0")}`;
}

const params = {
  timeoutMinMs: z.number().min(1).max(10_000),
  timeoutMaxMs: z.number().min(1).max(10_000),
  preVote: z.boolean(),
  trials: z.number().int().min(1).max(100_000),
  /** A trial with no leader after this many virtual ms is censored. */
  capMs: z.number().min(100).max(600_000),
};
type Point = z.output<z.ZodObject<typeof params>>;

const measured = {
  censored: z.number().int().min(0),
  censoredFraction: z.number().min(0).max(1),
  timeWithoutLeaderMsMean: z.number().min(0),
  electionTermsMean: z.number().min(0),
  ...Object.fromEntries(ELECTION_PERCENTILES.map((p) => [percentileColumn(p), z.number().min(0)])),
} as Record<string, z.ZodNumber>;

/** Nearest-rank percentile of sorted values (p in 0..100; 0 is the minimum). */
function nearestRank(sorted: number[], p: number): number {
  if (p <= 0) return sorted[0]!;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

/** One block per line: [min, max] ms and its trial count. */
function lines(
  spec: [number, number, number][],
  preVote: boolean[],
  capMs: number,
): GridBlock<Point>[] {
  return spec.map(([lo, hi, trials]) => ({
    timeoutMinMs: [lo],
    timeoutMaxMs: [hi],
    preVote,
    trials: [trials],
    capMs: [capMs],
  }));
}

/** Figure 16 top (150-150 .. 150-300) and bottom (12-24 .. 150-300). */
const QUICK_LINES: [number, number, number][] = [
  [150, 150, 5],
  [150, 151, 10],
  [150, 155, 50],
  [150, 175, 50],
  [150, 200, 50],
  [150, 300, 50],
  [12, 24, 50],
  [25, 50, 50],
  [50, 100, 50],
  [100, 200, 50],
];
const FULL_LINES: [number, number, number][] = [
  [150, 150, 50],
  [150, 151, 200],
  [150, 155, 1000],
  [150, 175, 1000],
  [150, 200, 1000],
  [150, 300, 1000],
  [12, 24, 1000],
  [25, 50, 1000],
  [50, 100, 1000],
  [100, 200, 1000],
];

function paperClaim(
  id: string,
  text: string,
  line: [number, number],
  column: string,
  claimed: number,
  unit: string,
): Claim {
  return {
    id,
    text,
    source:
      "Ongaro and Ousterhout, In Search of an Understandable Consensus Algorithm, 2014, §9.3, Figure 16",
    claimed: { value: claimed, unit },
    measured: {
      kind: "value",
      unit,
      measure: {
        column,
        where: { timeoutMinMs: line[0], timeoutMaxMs: line[1], preVote: false },
      },
    },
    interpretation:
      "The simulator models the paper's setup (5 servers, ~15 ms broadcast, unequal logs); close agreement says the model and the implementation behave like the paper's.",
  };
}

export default defineExperiment({
  name: "raft-election",
  description:
    "Raft paper Figure 16: time without a leader after the leader crashes, per election-timeout range (5 servers, simulated)",
  module: import.meta.url,
  params,
  measured,
  grids: {
    // Pre-vote off is the paper's setting; pre-vote on is run beside it (issue 4 asks for both).
    quick: [
      ...lines(QUICK_LINES, [false], 10_000),
      ...lines(
        [
          [12, 24, 50],
          [150, 300, 50],
        ],
        [true],
        10_000,
      ),
    ],
    full: lines(FULL_LINES, [false, true], 10_000),
  },
  include: (p) =>
    p.timeoutMaxMs >= p.timeoutMinMs ? true : "timeoutMaxMs must be >= timeoutMinMs",
  repeats: { quick: 1, full: 1 },
  isolation: "worker",
  claims: [
    paperClaim(
      "raft-150-155-median",
      "With 5 ms of randomness in the election timeout (150-155 ms), the median downtime is 287 ms.",
      [150, 155],
      percentileColumn(50),
      287,
      "ms (median time without leader)",
    ),
    paperClaim(
      "raft-150-200-worst",
      "With 50 ms of randomness (150-200 ms), the worst case over 1000 trials is 513 ms.",
      [150, 200],
      percentileColumn(100),
      513,
      "ms (worst time without leader)",
    ),
    paperClaim(
      "raft-12-24-mean",
      "With 12-24 ms timeouts a leader is elected in 35 ms on average.",
      [12, 24],
      "timeWithoutLeaderMsMean",
      35,
      "ms (mean time without leader)",
    ),
    paperClaim(
      "raft-12-24-worst",
      "With 12-24 ms timeouts the longest trial took 152 ms.",
      [12, 24],
      percentileColumn(100),
      152,
      "ms (worst time without leader)",
    ),
  ],
  async run(p, ctx) {
    const line = runElectionLine({
      timeoutMs: [p.timeoutMinMs, p.timeoutMaxMs],
      trials: p.trials,
      seed: ctx.seed,
      preVote: p.preVote,
      capMs: p.capMs,
    });
    const times = line.trials.map((t) => t.timeWithoutLeaderMs).sort((a, b) => a - b);
    const censored = line.trials.filter((t) => t.censored).length;
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    return {
      censored,
      censoredFraction: censored / p.trials,
      timeWithoutLeaderMsMean: mean(times),
      electionTermsMean: mean(line.trials.map((t) => t.electionTerms)),
      ...Object.fromEntries(
        ELECTION_PERCENTILES.map((q) => [percentileColumn(q), nearestRank(times, q)]),
      ),
    };
  },
});
