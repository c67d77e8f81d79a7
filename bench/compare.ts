/**
 * Where the bench compares implementations it goes through the measurement
 * core (experiments/measure/), as `bun run compare` does: the contenders'
 * trials run in seeded, balanced interleaved blocks (schedule.ts via
 * runInterleaved), each contender after a checked warm-up (flat Theil-Sen
 * slope of its per-chunk rates, warmup.ts), one ratio per block from trials
 * that ran next to each other, and the geometric mean of those ratios with its
 * seeded 95% bootstrap interval (estimate.ts). A row is printed as the
 * estimate with its interval, never as min/max of independent medians.
 */
import { decideClaim } from "../experiments/measure/decide.ts";
import { MIN_PAIRS, pairedRatios, ratioInterval } from "../experiments/measure/estimate.ts";
import { allSteady, type Contender, runInterleaved } from "../experiments/measure/trials.ts";
import type { WarmupOptions } from "../experiments/measure/warmup.ts";
import type { BenchRow } from "./types.ts";

/** Interleaved blocks per comparison (each block runs every contender once). */
export const COMPARE_BLOCKS = { quick: 6, full: 15 } as const;

export interface Comparison {
  group: string;
  /** Row name (default "contender / baseline"). */
  name?: string;
  /** The contender whose figure is the ratio's numerator side ("better" side when > 1). */
  contender: Contender;
  baseline: Contender;
  /** What one trial returns: events/s (higher is better) or ns/op (lower is better). */
  higherIsBetter: boolean;
  /** A claim "ratio >= minRatio" decided on the interval (optional). */
  minRatio?: number;
  params?: BenchRow["params"];
}

/** Runs one comparison and returns its ratio row (metric "ratio", interval in `interval`). */
export async function compareRow(
  c: Comparison,
  opts: { quick: boolean; seed: number; warmup?: WarmupOptions },
): Promise<BenchRow> {
  const blocks = opts.quick ? COMPARE_BLOCKS.quick : COMPARE_BLOCKS.full;
  const r = await runInterleaved([c.contender, c.baseline], {
    blocks,
    seed: opts.seed,
    warmup: opts.warmup,
  });
  const failed = r.errors.flat().find((e) => e !== "");
  if (failed)
    throw new Error(`${c.contender.name} / ${c.baseline.name}: a trial failed: ${failed}`);
  const ratios = pairedRatios(r.values[0]!, r.values[1]!, c.higherIsBetter);
  if (ratios.length < MIN_PAIRS)
    throw new Error(`${c.contender.name} / ${c.baseline.name}: only ${ratios.length} usable pairs`);
  const i = ratioInterval(ratios, { seed: opts.seed });
  return {
    group: c.group,
    name: c.name ?? `${c.contender.name} / ${c.baseline.name}`,
    metric: c.higherIsBetter ? "ratio" : "speedup",
    median: i.estimate,
    min: i.lo,
    max: i.hi,
    repeats: i.n,
    interval: { estimate: i.estimate, lo: i.lo, hi: i.hi, level: i.level, pairs: i.n },
    params: {
      ...c.params,
      mode: r.mode,
      statistic: i.statistic,
      blocks,
      seed: opts.seed,
      steady: allSteady(r),
      ...(c.minRatio === undefined
        ? {}
        : { minRatio: c.minRatio, verdict: decideClaim(i, c.minRatio) }),
    },
  };
}

/** The rate of a function run `calls` times (calls per second), for warm-up chunks. */
export function callRate(fn: () => void, calls: number): number {
  const t0 = performance.now();
  for (let i = 0; i < calls; i++) fn();
  return calls / ((performance.now() - t0) / 1000);
}
