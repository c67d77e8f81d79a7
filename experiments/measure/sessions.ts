/**
 * A ratio interval whose unit of replication is the session, not the pair.
 *
 * Why: trials that share a process (or a Worker) share its JIT decisions, its
 * heap layout and the core it landed on. Measured on this 2-core machine, two
 * Workers running the SAME array-pool code differ by up to 2x for a whole
 * session, while the pairs inside a session agree closely. A bootstrap over
 * the pairs of one session treats that shared effect as if every pair had
 * drawn it afresh, so its interval is far too narrow and HEAD against HEAD is
 * "a regression" in most runs. Here every session is independent (fresh
 * Workers, side positions alternated across sessions), and the bootstrap
 * resamples sessions first, then pairs within each drawn session (a two-stage
 * cluster bootstrap, Davison and Hinkley 1997, sec. 3.8), so the
 * between-session variance is in the interval.
 *
 * Few sessions make a percentile interval too narrow (the bootstrap spreads
 * like a normal with the divisor n, not like Student's t with n-1 degrees of
 * freedom), so the percentiles are widened as in Hesterberg's "expanded
 * percentile" interval (Hesterberg 2015, "What teachers should know about the
 * bootstrap", sec. 5.2): the tail level used is 2 Phi(-sqrt(n/(n-1)) t_{n-1})
 * instead of (1 - level) / 2. Pure functions of plain numbers, seeded.
 */
import { Rng } from "../../impl/core/rng.ts";
import {
  BOOTSTRAP_RESAMPLES,
  DEFAULT_BOOTSTRAP_SEED,
  MAX_BOOTSTRAP_RESAMPLES,
  type RatioInterval,
} from "./estimate.ts";

/** Fewest sessions an interval is computed from: below this there is no spread between sessions to see. */
export const MIN_SESSIONS = 3;

export interface SessionInterval extends RatioInterval {
  /** Sessions the interval is computed from (n is the number of pairs). */
  sessions: number;
  /** Standard deviation of the per-session mean log ratios: the between-session noise. */
  sessionSdLog: number;
}

/** Standard normal CDF (Abramowitz and Stegun 7.1.26, error below 1.5e-7). */
export function normalCdf(x: number): number {
  const z = Math.abs(x) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * z);
  const poly =
    t *
    (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
  const erf = 1 - poly * Math.exp(-z * z);
  return x >= 0 ? (1 + erf) / 2 : (1 - erf) / 2;
}

