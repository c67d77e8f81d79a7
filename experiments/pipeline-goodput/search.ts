/**
 * Goodput at a latency SLO: the highest offered open-loop rate at which the
 * p99 end-to-end latency stays at or below the SLO (and the target keeps up:
 * it achieves at least MIN_ACHIEVED_FRACTION of the offered rate, with every
 * event accounted for). Found by a search over offered rates, not from a
 * closed-loop probe, in two parts:
 *
 * 1. bracket, on short steps (phases "ramp", "bisect"): from `startPerS`,
 *    double while the step passes (up to maxPerS), or halve until one passes
 *    (down to minPerS), then bisect geometrically to `resolution`. Short
 *    steps are only a hint of where to start: they overstate Redis (a 0.5 s
 *    step passes at rates a 10 s step fails by 30x) and understate eventlab
 *    at low rates (a fresh server per step), so no figure rests on them.
 * 2. rounds, on long steps (phase "boundary"; the experiment's 10 s steps):
 *    `rounds` repetitions of a search on long steps alone, each giving its
 *    own goodput. A round starts at the bracket's highest short pass (round
 *    0) or at the median of the earlier rounds' boundary estimates (the
 *    geometric middle of each one's pass and failure), then moves up while
 *    it passes or down while it fails: later rounds, which start near the
 *    boundary, by x(1+resolution) per step; round 0, which may start far
 *    from it, by expanding steps (x(1+resolution), then its square, ...;
 *    down, halving after the first step: short steps overstate Redis
 *    ~1.5x). Once it holds a long pass below a
 *    long failure it bisects geometrically between them until they are
 *    within `resolution`. The round ends "bracketed" (pass at g, failure at
 *    most g(1+resolution), both long steps of this round), "at-max" (passed
 *    at maxPerS), "never-passed" (failed at minPerS: no goodput, lowest
 *    failing rate known) or "budget-exhausted" (its named maximum of long
 *    steps ran out first: the goodput is its highest long pass, a lower
 *    bound, or none).
 *
 * The result is the median of the rounds' goodputs (0 for a round with no
 * long pass) with their min and max: with 3 rounds, min-max is the honest
 * interval. Rounds run back to back, and a round's start depends on the
 * rounds before it (a warm start, so a round costs ~2 long steps, not a
 * whole search): they are repetitions of the measurement near the boundary,
 * not independent searches from scratch.
 *
 * Every measured step is returned (the latency-throughput curve comes from
 * them). Pure: the measurement is passed in, so the search runs against
 * anything that maps a rate to a latency summary.
 */

/** A step passes only if the target achieved at least this fraction of the offered rate. */
export const MIN_ACHIEVED_FRACTION = 0.95;
/** Named maximum: short (bracketing) steps in one search. */
export const MAX_SHORT_STEPS = 16;
/** Named maximum: rounds (repetitions of the long-step search) in one search. */
export const MAX_ROUNDS = 5;
/** Named maximum: long steps in one round. */
export const MAX_LONG_STEPS_PER_ROUND = 8;
/** Round 0's steps down after its first (x 1/(1+resolution)): at least this factor each. */
export const FIRST_ROUND_DOWN_FACTOR = 2;
/** Ratios within this relative tolerance of 1 + resolution count as within it (float rounding of the geometric steps). */
const RATIO_TOLERANCE = 1e-9;

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
  /** The round a long step belongs to (short steps: 0). */
  round: number;
}

export interface SearchOptions {
  sloNs: number;
  startPerS: number;
  minPerS: number;
  maxPerS: number;
  /** Bisection stops when hi / lo <= 1 + resolution; the expanding steps start at this ratio. */
  resolution: number;
  /** Short steps at most (default and cap MAX_SHORT_STEPS). */
  maxShortSteps?: number;
  /** Repetitions of the long-step search (cap MAX_ROUNDS); 0: short steps only, the figure is the bracket's highest pass. */
  rounds: number;
  /** Long steps round 0 may take (cap MAX_LONG_STEPS_PER_ROUND): it may start far from the boundary. */
  firstRoundLongSteps: number;
  /** Long steps each later round may take (cap MAX_LONG_STEPS_PER_ROUND). */
  longStepsPerRound: number;
  /** Called as each round ends (progress). */
  onRound?: (r: RoundResult) => void;
}

export const ROUND_OUTCOMES = ["bracketed", "at-max", "never-passed", "budget-exhausted"] as const;
export type RoundOutcome = (typeof ROUND_OUTCOMES)[number];

export interface RoundResult {
  round: number;
  /** Highest rate a long step of this round passed at, events/s (0: none passed). */
  goodputPerS: number;
  /** Lowest rate a long step of this round failed at, events/s (Infinity: none failed). */
  lowestFailPerS: number;
  outcome: RoundOutcome;
  longSteps: number;
}

export interface SearchResult {
  /** Median of the rounds' goodputs, events/s (0: most rounds had no long pass; not confirmed). Rounds 0: the short bracket's highest pass. */
  goodputPerS: number;
  /** Min and max of the rounds' goodputs (the interval over repetitions). */
  goodputMinPerS: number;
  goodputMaxPerS: number;
  /** Lowest rate any long step failed at (rounds 0: any short step), events/s; Infinity: none failed. */
  lowestFailPerS: number;
  rounds: RoundResult[];
  steps: SearchStep[];
}

export function stepPasses(m: StepMeasurement, sloNs: number): boolean {
  return (
    m.errors === 0 && m.p99Ns <= sloNs && m.achievedPerS >= MIN_ACHIEVED_FRACTION * m.offeredPerS
  );
}

