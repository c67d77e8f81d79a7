/**
 * The measurement core's statistics on synthetic data (no timing anywhere):
 * - interleaving (experiments/measure/schedule.ts) is seeded (same seed, same
 *   order; another seed, another order) and balanced (every block holds every
 *   contender once; over whole rounds every contender holds every position
 *   equally often);
 * - the bootstrap interval (estimate.ts) covers a known true ratio in about
 *   95% of many synthetic datasets (lognormal pair noise with a known centre),
 *   checked as a band, for both the geometric mean and the median;
 * - the decision rules (decide.ts) on fixed intervals, then end to end on
 *   synthetic paired trials: a 20% regression is flagged in nearly every
 *   dataset, an unchanged pair almost never, and pairing keeps the verdict
 *   when the whole machine drifts 2x over the run;
 * - the warm-up check (warmup.ts) waits out a rising start, is not fooled by
 *   a few outlier chunks, and reports a rate that never settles as not steady.
 */
import { describe, expect, test } from "bun:test";
import { decideChange, decideClaim, decideClaimAtMost } from "../experiments/measure/decide.ts";
import { pairedRatios, ratioInterval, relativeHalfWidth } from "../experiments/measure/estimate.ts";
import { interleavedSchedule } from "../experiments/measure/schedule.ts";
import { flatSlope, theilSenSlope, warmUp } from "../experiments/measure/warmup.ts";
import { Rng } from "../impl/core/rng.ts";
import { gauss } from "./support/gauss.ts";

/** A standard normal draw (Box-Muller) from the seeded generator. */

/** n paired ratios whose logs are normal around log(trueRatio). */
function syntheticRatios(rng: Rng, n: number, trueRatio: number, sigmaLog: number): number[] {
  return Array.from({ length: n }, () => Math.exp(Math.log(trueRatio) + sigmaLog * gauss(rng)));
}

describe("interleavedSchedule", () => {
  test("same seed gives the same order, another seed another order", () => {
    expect(interleavedSchedule(3, 30, 7)).toEqual(interleavedSchedule(3, 30, 7));
    expect(interleavedSchedule(3, 30, 7)).not.toEqual(interleavedSchedule(3, 30, 8));
  });

  test("every block runs every contender exactly once", () => {
    for (const k of [1, 2, 3, 5]) {
      for (const block of interleavedSchedule(k, 41, 3)) {
        expect([...block].sort((a, b) => a - b)).toEqual(Array.from({ length: k }, (_, i) => i));
      }
    }
  });

  test("over whole rounds every contender holds every position equally often", () => {
    for (const k of [2, 3, 4]) {
      const blocks = k * 10;
      const counts = Array.from({ length: k }, () => new Array(k).fill(0));
      for (const block of interleavedSchedule(k, blocks, 11))
        for (const [pos, c] of block.entries()) counts[c]![pos]++;
      for (const row of counts) expect(row).toEqual(new Array(k).fill(blocks / k));
    }
  });

  test("a partial last round leaves positions within one of balanced", () => {
    const counts = [0, 0];
    for (const block of interleavedSchedule(2, 31, 5)) counts[block[0]!]!++;
    expect(Math.abs(counts[0]! - counts[1]!)).toBeLessThanOrEqual(1);
  });

  test("the order is random, not a fixed alternation", () => {
    const firsts = interleavedSchedule(2, 40, 9).map((b) => b[0]);
    const alternating = firsts.every((c, i) => i === 0 || c !== firsts[i - 1]);
    expect(alternating).toBe(false);
  });

  test("bad sizes are refused with the name of the parameter", () => {
    expect(() => interleavedSchedule(0, 10, 1)).toThrow(/contenders/);
    expect(() => interleavedSchedule(2, 0, 1)).toThrow(/blocks/);
    expect(() => interleavedSchedule(2, 1.5, 1)).toThrow(/blocks/);
  });
});

