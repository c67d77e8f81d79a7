/**
 * The session-level interval (experiments/measure/sessions.ts) on synthetic
 * data, no timing anywhere. The data have the shape measured on this machine:
 * every session (a fresh pair of Workers) draws its own random effect on the
 * log ratio, shared by all of its pairs, plus a smaller noise per pair. Checks:
 * - a bootstrap over the pooled pairs (what compare --base did before) covers
 *   the true ratio far less than 95% of the time on such data, while the
 *   two-stage session bootstrap covers it in about 95% (a band), also with
 *   few sessions, and with no session effect it stays at or above nominal;
 * - the t and normal helpers match table values;
 * - strata: a position effect (the side in the first Worker runs slower),
 *   balanced over sessions, leaves the estimate unbiased and is kept out of
 *   the interval when sessions are resampled within their stratum;
 * - the decision rule end to end on sessions: HEAD against HEAD is flagged
 *   in at most 5% of synthetic runs, a 20% slowdown in at least 95%, while the
 *   old design (one session of 10 pairs, bootstrap over the pairs) raises
 *   false alarms in a large share of runs;
 * - bad input (too few sessions, a non-positive ratio, a stratum of one) is refused.
 */
import { describe, expect, test } from "bun:test";
import { decideChange } from "../experiments/measure/decide.ts";
import { ratioInterval } from "../experiments/measure/estimate.ts";
import {
  expandedTail,
  normalCdf,
  normalQuantile,
  sessionRatioInterval,
  studentTQuantile,
} from "../experiments/measure/sessions.ts";
import { Rng } from "../impl/core/rng.ts";
import { gauss } from "./support/gauss.ts";

/** sessions x pairs ratios: log ratio = log(trueRatio) + session effect (sd between) + pair noise (sd within). */
function sessionData(
  rng: Rng,
  sessions: number,
  pairs: number,
  trueRatio: number,
  sdBetween: number,
  sdWithin: number,
): number[][] {
  return Array.from({ length: sessions }, () => {
    const effect = sdBetween * gauss(rng);
    return Array.from({ length: pairs }, () =>
      Math.exp(Math.log(trueRatio) + effect + sdWithin * gauss(rng)),
    );
  });
}

/** Share of datasets whose interval (from `interval`) contains the true ratio. */
function coverage(
  shape: { sessions: number; pairs: number; sdBetween: number; sdWithin: number },
  interval: (data: number[][], seed: number) => { lo: number; hi: number },
  seed: number,
  datasets = 300,
): number {
  const rng = new Rng(seed);
  let covered = 0;
  for (let d = 0; d < datasets; d++) {
    const trueRatio = 0.6 + 0.8 * rng.next();
    const data = sessionData(
      rng,
      shape.sessions,
      shape.pairs,
      trueRatio,
      shape.sdBetween,
      shape.sdWithin,
    );
    const i = interval(data, d);
    if (i.lo <= trueRatio && trueRatio <= i.hi) covered++;
  }
  return covered / datasets;
}

const pooled = (data: number[][], seed: number) =>
  ratioInterval(data.flat(), { seed, resamples: 1000 });
const bySession = (data: number[][], seed: number) =>
  sessionRatioInterval(data, { seed, resamples: 1000 });

describe("helpers", () => {
  test("normal CDF and quantile, Student's t quantile match tables", () => {
    expect(normalCdf(0)).toBeCloseTo(0.5, 6);
    expect(normalCdf(1.959964)).toBeCloseTo(0.975, 5);
    expect(normalQuantile(0.975)).toBeCloseTo(1.959964, 4);
    // t table, 0.975: df 3 -> 3.182, 7 -> 2.365, 15 -> 2.131, 30 -> 2.042
    expect(studentTQuantile(0.975, 3)).toBeCloseTo(3.182, 1);
    expect(studentTQuantile(0.975, 7)).toBeCloseTo(2.365, 2);
    expect(studentTQuantile(0.975, 15)).toBeCloseTo(2.131, 2);
    expect(studentTQuantile(0.975, 30)).toBeCloseTo(2.042, 2);
  });

  test("the expanded tail is smaller than nominal and tends to it with many sessions", () => {
    expect(expandedTail(0.95, 4)).toBeLessThan(0.01);
    expect(expandedTail(0.95, 16)).toBeLessThan(0.025);
    expect(expandedTail(0.95, 1000)).toBeCloseTo(0.025, 3);
  });
});

