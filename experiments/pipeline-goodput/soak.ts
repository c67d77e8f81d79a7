/**
 * The goodput experiment's soak point (issue 13's last two targets): a
 * target at 10% of the goodput this run's search measured for it (one long
 * step: is p99 <= 1 ms?) and at 50% for `soakS` seconds (full: 60), with
 * every measured sample of 50 ms or more recorded with its time (is there
 * none?).
 *
 * The goodput comes from the search point of the same target, placement and
 * SLO earlier in the same run (the grid puts the soak last; points run in
 * grid order in one process). Run alone (e.g. `--only` a soak point), it
 * first brackets the goodput with short steps (no long boundary steps) and
 * says so in its rows' phase ("ramp"/"bisect" rows before the soak's).
 */

import type { StepResult } from "./measure.ts";
import { type SearchStep, searchGoodput, stepPasses } from "./search.ts";

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

const key = (p: Key) => `${p.target}|${p.queue}|${p.topology}|${p.pinning}|${p.sloMs}`;
/** Goodput each search of this run found, by target, placement and SLO. */
const found = new Map<string, number>();

export function rememberGoodput(p: Key, goodputPerS: number): void {
  found.set(key(p), goodputPerS);
}

type Measure = (rate: number, durationS: number) => Promise<{ m: StepResult; loadAverage: number }>;

interface SoakPoint extends Key {
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
  boundaryRepeats: 0,
  maxSteps: 12,
};

export async function runSoak(
  p: SoakPoint,
  measure: Measure,
  slowText: (slow: StepResult["slow"]) => string,
) {
  const rows: ReturnType<typeof row>[] = [];
  let goodput = found.get(key(p));
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
      rows.push(row(i, s, s.passed, goodput!, durations[i]!, loads[i]!, slows[i]!, slowText));
    });
  }
  if (goodput <= 0) {
    const none = { offeredPerS: 0, achievedPerS: 0, p50Ns: 0, p99Ns: 0, p999Ns: 0, maxNs: 0 };
    const step = { ...none, errors: 0, phase: "no-goodput" as const, ratePerS: 0 };
    rows.push(row(rows.length, step, false, 0, 0, 0, [], slowText));
    return rows;
  }
  const longS = p.boundaryS > 0 ? p.boundaryS : p.stepS;
  const tenth = await measure(goodput * TENTH_FRACTION, longS);
  const tenthStep = { ...tenth.m, phase: "at-10pct" as const, ratePerS: goodput * TENTH_FRACTION };
  const tenthPassed = stepPasses(tenth.m, TENTH_P99_TARGET_NS);
  rows.push(
    row(
      rows.length,
      tenthStep,
      tenthPassed,
      goodput,
      longS,
      tenth.loadAverage,
      tenth.m.slow,
      slowText,
    ),
  );
  const soak = await measure(goodput * SOAK_FRACTION, p.soakS);
  const soakStep = { ...soak.m, phase: "soak" as const, ratePerS: goodput * SOAK_FRACTION };
  // Passes only with no sample over 50 ms, nothing lost, and the rate kept up.
  const soakPassed = soak.m.slow.length === 0 && stepPasses(soak.m, Number.POSITIVE_INFINITY);
  rows.push(
    row(
      rows.length,
      soakStep,
      soakPassed,
      goodput,
      p.soakS,
      soak.loadAverage,
      soak.m.slow,
      slowText,
    ),
  );
  return rows;
}

function row(
  step: number,
  s: Omit<SearchStep, "phase" | "passed"> & {
    phase: SearchStep["phase"] | (typeof SOAK_PHASES)[number];
  },
  passed: boolean,
  goodputPerS: number,
  durationS: number,
  loadAverage1m: number,
  slow: StepResult["slow"],
  slowText: (slow: StepResult["slow"]) => string,
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
    lowestFailEventsPerS: 0,
    boundaryPassFraction: 0,
    samplesOver50Ms: slow.length,
    samplesOver50MsAt: slowText(slow),
    loadAverage1m,
  };
}