describe("pairedRatios and ratioInterval", () => {
  test("ratios are per block, oriented so > 1 means better, skipping failed blocks", () => {
    expect(pairedRatios([10, 20, Number.NaN, 5], [5, 10, 3, 0], true)).toEqual([2, 2]);
    expect(pairedRatios([10, 20], [5, 10], false)).toEqual([0.5, 0.5]);
  });

  test("the same ratios and seed give the same interval; it contains the estimate", () => {
    const r = syntheticRatios(new Rng(1), 25, 1.2, 0.2);
    const a = ratioInterval(r, { seed: 3 });
    expect(ratioInterval(r, { seed: 3 })).toEqual(a);
    expect(a.lo).toBeLessThanOrEqual(a.estimate);
    expect(a.hi).toBeGreaterThanOrEqual(a.estimate);
    expect(a.n).toBe(25);
  });

  test("more pairs give a narrower interval", () => {
    const rng = new Rng(2);
    const few = ratioInterval(syntheticRatios(rng, 10, 1, 0.2));
    const many = ratioInterval(syntheticRatios(rng, 200, 1, 0.2));
    expect(relativeHalfWidth(many)).toBeLessThan(relativeHalfWidth(few) / 2);
  });

  test("too few pairs or a non-positive ratio is refused", () => {
    expect(() => ratioInterval([1, 2])).toThrow(/at least 3 pairs/);
    expect(() => ratioInterval([1, 2, -1])).toThrow(/ratio 2/);
  });

  for (const statistic of ["geomean", "median"] as const) {
    test(`${statistic}: the 95% interval covers the true ratio in about 95% of datasets`, () => {
      const rng = new Rng(20260101);
      const datasets = 400;
      let covered = 0;
      for (let d = 0; d < datasets; d++) {
        const trueRatio = 0.5 + rng.next(); // a different known ratio per dataset
        const ratios = syntheticRatios(rng, 30, trueRatio, 0.25);
        const i = ratioInterval(ratios, { statistic, seed: d, resamples: 1000 });
        if (i.lo <= trueRatio && trueRatio <= i.hi) covered++;
      }
      // Percentile bootstrap at n = 30 covers a little under nominal; a broken
      // interval (too narrow, biased, unseeded to one value) falls far outside.
      const coverage = covered / datasets;
      expect(coverage).toBeGreaterThan(0.89);
      expect(coverage).toBeLessThan(0.99);
    });
  }
});

describe("decision rules", () => {
  test("decideChange: only a whole interval beyond the threshold is a change", () => {
    expect(decideChange({ lo: 0.8, hi: 0.9 }, 0.05)).toBe("regression");
    expect(decideChange({ lo: 0.8, hi: 0.96 }, 0.05)).toBe("no change established");
    expect(decideChange({ lo: 0.97, hi: 1.02 }, 0.05)).toBe("no change established");
    expect(decideChange({ lo: 1.06, hi: 1.3 }, 0.05)).toBe("improvement");
    expect(decideChange({ lo: 1.04, hi: 1.3 }, 0.05)).toBe("no change established");
    expect(() => decideChange({ lo: 1, hi: 0.9 }, 0.05)).toThrow(/not ordered/);
    expect(() => decideChange({ lo: 0.9, hi: 1 }, 1)).toThrow(/threshold/);
  });

  test("decideClaim: holds on the lower bound, fails when all below, else not established", () => {
    expect(decideClaim({ lo: 0.95, hi: 1.4 }, 0.9)).toBe("holds");
    expect(decideClaim({ lo: 0.85, hi: 1.4 }, 0.9)).toBe("not established");
    expect(decideClaim({ lo: 0.6, hi: 0.85 }, 0.9)).toBe("fails");
  });

  test("decideClaimAtMost (a latency ratio): holds on the upper bound, fails when all above", () => {
    // raft-commit's p50 target: eventlab / etcd at most 1; 0.69x (0.59x-0.83x) is a lower latency.
    expect(decideClaimAtMost({ lo: 0.59, hi: 0.83 }, 1)).toBe("holds");
    expect(decideClaimAtMost({ lo: 0.8, hi: 1.2 }, 1)).toBe("not established");
    expect(decideClaimAtMost({ lo: 1.1, hi: 1.9 }, 1)).toBe("fails");
    expect(() => decideClaimAtMost({ lo: 1, hi: 2 }, 0)).toThrow(/maxRatio must be positive/);
  });

  /** Paired trials of base and head; head = base figure / slowdown; both drift with the machine. */
  function verdictRate(slowdown: number, drift: number, datasets: number, seed: number): number {
    const rng = new Rng(seed);
    let flagged = 0;
    for (let d = 0; d < datasets; d++) {
      const base: number[] = [];
      const head: number[] = [];
      for (let b = 0; b < 30; b++) {
        const machine = 1e6 * (1 + (drift * b) / 30) * Math.exp(0.3 * gauss(rng)); // shared by the pair
        base.push(machine * Math.exp(0.08 * gauss(rng)));
        head.push(machine * Math.exp(0.08 * gauss(rng)) * (1 - slowdown));
      }
      const i = ratioInterval(pairedRatios(head, base, true), { seed: d, resamples: 1000 });
      if (decideChange(i, 0.05) === "regression") flagged++;
    }
    return flagged / datasets;
  }

  test("a 20% regression is flagged in nearly every synthetic run", () => {
    expect(verdictRate(0.2, 0, 200, 1)).toBeGreaterThanOrEqual(0.95);
  });

  test("no change is almost never flagged as a regression", () => {
    expect(verdictRate(0, 0, 200, 2)).toBeLessThanOrEqual(0.05);
  });

  test("pairing keeps the verdict when the machine slows 2x over the run", () => {
    expect(verdictRate(0.2, 1, 200, 3)).toBeGreaterThanOrEqual(0.95);
    expect(verdictRate(0, 1, 200, 4)).toBeLessThanOrEqual(0.05);
  });
});

