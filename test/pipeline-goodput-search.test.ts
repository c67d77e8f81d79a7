/**
 * The goodput search (experiments/pipeline-goodput/search.ts) against
 * scripted targets whose p99 is a known function of the offered rate (no
 * sockets, no timing): it finds the highest passing rate to within its
 * resolution, never reports a rate that failed its boundary check, steps down
 * when the boundary passes only by luck, reports 0 when nothing passes, stops
 * at maxPerS when everything passes, and never exceeds its step budget. A
 * step also fails when the target falls behind the offered rate or loses
 * events, whatever its p99.
 */
import { expect, test } from "bun:test";
import {
  MAX_SEARCH_STEPS,
  type SearchOptions,
  type StepMeasurement,
  searchGoodput,
  stepPasses,
} from "../experiments/pipeline-goodput/search.ts";

const SLO_NS = 5e6;
const OPTS: SearchOptions = {
  sloNs: SLO_NS,
  startPerS: 100_000,
  minPerS: 10_000,
  maxPerS: 8_000_000,
  resolution: 0.1,
  boundaryRepeats: 3,
};

/** A target whose p99 crosses the SLO at `kneePerS`. */
function knee(kneePerS: number) {
  return async (rate: number): Promise<StepMeasurement> => ({
    offeredPerS: rate,
    achievedPerS: rate,
    p50Ns: 1e6,
    p99Ns: rate <= kneePerS ? SLO_NS / 2 : SLO_NS * 10,
    p999Ns: SLO_NS * 20,
    maxNs: SLO_NS * 30,
    errors: 0,
  });
}

test("finds the knee to within the resolution, from below, with boundary repeats", async () => {
  for (const k of [37_000, 730_000, 2_900_000]) {
    const r = await searchGoodput(knee(k), OPTS);
    expect(r.goodputPerS).toBeLessThanOrEqual(k);
    expect(r.goodputPerS).toBeGreaterThan(k / (1 + OPTS.resolution) ** 2);
    expect(r.boundaryPassFraction).toBe(1);
    expect(r.steps.filter((s) => s.phase === "boundary").length).toBe(3);
    expect(r.steps.length).toBeLessThanOrEqual(MAX_SEARCH_STEPS);
    expect(r.steps.filter((s) => s.passed).every((s) => s.ratePerS <= k)).toBe(true);
  }
});

test("a boundary that passes only once in three steps down instead of counting", async () => {
  const k = 500_000;
  let lucky = true;
  const measure = knee(k);
  const r = await searchGoodput(async (rate) => {
    const m = await measure(rate);
    // Above 450k the target passes once (a lucky step), then never again.
    if (rate > 450_000 && rate <= k) {
      const pass = lucky;
      lucky = false;
      return pass ? m : { ...m, p99Ns: SLO_NS * 3 };
    }
    return m;
  }, OPTS);
  expect(r.goodputPerS).toBeLessThanOrEqual(450_000);
  expect(r.goodputPerS).toBeGreaterThan(0);
});

test("nothing passes: goodput 0; everything passes: stops at maxPerS", async () => {
  const none = await searchGoodput(knee(0), OPTS);
  expect(none.goodputPerS).toBe(0);
  expect(none.steps.at(-1)!.ratePerS).toBe(OPTS.minPerS);
  const all = await searchGoodput(knee(1e12), OPTS);
  expect(all.goodputPerS).toBe(OPTS.maxPerS);
  expect(all.steps.length).toBeLessThanOrEqual(MAX_SEARCH_STEPS);
});

test("a step fails when the target falls behind or loses events, whatever its p99", () => {
  const ok: StepMeasurement = {
    offeredPerS: 1000,
    achievedPerS: 1000,
    p50Ns: 1,
    p99Ns: 1,
    p999Ns: 1,
    maxNs: 1,
    errors: 0,
  };
  expect(stepPasses(ok, SLO_NS)).toBe(true);
  expect(stepPasses({ ...ok, achievedPerS: 900 }, SLO_NS)).toBe(false);
  expect(stepPasses({ ...ok, errors: 1 }, SLO_NS)).toBe(false);
  expect(stepPasses({ ...ok, p99Ns: SLO_NS + 1 }, SLO_NS)).toBe(false);
});

test("the measurement is told the phase; the boundary tries at most maxBoundaryRates rates", async () => {
  const phases: string[] = [];
  const measure = knee(500_000);
  // Every boundary step fails (the short steps were lucky): the search gives up after 2 rates.
  const r = await searchGoodput(
    async (rate, phase) => {
      phases.push(phase);
      const m = await measure(rate);
      return phase === "boundary" ? { ...m, p99Ns: SLO_NS * 3 } : m;
    },
    { ...OPTS, maxBoundaryRates: 2 },
  );
  expect(r.goodputPerS).toBe(0);
  expect(r.steps.filter((s) => s.phase === "boundary")).toHaveLength(2 * OPTS.boundaryRepeats);
  expect(phases).toEqual(r.steps.map((s) => s.phase));
  expect(r.lowestFailPerS).toBeGreaterThan(500_000);
  expect(r.lowestFailPerS).toBeLessThan(500_000 * (1 + OPTS.resolution) ** 2);
});
