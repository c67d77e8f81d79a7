/**
 * From paired trials to a ratio with a 95% interval.
 *
 * Pairing: trial values of contender and baseline from the same block (run
 * next to each other, see schedule.ts) give one ratio per block; drift of the
 * machine over the run then cancels inside each pair instead of widening the
 * comparison of two independent medians. Ratios are "times better than the
 * baseline": value/base when higher is better (events/s), base/value when
 * lower is better (ns/op), so > 1 always means the contender is better.
 *
 * Estimate: the geometric mean of the ratios (mean of log ratios, so 2x and
 * 0.5x cancel) or their median; interval: a percentile bootstrap of that
 * statistic over the pairs, drawn from a seeded Rng so a rerun of the same
 * figures prints the same interval. Pure functions of plain numbers.
 */
import { Rng } from "../../impl/core/rng.ts";

/** Resamples of every bootstrap: 2000 keeps the Monte Carlo error of a 95% bound near 0.5% of its width. */
export const BOOTSTRAP_RESAMPLES = 2000;
/** Upper bound on resamples a caller may ask for. */
export const MAX_BOOTSTRAP_RESAMPLES = 100_000;
/** Seed of the bootstrap when the caller gives none. */
export const DEFAULT_BOOTSTRAP_SEED = 0x5eed;
/** Fewest pairs an interval is computed from: below this a percentile bootstrap is meaningless. */
export const MIN_PAIRS = 3;

export type RatioStatistic = "geomean" | "median";

export interface RatioInterval {
  statistic: RatioStatistic;
  /** The statistic over all pairs. */
  estimate: number;
  lo: number;
  hi: number;
  /** Confidence level of [lo, hi], e.g. 0.95. */
  level: number;
  /** Pairs the interval is computed from. */
  n: number;
  resamples: number;
  seed: number;
}

/** One ratio per block where both figures are finite and positive; other blocks are skipped. */
export function pairedRatios(
  values: readonly number[],
  baseline: readonly number[],
  higherIsBetter: boolean,
): number[] {
  const out: number[] = [];
  const n = Math.min(values.length, baseline.length);
  for (let i = 0; i < n; i++) {
    const v = values[i]!;
    const b = baseline[i]!;
    if (!(v > 0 && b > 0 && Number.isFinite(v) && Number.isFinite(b))) continue;
    out.push(higherIsBetter ? v / b : b / v);
  }
  return out;
}

function quantileOfSorted(sorted: Float64Array, q: number): number {
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

/** The statistic on log ratios given as a sample (scratch is reused, sorted in place for the median). */
function logStatistic(logs: Float64Array, stat: RatioStatistic): number {
  if (stat === "geomean") {
    let sum = 0;
    for (let i = 0; i < logs.length; i++) sum += logs[i]!;
    return sum / logs.length;
  }
  logs.sort();
  return quantileOfSorted(logs, 0.5);
}

/** Geometric mean or median of the ratios with a seeded percentile-bootstrap interval. */
export function ratioInterval(
  ratios: readonly number[],
  opts: { statistic?: RatioStatistic; level?: number; resamples?: number; seed?: number } = {},
): RatioInterval {
  const statistic = opts.statistic ?? "geomean";
  const level = opts.level ?? 0.95;
  const resamples = opts.resamples ?? BOOTSTRAP_RESAMPLES;
  const seed = opts.seed ?? DEFAULT_BOOTSTRAP_SEED;
  if (ratios.length < MIN_PAIRS)
    throw new RangeError(
      `a ratio interval needs at least ${MIN_PAIRS} pairs, got ${ratios.length}`,
    );
  if (!(level > 0 && level < 1)) throw new RangeError(`level must be in (0, 1), got ${level}`);
  if (!Number.isInteger(resamples) || resamples < 100 || resamples > MAX_BOOTSTRAP_RESAMPLES)
    throw new RangeError(`resamples must be an integer in [100, ${MAX_BOOTSTRAP_RESAMPLES}]`);
  const n = ratios.length;
  const logs = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const r = ratios[i]!;
    if (!(r > 0 && Number.isFinite(r))) throw new RangeError(`ratio ${i} is ${r}, not positive`);
    logs[i] = Math.log(r);
  }
  const estimate = Math.exp(logStatistic(Float64Array.from(logs), statistic));
  const rng = new Rng(seed);
  const sample = new Float64Array(n);
  const stats = new Float64Array(resamples);
  for (let b = 0; b < resamples; b++) {
    for (let i = 0; i < n; i++) sample[i] = logs[rng.int(n)]!;
    stats[b] = logStatistic(sample, statistic);
  }
  stats.sort();
  const tail = (1 - level) / 2;
  return {
    statistic,
    estimate,
    lo: Math.exp(quantileOfSorted(stats, tail)),
    hi: Math.exp(quantileOfSorted(stats, 1 - tail)),
    level,
    n,
    resamples,
    seed,
  };
}

/** Half-width of an interval relative to its estimate, on the log scale: (log hi - log lo) / 2. */
export function relativeHalfWidth(i: Pick<RatioInterval, "lo" | "hi">): number {
  return (Math.log(i.hi) - Math.log(i.lo)) / 2;
}

function medianOfSorted(sorted: Float64Array): number {
  return quantileOfSorted(sorted, 0.5);
}

/**
 * B relative to A from two independent samples (two runs, nothing to pair):
 * median(B)/median(A), oriented so > 1 means B is better, with a percentile
 * bootstrap that resamples each run on its own. Wider than a paired interval
 * of the same data would be; used only where no pairing exists (experiments diff).
 */
export function independentRatioInterval(
  a: readonly number[],
  b: readonly number[],
  higherIsBetter: boolean,
  opts: { level?: number; resamples?: number; seed?: number } = {},
): RatioInterval {
  const level = opts.level ?? 0.95;
  const resamples = opts.resamples ?? BOOTSTRAP_RESAMPLES;
  const seed = opts.seed ?? DEFAULT_BOOTSTRAP_SEED;
  for (const [name, xs] of [
    ["A", a],
    ["B", b],
  ] as const) {
    if (xs.length < MIN_PAIRS)
      throw new RangeError(`run ${name} has ${xs.length} values; an interval needs ${MIN_PAIRS}`);
    if (!xs.every((x) => x > 0 && Number.isFinite(x)))
      throw new RangeError(`run ${name} has a value that is not positive and finite`);
  }
  const orient = (ma: number, mb: number) => (higherIsBetter ? mb / ma : ma / mb);
  const sa = Float64Array.from(a).sort();
  const sb = Float64Array.from(b).sort();
  const estimate = orient(medianOfSorted(sa), medianOfSorted(sb));
  const rng = new Rng(seed);
  const ra = new Float64Array(a.length);
  const rb = new Float64Array(b.length);
  const stats = new Float64Array(resamples);
  for (let k = 0; k < resamples; k++) {
    for (let i = 0; i < a.length; i++) ra[i] = a[rng.int(a.length)]!;
    for (let i = 0; i < b.length; i++) rb[i] = b[rng.int(b.length)]!;
    stats[k] = orient(medianOfSorted(ra.sort()), medianOfSorted(rb.sort()));
  }
  stats.sort();
  const tail = (1 - level) / 2;
  return {
    statistic: "median",
    estimate,
    lo: quantileOfSorted(stats, tail),
    hi: quantileOfSorted(stats, 1 - tail),
    level,
    n: Math.min(a.length, b.length),
    resamples,
    seed,
  };
}