describe("warm-up check", () => {
  test("Theil-Sen slope of a line is its slope, and ignores one outlier", () => {
    expect(theilSenSlope([1, 3, 5, 7, 9])).toBe(2);
    expect(theilSenSlope([1, 3, 500, 7, 9, 11, 13])).toBe(2);
  });

  test("flatSlope: a flat noisy window is flat, a 20% climb is not", () => {
    expect(flatSlope([100, 103, 98, 101, 99, 102, 100, 97], 0.05).flat).toBe(true);
    expect(flatSlope([100, 103, 106, 109, 112, 115, 118, 121], 0.05).flat).toBe(false);
  });

  test("waits out a rising start and stops soon after the rate settles", async () => {
    // rate climbs to 1000 with time constant 5 chunks (JIT tiers), then stays, with 2% noise
    const rng = new Rng(5);
    let k = 0;
    const r = await warmUp(() => 1000 * (1 - Math.exp(-k++ / 5)) * (1 + 0.02 * gauss(rng)) + 1);
    expect(r.steady).toBe(true);
    // by chunk 15 the rate is within 5% of its plateau; a fixed count of 8 would be too early
    expect(r.chunks).toBeGreaterThan(12);
    expect(r.chunks).toBeLessThan(60);
  });

  test("a few outlier chunks (another process's burst) do not block steadiness", async () => {
    const rng = new Rng(6);
    let k = 0;
    const r = await warmUp(() => {
      k++;
      return k % 7 === 0 ? 300 : 1000 * (1 + 0.02 * gauss(rng));
    });
    expect(r.steady).toBe(true);
    expect(r.chunks).toBeLessThan(20);
  });

  test("a rate that keeps climbing ends at maxChunks, reported as not steady", async () => {
    let k = 0;
    const r = await warmUp(() => 100 + 10 * k++, { maxChunks: 40 });
    expect(r.steady).toBe(false);
    expect(r.chunks).toBe(40);
    expect(r.rates).toHaveLength(40);
  });

  test("bad options are refused", async () => {
    await expect(warmUp(() => 1, { windowChunks: 2 })).rejects.toThrow(/windowChunks/);
    await expect(warmUp(() => 1, { windowChunks: 8, maxChunks: 4 })).rejects.toThrow(/maxChunks/);
  });
});
