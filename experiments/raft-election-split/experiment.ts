/**
 * `raft-election-split`: where the Raft paper's ~15 ms broadcast time goes
 * (Ongaro and Ousterhout 2014, §9.3, Figure 16 caption). A sibling of
 * raft-election, which puts all of it on the wire: here each grid point is
 * one timeout line under one split of the broadcast time into a one-way wire
 * delay, uniform in [wireMinMs, wireMinMs + 1] ms, and the voter's sync of its
 * vote before it replies (voterSyncMs = 14 - 2 * wireMinMs, so a request to
 * its reply stays ~15 ms). The candidate's own sync before it asks for votes
 * is a separate param (candidateSyncMs, 0 in the grid: Raft lets it send
 * while it syncs). The paper's setting throughout: no pre-vote, Figure 2's
 * timer rule. runElectionLine (impl/raft/sim/election-trial.ts) plays the
 * trials; run() returns ONE ROW PER REPETITION with the line's statistics
 * (median, mean, P99, worst of its trials), so a worst-of-1000 figure gets
 * an interval over repetitions (each repetition its own seed).
 *
 * Grid: quick 4 splits x the 3 lines with stated figures (150-155, 150-200,
 * 12-24), 3 repetitions; full 6 splits x the 8 lines with randomness except
 * 150-151 (150-150 and 150-151 split votes to the 10 s cap and cost ~100x),
 * 5 repetitions; 1000 trials per line (the paper's count) in both. Cost: see
 * impl/raft/sim/README.md. scripts/raft-figure16-split.ts prints the same
 * sweep as a table from runSplitLine below (one source).
 */
import { z } from "zod";
import { runElectionLine } from "../../impl/raft/sim/election-trial.ts";
import { defineExperiment } from "../runner/types.ts";
import { raftElectionSplitSection } from "./section.ts";

export { STATED } from "./stated.ts";

/** The round trip kept per split: wire [w, w+1] each way plus a 14 - 2w ms voter sync. */
export const ROUND_TRIP_BASE_MS = 14;
/** One-way wire delay minimums, ms (all on the wire first). */
export const WIRE_MIN_MS = { quick: [7, 4, 2, 1], full: [7, 5, 4, 3, 2, 1] } as const;
export const voterSyncFor = (wireMinMs: number) => ROUND_TRIP_BASE_MS - 2 * wireMinMs;

const STATED_LINES: [number, number][] = [
  [150, 155],
  [150, 200],
  [12, 24],
];
const OTHER_LINES: [number, number][] = [
  [150, 175],
  [150, 300],
  [25, 50],
  [50, 100],
  [100, 200],
];
const TRIALS_PER_LINE = 1000;
const CAP_MS = 10_000;

const params = {
  timeoutMinMs: z.number().min(1).max(10_000),
  timeoutMaxMs: z.number().min(1).max(10_000),
  /** One-way wire delay is uniform in [wireMinMs, wireMinMs + 1] ms. */
  wireMinMs: z.number().min(0).max(1000),
  /** The voter's sync of its vote before it replies, ms. */
  voterSyncMs: z.number().min(0).max(1000),
  /** The candidate's sync of its new term before it sends RequestVote, ms. */
  candidateSyncMs: z.number().min(0).max(1000),
  trials: z.number().int().min(1).max(100_000),
  /** A trial with no leader after this many virtual ms is censored (counts at the cap). */
  capMs: z.number().min(100).max(600_000),
};
export type SplitPoint = z.output<z.ZodObject<typeof params>>;

const measured = {
  /** Statistics of the repetition's trials' time without leader (censored at capMs). */
  medianMs: z.number().min(0),
  meanMs: z.number().min(0),
  p99Ms: z.number().min(0),
  worstMs: z.number().min(0),
  /** Trials with no leader by capMs. */
  censored: z.number().int().min(0),
};
export type SplitStats = z.output<z.ZodObject<typeof measured>>;

