/**
 * Goodput at a latency SLO: the highest offered open-loop rate at which the
 * p99 end-to-end latency stays at or below the SLO (and the target keeps up:
 * it achieves at least MIN_ACHIEVED_FRACTION of the offered rate, with every
 * event accounted for). Found by a search over offered rates, not from a
 * closed-loop probe:
 *
 * 1. ramp: from `startPerS`, double while the step passes (up to maxPerS);
 *    if the start fails, halve until one passes (down to minPerS);
 * 2. bisect geometrically between the highest pass and the lowest failure
 *    until they are within `resolution` of each other;
 * 3. boundary: measure the highest passing rate `boundaryRepeats` more
 *    times; unless a majority of those pass, step down by the resolution and
 *    try again (a lucky step must not set the figure), at most
 *    `maxBoundaryRates` rates.
 *
 * The measurement is told the phase, so ramp and bisection can use short
 * steps to bracket the knee and the boundary long ones (the experiment's
 * 10-second steps): the figure rests only on the long steps.
 *
 * Every measured step is returned (the latency-throughput curve comes from
 * them). Pure: the measurement is passed in, so the search runs against
 * anything that maps a rate to a latency summary.
 */

/** A step passes only if the target achieved at least this fraction of the offered rate. */
export const MIN_ACHIEVED_FRACTION = 0.95;
/** Named maximum: measured steps in one search, ramp, bisection and boundary together. */
export const MAX_SEARCH_STEPS = 24;
/** Named maximum: rates the boundary phase tries (each `boundaryRepeats` long steps) before giving up. */
export const MAX_BOUNDARY_RATES = 4;

export interface StepMeasurement {
  offeredPerS: number;
  achievedPerS: number;
  p50Ns: number;
  p99Ns: number;
  p999Ns: number;
  maxNs: number;
  /** Conservation or protocol errors the load generator found. */
  errors: number;
}

export type StepPhase = "ramp" | "bisect" | "boundary";

export interface SearchStep extends StepMeasurement {
  phase: StepPhase;
  /** The rate the step asked for, events/s. */
  ratePerS: number;
  passed: boolean;
}

export interface SearchOptions {
  sloNs: number;
  startPerS: number;
  minPerS: number;
  maxPerS: number;
  /** Bisection stops when hi / lo <= 1 + resolution. */
  resolution: number;
  /** Extra measurements of the final rate; a majority must pass. */
  boundaryRepeats: number;
  maxSteps?: number;
  /** Rates the boundary phase may try (default and cap MAX_BOUNDARY_RATES). */
  maxBoundaryRates?: number;
}

export interface SearchResult {
  /** Highest rate that passed the boundary check, events/s (0: none did). */
  goodputPerS: number;
  /** Passing fraction of the boundary measurements at that rate. */
  boundaryPassFraction: number;
  /** Lowest rate that failed a ramp or bisection step (the bracket's top; Infinity: none failed). */
  lowestFailPerS: number;
  steps: SearchStep[];
}

export function stepPasses(m: StepMeasurement, sloNs: number): boolean {
  return (
    m.errors === 0 && m.p99Ns <= sloNs && m.achievedPerS >= MIN_ACHIEVED_FRACTION * m.offeredPerS
  );
}

export async function searchGoodput(
  measure: (ratePerS: number, phase: StepPhase) => Promise<StepMeasurement>,
  o: SearchOptions,
): Promise<SearchResult> {
  const maxSteps = Math.min(o.maxSteps ?? MAX_SEARCH_STEPS, MAX_SEARCH_STEPS);
  const steps: SearchStep[] = [];
  const step = async (ratePerS: number, phase: StepPhase): Promise<boolean> => {
    const m = await measure(ratePerS, phase);
    const passed = stepPasses(m, o.sloNs);
    steps.push({ ...m, phase, ratePerS, passed });
    return passed;
  };
  let lo = 0; // highest passing rate seen
  let hi = Number.POSITIVE_INFINITY; // lowest failing rate seen
  // 1. ramp
  let rate = o.startPerS;
  while (steps.length < maxSteps) {
    if (await step(rate, "ramp")) {
      lo = rate;
      if (hi < Number.POSITIVE_INFINITY || rate >= o.maxPerS) break;
      rate = Math.min(o.maxPerS, rate * 2);
    } else {
      hi = rate;
      if (lo > 0 || rate <= o.minPerS) break;
      rate = Math.max(o.minPerS, rate / 2);
    }
  }
  // 2. bisect
  while (lo > 0 && hi < Number.POSITIVE_INFINITY && hi / lo > 1 + o.resolution) {
    if (steps.length >= maxSteps) break;
    const mid = Math.sqrt(lo * hi);
    if (await step(mid, "bisect")) lo = mid;
    else hi = mid;
  }
  // 3. boundary: a majority of repeats at lo must pass, else step down
  let passFraction = 0;
  const maxRates = Math.min(o.maxBoundaryRates ?? MAX_BOUNDARY_RATES, MAX_BOUNDARY_RATES);
  for (
    let tried = 0;
    tried < maxRates && lo >= o.minPerS && steps.length + o.boundaryRepeats <= maxSteps;
    tried++
  ) {
    let passes = 0;
    for (let i = 0; i < o.boundaryRepeats; i++) if (await step(lo, "boundary")) passes++;
    passFraction = o.boundaryRepeats === 0 ? 1 : passes / o.boundaryRepeats;
    if (passes * 2 > o.boundaryRepeats || o.boundaryRepeats === 0) break;
    lo /= 1 + o.resolution;
  }
  const confirmed = passFraction * 2 > 1 || (o.boundaryRepeats === 0 && lo > 0);
  return {
    goodputPerS: confirmed ? lo : 0,
    boundaryPassFraction: passFraction,
    lowestFailPerS: hi,
    steps,
  };
}
