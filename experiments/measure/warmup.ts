/**
 * A checked warm-up: run a contender in short chunks until its per-chunk rate
 * stops trending, instead of a fixed count of iterations that happens to work
 * on one machine. JIT tiers, cache and allocator growth make the first chunks
 * slower; a trial measured before they settle measures start-up.
 *
 * Test (flat slope): over the last `windowChunks` rates, the Theil-Sen slope
 * (median of all pairwise slopes: a burst from another process on the shared
 * machine moves a few pairs, not the median) times the window length is the
 * drift across the window; steady when |drift| / median rate is at most
 * `maxDriftFraction`. A warm-up that never settles stops at `maxChunks` and
 * says so: the trial still runs, and its result carries steady = false.
 */

/** Rates kept for the slope test. 8 chunks: 28 pairwise slopes, enough for a stable median. */
export const DEFAULT_WINDOW_CHUNKS = 8;
/** Allowed drift across the window as a fraction of the rate. */
export const DEFAULT_MAX_DRIFT_FRACTION = 0.05;
/** Upper bound on warm-up chunks (named maximum: a warm-up must end). */
export const DEFAULT_MAX_WARMUP_CHUNKS = 200;

export interface WarmupOptions {
  windowChunks?: number;
  maxDriftFraction?: number;
  maxChunks?: number;
}

export interface SlopeCheck {
  /** Drift across the window relative to its median rate (signed; + is speeding up). */
  driftFraction: number;
  flat: boolean;
}

export interface WarmupResult extends SlopeCheck {
  steady: boolean;
  chunks: number;
  /** Rate of every warm-up chunk, in the order run. */
  rates: number[];
}

function medianOf(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Theil-Sen slope of y against its index (units of y per chunk). */
export function theilSenSlope(y: readonly number[]): number {
  if (y.length < 2) throw new RangeError(`a slope needs at least 2 points, got ${y.length}`);
  const slopes: number[] = [];
  for (let i = 0; i < y.length; i++)
    for (let j = i + 1; j < y.length; j++) slopes.push((y[j]! - y[i]!) / (j - i));
  return medianOf(slopes);
}

/** The flat-slope test on one window of rates. */
export function flatSlope(rates: readonly number[], maxDriftFraction: number): SlopeCheck {
  const level = medianOf([...rates]);
  if (!(level > 0)) return { driftFraction: Number.NaN, flat: false };
  const driftFraction = (theilSenSlope(rates) * (rates.length - 1)) / level;
  return { driftFraction, flat: Math.abs(driftFraction) <= maxDriftFraction };
}

function resolve(opts: WarmupOptions): Required<WarmupOptions> {
  const o = {
    windowChunks: opts.windowChunks ?? DEFAULT_WINDOW_CHUNKS,
    maxDriftFraction: opts.maxDriftFraction ?? DEFAULT_MAX_DRIFT_FRACTION,
    maxChunks: opts.maxChunks ?? DEFAULT_MAX_WARMUP_CHUNKS,
  };
  if (!Number.isInteger(o.windowChunks) || o.windowChunks < 3)
    throw new RangeError(`windowChunks must be an integer >= 3, got ${o.windowChunks}`);
  if (!Number.isInteger(o.maxChunks) || o.maxChunks < o.windowChunks)
    throw new RangeError(`maxChunks must be an integer >= windowChunks, got ${o.maxChunks}`);
  if (!(o.maxDriftFraction > 0)) throw new RangeError("maxDriftFraction must be positive");
  return o;
}

/**
 * Runs `chunk` (returns a rate, higher is faster: ops/s, events/s) until the
 * last window is flat or maxChunks ran.
 */
export async function warmUp(
  chunk: () => number | Promise<number>,
  opts: WarmupOptions = {},
): Promise<WarmupResult> {
  const o = resolve(opts);
  const rates: number[] = [];
  let check: SlopeCheck = { driftFraction: Number.NaN, flat: false };
  while (rates.length < o.maxChunks) {
    rates.push(await chunk());
    if (rates.length < o.windowChunks) continue;
    check = flatSlope(rates.slice(-o.windowChunks), o.maxDriftFraction);
    if (check.flat) break;
  }
  return { ...check, steady: check.flat, chunks: rates.length, rates };
}
