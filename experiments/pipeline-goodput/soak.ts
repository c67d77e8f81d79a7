/**
 * The goodput experiment's soak point (issue 13's last two targets): a
 * target at 10% of the goodput this run's search measured for it (one long
 * step: is p99 <= 1 ms?) and at 50% for `soakS` seconds (full: 60), with
 * every measured sample of 50 ms or more recorded with its time (is there
 * none?).
 *
 * The goodput comes from the search points of the same target and SLO
 * earlier in the same run (the grid puts the soak last; points run in grid
 * order in one process): the best one, pinned or unpinned, and the soak runs
 * with that search's pinning (its rows' `placement` says where). Run without
 * them (e.g. a shard that has only the soak), it first brackets the goodput
 * with short steps at its own `pinning` (no long boundary steps), and those
 * rows come first with phases "ramp"/"bisect".
 */

import type { StepResult } from "./measure.ts";
import type { PlacementKind } from "./placement.ts";
import { type RoundOutcome, type SearchStep, searchGoodput, stepPasses } from "./search.ts";

/** "no-goodput": one row saying the soak did not run (the search found no rate to take 10% and 50% of). */
export const SOAK_PHASES = ["at-10pct", "soak", "no-goodput"] as const;
/** The soak's rates, as fractions of the measured goodput (the 10% and 50%). */
export const TENTH_FRACTION = 0.1;
export const SOAK_FRACTION = 0.5;
/** The p99 bar at 10% of goodput, ns. */
export const TENTH_P99_TARGET_NS = 1_000_000;

interface Key {
  target: string;
  queue: string;
  topology: string;
  pinning: string;
  sloMs: number;
}

const key = (p: Key) => `${p.target}|${p.queue}|${p.topology}|${p.sloMs}`;
/** The best goodput a search of this run found per target and SLO, and the pinning it ran with. */
const found = new Map<string, { goodputPerS: number; pinning: PlacementKind }>();

export function rememberGoodput(p: Key & { pinning: PlacementKind }, goodputPerS: number): void {
  const best = found.get(key(p));
  if (!best || goodputPerS > best.goodputPerS)
    found.set(key(p), { goodputPerS, pinning: p.pinning });
}

type Measure = (rate: number, durationS: number) => Promise<{ m: StepResult; loadAverage: number }>;

interface SoakPoint extends Key {
  pinning: PlacementKind;
  stepS: number;
  boundaryS: number;
  soakS: number;
}

/** Bracketing search bounds when the soak runs without its search (events/s), as in the experiment. */
const FALLBACK_SEARCH = {
  startPerS: 100_000,
  minPerS: 10_000,
  maxPerS: 8_000_000,
  resolution: 0.15,
  rounds: 0,
  firstRoundLongSteps: 0,
  longStepsPerRound: 0,
  maxShortSteps: 12,
};

/** Runs the soak; `measureAt(pinning)` measures steps with that placement. Returns its rows and the pinning used. */
export async function runSoak(
  p: SoakPoint,
  measureAt: (pinning: PlacementKind) => Measure,
  slowText: (slow: StepResult["slow"]) => string,
) {
  const rows: ReturnType<typeof stepRow>[] = [];
  const best = found.get(key(p));
  const pinning = best?.pinning ?? p.pinning;
  const measure = measureAt(pinning);
  let goodput = best?.goodputPerS;
  if (goodput === undefined) {
    const loads: number[] = [];
    const durations: number[] = [];
    const slows: StepResult["slow"][] = [];
    const r = await searchGoodput(
      async (rate) => {
        const { m, loadAverage } = await measure(rate, p.stepS);
        loads.push(loadAverage);
        durations.push(p.stepS);
        slows.push(m.slow);
        return m;
      },
      { ...FALLBACK_SEARCH, sloNs: p.sloMs * 1e6 },
    );
    goodput = r.goodputPerS;
    r.steps.forEach((s, i) => {
      rows.push(
        stepRow(
          i,
          s,
          s.passed,
          goodput!,
          durations[i]!,
          loads[i]!,
          slows[i]!.length,
          slowText(slows[i]!),
        ),
      );
    });
  }
  if (goodput <= 0) {
    const none = { offeredPerS: 0, achievedPerS: 0, p50Ns: 0, p99Ns: 0, p999Ns: 0, maxNs: 0 };
    const step = { ...none, errors: 0, phase: "no-goodput" as const, ratePerS: 0 };
    rows.push(stepRow(rows.length, step, false, 0, 0, 0, 0, slowText([])));
    return { rows, pinning };
  }
  const longS = p.boundaryS > 0 ? p.boundaryS : p.stepS;
  const tenth = await measure(goodput * TENTH_FRACTION, longS);
  const tenthStep = { ...tenth.m, phase: "at-10pct" as const, ratePerS: goodput * TENTH_FRACTION };
  const tenthPassed = stepPasses(tenth.m, TENTH_P99_TARGET_NS);
  rows.push(
    stepRow(
      rows.length,
      tenthStep,
      tenthPassed,
      goodput,
      longS,
      tenth.loadAverage,
      tenth.m.slow.length,
      slowText(tenth.m.slow),
    ),
  );
  const soak = await measure(goodput * SOAK_FRACTION, p.soakS);
  const soakStep = { ...soak.m, phase: "soak" as const, ratePerS: goodput * SOAK_FRACTION };
  // Passes only with no sample over 50 ms, nothing lost, and the rate kept up.
  const soakPassed = soak.m.slow.length === 0 && stepPasses(soak.m, Number.POSITIVE_INFINITY);
  rows.push(
    stepRow(
      rows.length,
      soakStep,
      soakPassed,
      goodput,
      p.soakS,
      soak.loadAverage,
      soak.m.slow.length,
      slowText(soak.m.slow),
    ),
  );
  return { rows, pinning };
}

/** One CSV row of a step (search, 10% or soak); the search's own columns are the caller's to override. */
export function stepRow(
  step: number,
  s: Omit<SearchStep, "phase" | "passed" | "round"> & {
    phase: SearchStep["phase"] | (typeof SOAK_PHASES)[number];
  },
  passed: boolean,
  goodputPerS: number,
  durationS: number,
  loadAverage1m: number,
  slowCount: number,
  slowAt: string,
) {
  return {
    step,
    phase: s.phase,
    ratePerS: s.ratePerS,
    durationS,
    offeredEventsPerS: s.offeredPerS,
    achievedEventsPerS: s.achievedPerS,
    latencyNsP50: s.p50Ns,
    latencyNsP99: s.p99Ns,
    latencyNsP999: s.p999Ns,
    latencyNsMax: s.maxNs,
    passed,
    goodputEventsPerS: goodputPerS,
    goodputMinEventsPerS: null as number | null,
    goodputMaxEventsPerS: null as number | null,
    lowestFailEventsPerS: 0,
    boundaryPassFraction: 0,
    round: 0,
    roundGoodputEventsPerS: null as number | null,
    roundLowestFailEventsPerS: null as number | null,
    roundOutcome: "" as RoundOutcome | "",
    roundLongSteps: 0,
    samplesOver50Ms: slowCount,
    samplesOver50MsAt: slowAt,
    loadAverage1m,
  };
}