/** Linear-interpolated quantile of sorted values (as the report's quantileSorted). */
function quantile(sorted: number[], q: number): number {
  const pos = (sorted.length - 1) * q;
  const i = Math.floor(pos);
  const next = sorted[Math.min(i + 1, sorted.length - 1)]!;
  return sorted[i]! + (next - sorted[i]!) * (pos - i);
}

const ms = (x: number) => Number(x.toFixed(3));

/** One repetition of one point: its trials played from `seed`, summarised. */
/** `laggingFollowers`: survivors without the last committed entry (the paper gives no count; 2 here). */
export function runSplitLine(p: SplitPoint, seed: number, laggingFollowers = 2): SplitStats {
  const res = runElectionLine({
    timeoutMs: [p.timeoutMinMs, p.timeoutMaxMs],
    trials: p.trials,
    seed,
    preVote: false,
    electionTimerReset: "paper",
    oneWayDelayMs: [p.wireMinMs, p.wireMinMs + 1],
    voterSyncMs: p.voterSyncMs,
    candidateSyncMs: p.candidateSyncMs,
    capMs: p.capMs,
    laggingFollowers,
  });
  const times = res.trials.map((t) => t.timeWithoutLeaderMs).sort((a, b) => a - b);
  return {
    medianMs: ms(quantile(times, 0.5)),
    meanMs: ms(times.reduce((a, b) => a + b, 0) / times.length),
    p99Ms: ms(quantile(times, 0.99)),
    worstMs: ms(times[times.length - 1]!),
    censored: res.trials.filter((t) => t.censored).length,
  };
}

function grid(wires: readonly number[], lines: [number, number][]) {
  return wires.flatMap((w) =>
    lines.map(([lo, hi]) => ({
      timeoutMinMs: [lo],
      timeoutMaxMs: [hi],
      wireMinMs: [w],
      voterSyncMs: [voterSyncFor(w)],
      candidateSyncMs: [0],
      trials: [TRIALS_PER_LINE],
      capMs: [CAP_MS],
    })),
  );
}

export default defineExperiment({
  name: "raft-election-split",
  description:
    "Raft paper Figure 16 with the ~15 ms broadcast time split between wire delay and the voter's sync: per-line statistics per repetition, against the paper's stated figures (5 servers, simulated)",
  module: import.meta.url,
  section: raftElectionSplitSection,
  smoke: {
    // One tiny 12-24 ms line of 20 trials under the 2.5 + 10 ms split.
    points: [
      {
        timeoutMinMs: 12,
        timeoutMaxMs: 24,
        wireMinMs: 2,
        voterSyncMs: voterSyncFor(2),
        candidateSyncMs: 0,
        trials: 20,
        capMs: CAP_MS,
      },
    ],
    check: (rows) => {
      const r = rows[0];
      if (rows.length !== 1 || !r) return [`expected 1 row, got ${rows.length}`];
      const errs: string[] = [];
      if (r.censored !== 0) errs.push(`${r.censored} of 20 trials censored at 12-24 ms`);
      // Downtime is at least half the minimum timeout (the crash falls within a heartbeat interval).
      if (!(r.medianMs >= 6 && r.medianMs <= r.p99Ms && r.p99Ms <= r.worstMs))
        errs.push(`statistics out of order: ${JSON.stringify(r)}`);
      return errs;
    },
  },
  params,
  measured,
  grids: {
    quick: grid(WIRE_MIN_MS.quick, STATED_LINES),
    full: grid(WIRE_MIN_MS.full, [...STATED_LINES, ...OTHER_LINES]),
  },
  include: (p) => (p.timeoutMaxMs < p.timeoutMinMs ? "timeoutMaxMs must be >= timeoutMinMs" : true),
  // Worst-of-1000 figures swing between repetitions: their interval is over these.
  repeats: { quick: 3, full: 5 },
  isolation: "worker",
  async run(p, ctx) {
    if (ctx.signal.aborted) throw new Error("aborted");
    return runSplitLine(p, ctx.seed);
  },
});