describe("sessionRatioInterval coverage with a between-session random effect", () => {
  const shape = { sessions: 16, pairs: 3, sdBetween: 0.2, sdWithin: 0.05 };

  test("a bootstrap over pooled pairs under-covers: it ignores the session effect", () => {
    expect(coverage(shape, pooled, 1)).toBeLessThan(0.8);
  });

  test("the session bootstrap covers about 95%", () => {
    const c = coverage(shape, bySession, 1);
    expect(c).toBeGreaterThan(0.9);
    expect(c).toBeLessThan(0.99);
  });

  test("it covers about 95% with few sessions too (the expanded percentile)", () => {
    const c = coverage({ sessions: 5, pairs: 3, sdBetween: 0.2, sdWithin: 0.05 }, bySession, 2);
    expect(c).toBeGreaterThan(0.9);
    expect(c).toBeLessThan(0.995);
    // without the expansion, 5 sessions cover clearly less
    const plain = coverage(
      { sessions: 5, pairs: 3, sdBetween: 0.2, sdWithin: 0.05 },
      (d, seed) =>
        sessionRatioInterval(d, { seed, resamples: 1000, expand: false, resamplePairs: false }),
      2,
    );
    expect(plain).toBeLessThan(c);
  });

  test("with no session effect it does not under-cover", () => {
    const c = coverage({ sessions: 16, pairs: 3, sdBetween: 0, sdWithin: 0.1 }, bySession, 3);
    expect(c).toBeGreaterThan(0.93);
  });

  test("one pair per session (queue rows) behaves like a plain bootstrap over pairs", () => {
    const c = coverage({ sessions: 12, pairs: 1, sdBetween: 0.2, sdWithin: 0.05 }, bySession, 4);
    expect(c).toBeGreaterThan(0.9);
    expect(c).toBeLessThan(0.99);
  });
});

describe("strata: a position effect balanced over sessions", () => {
  /** Sessions alternate which side runs in the first Worker; that side's figure is 20% worse. */
  function positionData(rng: Rng, sessions: number): { data: number[][]; strata: number[] } {
    const strata = Array.from({ length: sessions }, (_, s) => s % 2);
    const data = strata.map((h) => {
      const shift = h === 0 ? Math.log(0.8) : -Math.log(0.8);
      const effect = 0.05 * gauss(rng);
      return Array.from({ length: 3 }, () => Math.exp(shift + effect + 0.03 * gauss(rng)));
    });
    return { data, strata };
  }

  test("the estimate stays at 1 and the stratified interval is narrower than the pooled one", () => {
    const { data, strata } = positionData(new Rng(7), 16);
    const withStrata = sessionRatioInterval(data, { seed: 1, strata });
    const without = sessionRatioInterval(data, { seed: 1 });
    expect(withStrata.estimate).toBeGreaterThan(0.97);
    expect(withStrata.estimate).toBeLessThan(1.03);
    expect(withStrata.lo).toBeLessThanOrEqual(1);
    expect(withStrata.hi).toBeGreaterThanOrEqual(1);
    expect(withStrata.hi - withStrata.lo).toBeLessThan((without.hi - without.lo) / 2);
  });
});

describe("the decision rule on session data", () => {
  /** Share of synthetic runs (sessions x pairs each) flagged as a regression by `interval`. */
  function flagRate(
    slowdown: number,
    interval: (d: number[][], seed: number) => { lo: number; hi: number },
    seed: number,
    shape: [number, number] = [16, 3],
    runs = 200,
  ): number {
    const rng = new Rng(seed);
    let flagged = 0;
    for (let r = 0; r < runs; r++) {
      const data = sessionData(rng, shape[0], shape[1], 1 - slowdown, 0.15, 0.05);
      if (decideChange(interval(data, r), 0.05) === "regression") flagged++;
    }
    return flagged / runs;
  }

  test("no change is flagged in at most 5% of runs of 16 sessions x 3 pairs", () => {
    expect(flagRate(0, bySession, 11)).toBeLessThanOrEqual(0.05);
  });

  test("the old design, one session of 10 pairs bootstrapped over pairs, raises false alarms often", () => {
    // One Worker pair for all blocks: the session effect is drawn once per run.
    expect(flagRate(0, pooled, 13, [1, 10])).toBeGreaterThan(0.25);
  });

  test("a 20% slowdown is flagged in at least 95% of runs", () => {
    expect(flagRate(0.2, bySession, 12)).toBeGreaterThanOrEqual(0.95);
  });
});

describe("bad input", () => {
  test("too few sessions, a non-positive ratio or a stratum of one session is refused", () => {
    expect(() => sessionRatioInterval([[1], [1]])).toThrow(/at least 3 sessions/);
    expect(() => sessionRatioInterval([[1], [], [1, 1]])).toThrow(/at least 3 sessions/);
    expect(() => sessionRatioInterval([[1], [1], [0]])).toThrow(/session 2 ratio 0/);
    expect(() => sessionRatioInterval([[1], [1], [1]], { strata: [0, 0, 1] })).toThrow(/stratum/);
  });
});