type Measure = (ratePerS: number, phase: StepPhase) => Promise<StepMeasurement>;
type Step = (ratePerS: number, phase: StepPhase, round: number) => Promise<boolean>;

/** Within resolution: hi / lo <= 1 + resolution (up to float rounding). */
const closed = (lo: number, hi: number, resolution: number) =>
  hi / lo <= (1 + resolution) * (1 + RATIO_TOLERANCE);

/** Part 1: short steps, ramp then geometric bisection. The highest pass and lowest failure (0 / Infinity: none). */
async function bracket(step: Step, o: SearchOptions): Promise<{ lo: number; hi: number }> {
  const maxSteps = Math.min(o.maxShortSteps ?? MAX_SHORT_STEPS, MAX_SHORT_STEPS);
  let lo = 0;
  let hi = Number.POSITIVE_INFINITY;
  let rate = o.startPerS;
  for (let n = 0; n < maxSteps; n++) {
    const bisecting = lo > 0 && hi < Number.POSITIVE_INFINITY;
    if (bisecting && closed(lo, hi, o.resolution)) break;
    if (await step(rate, bisecting ? "bisect" : "ramp", 0)) {
      lo = rate;
      if (!bisecting && rate >= o.maxPerS) break;
    } else {
      hi = rate;
      if (!bisecting && rate <= o.minPerS) break;
    }
    if (lo > 0 && hi < Number.POSITIVE_INFINITY) rate = Math.sqrt(lo * hi);
    else rate = lo > 0 ? Math.min(o.maxPerS, rate * 2) : Math.max(o.minPerS, rate / 2);
  }
  return { lo, hi };
}

/** Part 2, one round: long steps from `start`, expanding up or down until a pass sits below a failure, then bisection. */
async function round(
  step: Step,
  o: SearchOptions,
  n: number,
  start: number,
  budget: number,
): Promise<RoundResult> {
  let lo = 0;
  let hi = Number.POSITIVE_INFINITY;
  let rate = Math.min(o.maxPerS, Math.max(o.minPerS, start));
  let expand = 1 + o.resolution;
  let outcome: RoundOutcome = "budget-exhausted";
  let used = 0;
  while (used < budget) {
    used++;
    if (await step(rate, "boundary", n)) lo = rate;
    else hi = rate;
    if (lo > 0 && hi < Number.POSITIVE_INFINITY) {
      if (closed(lo, hi, o.resolution)) {
        outcome = "bracketed";
        break;
      }
      rate = Math.sqrt(lo * hi);
    } else if (lo > 0) {
      if (lo >= o.maxPerS) {
        outcome = "at-max";
        break;
      }
      rate = Math.min(o.maxPerS, lo * expand);
      if (n === 0) expand *= expand;
    } else {
      if (hi <= o.minPerS) {
        outcome = "never-passed";
        break;
      }
      rate = Math.max(o.minPerS, hi / expand);
      // Round 0 may start far above the long-step knee (short steps overstate Redis ~1.5x): halve after the first step down.
      if (n === 0) expand = Math.max(expand * expand, FIRST_ROUND_DOWN_FACTOR);
    }
  }
  return { round: n, goodputPerS: lo, lowestFailPerS: hi, outcome, longSteps: used };
}

export function medianOf(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** Where round `n` starts: round 0 at the short bracket's highest pass; later ones at the median of the earlier rounds' boundary estimates. */
function roundStart(o: SearchOptions, shortLo: number, done: readonly RoundResult[]): number {
  if (done.length === 0) return shortLo > 0 ? shortLo : o.minPerS;
  // A round's estimate: between its pass and its failure (geometric middle), else next to the one it has.
  const estimates = done.map((r) =>
    r.goodputPerS > 0
      ? Number.isFinite(r.lowestFailPerS)
        ? Math.sqrt(r.goodputPerS * r.lowestFailPerS)
        : r.goodputPerS
      : r.lowestFailPerS / (1 + o.resolution),
  );
  return medianOf(estimates);
}

export async function searchGoodput(measure: Measure, o: SearchOptions): Promise<SearchResult> {
  const steps: SearchStep[] = [];
  const step: Step = async (ratePerS, phase, n) => {
    const m = await measure(ratePerS, phase);
    const passed = stepPasses(m, o.sloNs);
    steps.push({ ...m, phase, ratePerS, passed, round: n });
    return passed;
  };
  const short = await bracket(step, o);
  const rounds: RoundResult[] = [];
  const count = Math.min(Math.max(0, o.rounds), MAX_ROUNDS);
  for (let n = 0; n < count; n++) {
    const budget = Math.min(
      n === 0 ? o.firstRoundLongSteps : o.longStepsPerRound,
      MAX_LONG_STEPS_PER_ROUND,
    );
    const r = await round(step, o, n, roundStart(o, short.lo, rounds), Math.max(1, budget));
    rounds.push(r);
    o.onRound?.(r);
  }
  if (rounds.length === 0)
    return {
      goodputPerS: short.lo,
      goodputMinPerS: short.lo,
      goodputMaxPerS: short.lo,
      lowestFailPerS: short.hi,
      rounds,
      steps,
    };
  const goodputs = rounds.map((r) => r.goodputPerS);
  return {
    goodputPerS: medianOf(goodputs),
    goodputMinPerS: Math.min(...goodputs),
    goodputMaxPerS: Math.max(...goodputs),
    lowestFailPerS: Math.min(...rounds.map((r) => r.lowestFailPerS)),
    rounds,
    steps,
  };
}