/** Standard normal quantile by bisection on normalCdf (60 halvings: far below its error). */
export function normalQuantile(p: number): number {
  if (!(p > 0 && p < 1)) throw new RangeError(`p must be in (0, 1), got ${p}`);
  let lo = -10;
  let hi = 10;
  for (let i = 0; i < 60; i++) {
    const mid = (lo + hi) / 2;
    if (normalCdf(mid) < p) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

/**
 * Student's t quantile with df degrees of freedom (Cornish-Fisher expansion
 * around the normal quantile; within 0.5% of the table for df >= 3 at 0.975).
 */
export function studentTQuantile(p: number, df: number): number {
  if (!(df >= 1)) throw new RangeError(`df must be >= 1, got ${df}`);
  const z = normalQuantile(p);
  const z3 = z ** 3;
  const z5 = z ** 5;
  const z7 = z ** 7;
  const z9 = z ** 9;
  return (
    z +
    (z3 + z) / (4 * df) +
    (5 * z5 + 16 * z3 + 3 * z) / (96 * df ** 2) +
    (3 * z7 + 19 * z5 + 17 * z3 - 15 * z) / (384 * df ** 3) +
    (79 * z9 + 776 * z7 + 1482 * z5 - 1920 * z3 - 945 * z) / (92160 * df ** 4)
  );
}

/**
 * Tail probability of the expanded percentile interval for n sessions in h
 * strata at this level: the bootstrap's divisor n (not n - h) and its normal
 * shape (not t with n - h degrees of freedom) are both undone.
 */
export function expandedTail(level: number, sessions: number, strata = 1): number {
  const df = sessions - strata;
  if (!(df >= 1)) throw new RangeError(`${sessions} sessions in ${strata} strata leave no freedom`);
  const t = studentTQuantile(1 - (1 - level) / 2, df);
  return normalCdf(-Math.sqrt(sessions / df) * t);
}

function quantileOfSorted(sorted: Float64Array, q: number): number {
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

function meanOf(xs: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < xs.length; i++) s += xs[i]!;
  return s / xs.length;
}

export interface SessionIntervalOptions {
  level?: number;
  resamples?: number;
  seed?: number;
  /** Widen for few sessions (expanded percentile); default true. Off only to show what it buys. */
  expand?: boolean;
  /** Resample pairs within each drawn session too (two-stage); default true. */
  resamplePairs?: boolean;
  /**
   * Stratum of each session (e.g. which side ran in the first Worker). Sessions
   * are resampled within their stratum, keeping its count, so a balanced design
   * (as many sessions each way) keeps a position effect out of the interval
   * instead of counting it as noise. Default: one stratum.
   */
  strata?: readonly number[];
}

/**
 * Geometric mean ratio with every session weighted alike (the mean over
 * sessions of each session's mean log ratio) and its 95% interval from a
 * two-stage cluster bootstrap. sessions[s] holds the per-pair ratios of
 * session s (> 1 means better, as pairedRatios orients them); empty sessions
 * are dropped. A session of one pair is fine (queue rows: every pair is a
 * session of its own, since each trial starts fresh Workers).
 */
export function sessionRatioInterval(
  sessions: readonly (readonly number[])[],
  opts: SessionIntervalOptions = {},
): SessionInterval {
  const level = opts.level ?? 0.95;
  const resamples = opts.resamples ?? BOOTSTRAP_RESAMPLES;
  const seed = opts.seed ?? DEFAULT_BOOTSTRAP_SEED;
  if (!(level > 0 && level < 1)) throw new RangeError(`level must be in (0, 1), got ${level}`);
  if (!Number.isInteger(resamples) || resamples < 100 || resamples > MAX_BOOTSTRAP_RESAMPLES)
    throw new RangeError(`resamples must be an integer in [100, ${MAX_BOOTSTRAP_RESAMPLES}]`);
  const logs: Float64Array[] = [];
  const stratumOf: number[] = [];
  for (const [s, ratios] of sessions.entries()) {
    if (ratios.length === 0) continue;
    stratumOf.push(opts.strata?.[s] ?? 0);
    logs.push(
      Float64Array.from(ratios, (r, i) => {
        if (!(r > 0 && Number.isFinite(r)))
          throw new RangeError(`session ${s} ratio ${i} is ${r}, not positive`);
        return Math.log(r);
      }),
    );
  }
  const k = logs.length;
  if (k < MIN_SESSIONS)
    throw new RangeError(`a session interval needs at least ${MIN_SESSIONS} sessions, got ${k}`);
  const sessionMeans = logs.map(meanOf);
  const centre = meanOf(sessionMeans);
  const sd = Math.sqrt(sessionMeans.reduce((a, m) => a + (m - centre) ** 2, 0) / (k - 1));
  // Members of each stratum; a drawn session comes from the stratum of the one it replaces.
  const members = new Map<number, number[]>();
  for (const [i, h] of stratumOf.entries()) members.set(h, [...(members.get(h) ?? []), i]);
  if ([...members.values()].some((m) => m.length < 2))
    throw new RangeError(
      "every stratum needs at least 2 sessions, or it has no spread to resample",
    );
  const pool = stratumOf.map((h) => members.get(h)!);
  const rng = new Rng(seed);
  const stats = new Float64Array(resamples);
  const twoStage = opts.resamplePairs ?? true;
  for (let b = 0; b < resamples; b++) {
    let sum = 0;
    for (let s = 0; s < k; s++) {
      const from = pool[s]!;
      const drawn = logs[from[rng.int(from.length)]!]!;
      if (!twoStage) {
        sum += meanOf(drawn);
        continue;
      }
      let inner = 0;
      for (let p = 0; p < drawn.length; p++) inner += drawn[rng.int(drawn.length)]!;
      sum += inner / drawn.length;
    }
    stats[b] = sum / k;
  }
  stats.sort();
  const tail = (opts.expand ?? true) ? expandedTail(level, k, members.size) : (1 - level) / 2;
  return {
    statistic: "geomean",
    estimate: Math.exp(centre),
    lo: Math.exp(quantileOfSorted(stats, tail)),
    hi: Math.exp(quantileOfSorted(stats, 1 - tail)),
    level,
    n: logs.reduce((a, l) => a + l.length, 0),
    resamples,
    seed,
    sessions: k,
    sessionSdLog: sd,
  };
}
