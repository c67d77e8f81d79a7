/**
 * Summaries the report quotes: a figure is the median over repetitions with
 * its min and max (the spread), never a mean of means. Pure functions over
 * plain numbers so the report and its test agree on every figure.
 * The bootstrap draws from a seeded Rng, so its intervals are reproducible too.
 */
import { Rng } from "../../impl/core/rng.ts";

export interface Spread {
  median: number;
  min: number;
  max: number;
  /** How many values the summary covers (repetitions, or trials). */
  n: number;
}

/** Linear-interpolated quantile q in [0, 1] of already sorted values. */
export function quantileSorted(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) throw new Error("quantile of no values");
  if (q < 0 || q > 1) throw new Error(`quantile q=${q} outside [0, 1]`);
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  const a = sorted[lo]!;
  const b = sorted[hi]!;
  return a + (b - a) * (pos - lo);
}

export function sortedCopy(values: readonly number[]): number[] {
  return [...values].sort((a, b) => a - b);
}

export function median(values: readonly number[]): number {
  return quantileSorted(sortedCopy(values), 0.5);
}

export function mean(values: readonly number[]): number {
  if (values.length === 0) throw new Error("mean of no values");
  let sum = 0;
  for (const v of values) sum += v;
  return sum / values.length;
}

/** Median with min and max; throws on an empty list (an empty group is a bug upstream). */
export function spread(values: readonly number[]): Spread {
  const sorted = sortedCopy(values);
  return {
    median: quantileSorted(sorted, 0.5),
    min: sorted[0]!,
    max: sorted[sorted.length - 1]!,
    n: sorted.length,
  };
}

/** Groups rows by the values of `keys`, keeping first-seen order of groups. */
export function groupBy<R extends Record<string, unknown>>(
  rows: readonly R[],
  keys: readonly string[],
): { key: Record<string, unknown>; rows: R[] }[] {
  const groups = new Map<string, { key: Record<string, unknown>; rows: R[] }>();
  for (const row of rows) {
    const key: Record<string, unknown> = {};
    for (const k of keys) key[k] = row[k];
    const id = JSON.stringify(keys.map((k) => row[k]));
    let group = groups.get(id);
    if (!group) {
      group = { key, rows: [] };
      groups.set(id, group);
    }
    group.rows.push(row);
  }
  return [...groups.values()];
}

/** A column's numbers; throws naming the column when a row holds a non-number there. */
export function column(rows: readonly Record<string, unknown>[], name: string): number[] {
  return rows.map((r, i) => {
    const v = r[name];
    if (typeof v !== "number" || Number.isNaN(v))
      throw new Error(`column "${name}" row ${i}: expected a number, got ${JSON.stringify(v)}`);
    return v;
  });
}

/** Distinct values of a column in first-seen order. */
export function distinct<T = unknown>(rows: readonly Record<string, unknown>[], name: string): T[] {
  return [...new Set(rows.map((r) => r[name] as T))];
}

/** True when positive values span at least `decades` powers of ten (log axis wanted). */
export function spansDecades(values: readonly number[], decades = 1.5): boolean {
  const positive = values.filter((v) => v > 0);
  if (positive.length < 2) return false;
  return Math.log10(Math.max(...positive) / Math.min(...positive)) >= decades;
}

/** Statistics the bootstrap can resample. */
export type BootstrapStat = "median" | "mean" | "max";

/** Named defaults: resamples per interval, and the seed (a report is deterministic). */
export const BOOTSTRAP_RESAMPLES = 2000;
export const BOOTSTRAP_SEED = 1;

export interface Interval {
  /** The statistic of the values themselves (median: linear-interpolated, as median()). */
  estimate: number;
  /** Percentile bootstrap interval bounds. */
  lo: number;
  hi: number;
  /** Values resampled (trials). */
  n: number;
  level: number;
}

/** The statistic of sorted values weighted by counts[i] copies each (total n). */
function weightedStat(sorted: Float64Array, counts: Int32Array, n: number, stat: BootstrapStat) {
  if (stat === "mean") {
    let sum = 0;
    for (let i = 0; i < sorted.length; i++) sum += sorted[i]! * counts[i]!;
    return sum / n;
  }
  if (stat === "max") {
    for (let i = sorted.length - 1; i >= 0; i--) if (counts[i]! > 0) return sorted[i]!;
    return Number.NaN;
  }
  // Median: the values at ranks floor/ceil((n-1)/2) of the resample, averaged (as quantileSorted).
  const lowRank = Math.floor((n - 1) / 2);
  const highRank = Math.ceil((n - 1) / 2);
  let seen = 0;
  let low = Number.NaN;
  for (let i = 0; i < sorted.length; i++) {
    seen += counts[i]!;
    if (Number.isNaN(low) && seen > lowRank) low = sorted[i]!;
    if (seen > highRank) return (low + sorted[i]!) / 2;
  }
  return Number.NaN;
}

/**
 * Percentile bootstrap interval of a statistic over `values` (e.g. the trials
 * of one line): `resamples` resamples with replacement, each summarised as
 * counts over the sorted values (O(n) per resample, no sort), seeded so the
 * report is reproducible. A max's interval is bounded above by the observed
 * max: it says how much the worst case depends on the sample.
 */
export function bootstrapInterval(
  values: readonly number[],
  stat: BootstrapStat,
  opts: { resamples?: number; level?: number; seed?: number } = {},
): Interval {
  if (values.length === 0) throw new Error("bootstrap of no values");
  const resamples = opts.resamples ?? BOOTSTRAP_RESAMPLES;
  const level = opts.level ?? 0.95;
  const sorted = Float64Array.from(values).sort();
  const n = sorted.length;
  const ones = new Int32Array(n).fill(1);
  const estimate = weightedStat(sorted, ones, n, stat);
  const rng = new Rng(opts.seed ?? BOOTSTRAP_SEED);
  const counts = new Int32Array(n);
  const stats = new Float64Array(resamples);
  for (let b = 0; b < resamples; b++) {
    counts.fill(0);
    for (let i = 0; i < n; i++) counts[rng.int(n)]!++;
    stats[b] = weightedStat(sorted, counts, n, stat);
  }
  stats.sort();
  const tail = (1 - level) / 2;
  return {
    estimate,
    lo: quantileSorted(Array.from(stats), tail),
    hi: quantileSorted(Array.from(stats), 1 - tail),
    n,
    level,
  };
}

/**
 * Wilson score interval of a proportion in percent (successes of n), z = 1.96
 * for 95%. Unlike a bootstrap it stays informative at 0 or n successes (a
 * bootstrap of 10 of 10 gives 100–100%).
 */
export function wilsonInterval(successes: number, n: number): Interval {
  if (n <= 0) throw new Error("wilson interval of no trials");
  const z = 1.959963984540054;
  const p = successes / n;
  const denom = 1 + (z * z) / n;
  const centre = (p + (z * z) / (2 * n)) / denom;
  const half = (z * Math.sqrt((p * (1 - p)) / n + (z * z) / (4 * n * n))) / denom;
  return {
    estimate: 100 * p,
    // Exact ends at 0 and n of n (the formula gives them only up to rounding).
    lo: successes === 0 ? 0 : 100 * Math.max(0, centre - half),
    hi: successes === n ? 100 : 100 * Math.min(1, centre + half),
    n,
    level: 0.95,
  };
}
