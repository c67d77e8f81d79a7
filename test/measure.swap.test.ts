/**
 * The swap design of duet sessions (experiments/measure/swap.ts and its use in
 * base-head.ts), with no timing anywhere. Checks:
 * - the order is seeded and balanced: the same seed gives the same unit
 *   order, half the units start each way, and in every block the two Workers
 *   run opposite sides, each Worker running each side once per unit;
 * - the estimator: on synthetic sessions where each Worker multiplies its
 *   figures by a factor of its own (log sd 0.25, the spread measured for
 *   array-pool), the swap unit ratios cancel it (session spread = the pair
 *   noise only) while the split design's session ratios carry it; a factor
 *   per (Worker, side) does not cancel (the model under which swap only
 *   halves the variance); on such data the swap design flags a 20% slowdown
 *   in nearly every synthetic run and HEAD against HEAD rarely, where split
 *   misses the slowdown often;
 * - end to end through runBaseHead with real duet Workers
 *   (test/workers/duet-fixed.ts) whose figures are fixed numbers times a
 *   per-Worker factor of 1.5: every swap unit's ratio is exactly the true
 *   ratio, every split session's is off by the factor;
 * - compare:power --spread's per-session reading (scripts/compare-power-spread.ts):
 *   the swap session's mean log ratio and the Worker factor it cancels.
 */
import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import { type BaseHeadSides, runBaseHead } from "../experiments/measure/base-head.ts";
import { baseHeadMarkdown } from "../experiments/measure/base-head-format.ts";
import { decideChange } from "../experiments/measure/decide.ts";
import { pairedRatios } from "../experiments/measure/estimate.ts";
import { sessionRatioInterval } from "../experiments/measure/sessions.ts";
import {
  swapBySide,
  swapSideOf,
  swapUnitOrder,
  swapUnitRatios,
} from "../experiments/measure/swap.ts";
import { Rng } from "../impl/core/rng.ts";
import { sessionStats } from "../scripts/compare-power-spread.ts";
import { gauss } from "./support/gauss.ts";

const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const sd = (xs: readonly number[]) => {
  const m = mean(xs);
  return Math.sqrt(xs.reduce((a, x) => a + (x - m) ** 2, 0) / (xs.length - 1));
};

describe("swap order", () => {
  test("seeded and balanced; the Workers run opposite sides, each side once per unit", () => {
    for (const seed of [1, 2, 3, 99]) {
      const order = swapUnitOrder(8, seed);
      expect(swapUnitOrder(8, seed)).toEqual(order);
      expect(order.filter((x) => x === 0)).toHaveLength(4);
      expect(order.every((x) => x === 0 || x === 1)).toBe(true);
      for (let u = 0; u < 8; u++) {
        const blocks = [2 * u, 2 * u + 1];
        for (const b of blocks) expect(swapSideOf(0, b, order) + swapSideOf(1, b, order)).toBe(1);
        for (const w of [0, 1])
          expect(blocks.map((b) => swapSideOf(w, b, order)).sort()).toEqual([0, 1]);
        expect(swapSideOf(0, 2 * u, order)).toBe(order[u]!);
      }
    }
    const seeds = Array.from({ length: 20 }, (_, s) => swapUnitOrder(8, s).join(""));
    expect(new Set(seeds).size).toBeGreaterThan(5);
    expect(() => swapSideOf(0, 16, swapUnitOrder(8, 1))).toThrow(/past the last swap unit/);
  });

  test("swapBySide puts every Worker value back under the side it ran", () => {
    const order = [1, 0];
    // Worker w's value in block b encodes (w, b).
    const v: [number[], number[]] = [
      [0, 1, 2, 3].map((b) => 100 + b),
      [0, 1, 2, 3].map((b) => 200 + b),
    ];
    const [side0, side1] = swapBySide(v, order);
    for (let b = 0; b < 4; b++) {
      const w0 = swapSideOf(0, b, order);
      expect((w0 === 0 ? side0 : side1)[b]).toBe(100 + b);
      expect((w0 === 0 ? side1 : side0)[b]).toBe(200 + b);
    }
  });

  test("a unit with a failed trial is dropped whole", () => {
    expect(swapUnitRatios([10, 10, Number.NaN, 10], [10, 10, 10, 10], false)).toEqual([1]);
  });
});

/**
 * One synthetic duet session, ns/op figures (lower is better): head = base /
 * trueRatio; Worker w multiplies by exp(worker[w]), and by exp(cell[w][s])
 * when it runs side s; every trial has its own noise.
 */
function session(
  rng: Rng,
  design: "split" | "swap",
  pairs: number,
  trueRatio: number,
  sdWorker: number,
  sdCell: number,
  sdTrial: number,
): number[] {
  const worker = [sdWorker * gauss(rng), sdWorker * gauss(rng)];
  const cell = [0, 1].map(() => [sdCell * gauss(rng), sdCell * gauss(rng)]);
  const nsOf = (w: number, side: number) =>
    (side === 1 ? 100 / trueRatio : 100) *
    Math.exp(worker[w]! + cell[w]![side]! + sdTrial * gauss(rng));
  if (design === "split") {
    // Worker 0 runs base, Worker 1 head (the side's position is balanced elsewhere).
    const base = Array.from({ length: pairs }, () => nsOf(0, 0));
    const head = Array.from({ length: pairs }, () => nsOf(1, 1));
    return pairedRatios(head, base, false);
  }
  const order = swapUnitOrder(pairs, rng.int(1 << 30));
  const values: [number[], number[]] = [[], []];
  for (let b = 0; b < 2 * pairs; b++)
    for (const w of [0, 1]) values[w]!.push(nsOf(w, swapSideOf(w, b, order)));
  const [base, head] = swapBySide(values, order);
  return swapUnitRatios(head, base, false);
}

describe("swap estimator on synthetic sessions", () => {
  const sessionSd = (design: "split" | "swap", sdWorker: number, sdCell: number) => {
    const rng = new Rng(7);
    const means = Array.from({ length: 400 }, () =>
      mean(session(rng, design, 3, 1, sdWorker, sdCell, 0.03).map(Math.log)),
    );
    return sd(means);
  };

  test("a per-Worker factor cancels in swap units and not in split sessions", () => {
    const split = sessionSd("split", 0.25, 0);
    const swap = sessionSd("swap", 0.25, 0);
    // split: two Workers' factors, sd 0.25 * sqrt(2) = 0.35; swap: pair noise only, 0.03 / sqrt(3) ~ 0.017
    expect(split).toBeGreaterThan(0.3);
    expect(swap).toBeLessThan(0.03);
  });

  test("a factor per (Worker, side) does not cancel: swap only divides its variance by two", () => {
    const split = sessionSd("split", 0, 0.2);
    const swap = sessionSd("swap", 0, 0.2);
    expect(swap / split).toBeGreaterThan(0.6);
    expect(swap / split).toBeLessThan(0.8);
  });

  test("with a per-Worker factor, swap flags a 20% slowdown almost always; split often misses it", () => {
    const runs = 200;
    const rate = (design: "split" | "swap", trueRatio: number) => {
      const rng = new Rng(design === "swap" ? 11 : 12);
      let flagged = 0;
      for (let r = 0; r < runs; r++) {
        const sessions = Array.from({ length: 12 }, () =>
          session(rng, design, 3, trueRatio, 0.2, 0.03, 0.03),
        );
        const strata = sessions.map((_, i) => i % 2);
        const iv = sessionRatioInterval(sessions, { seed: r, resamples: 400, strata });
        if (decideChange(iv, 0.05) === "regression") flagged++;
      }
      return flagged / runs;
    };
    expect(rate("swap", 0.8)).toBeGreaterThanOrEqual(0.95);
    expect(rate("swap", 1)).toBeLessThanOrEqual(0.05);
    expect(rate("split", 0.8)).toBeLessThan(0.8);
  });
});

describe("runBaseHead, swap design", () => {
  const modulePath = join(import.meta.dir, "workers", "duet-fixed.ts");
  const row = {
    id: "fixed",
    figureName: "time per op",
    figureUnit: "ns/op",
    higherIsBetter: false,
  };
  /** base 100 ns/op, head 125 ns/op (head/base 0.8 in the better sense); one Worker per session 1.5x slower. */
  const sides = (): BaseHeadSides => {
    const counter = new SharedArrayBuffer(4);
    const factors: [number, number] = [1, 1.5];
    return {
      duet: () => [
        { name: "base", modulePath, exportName: "fixed", params: { ns: 100, counter, factors } },
        { name: "head", modulePath, exportName: "fixed", params: { ns: 125, counter, factors } },
      ],
      duetSwap: (_row, worker, unitFirst) => ({
        name: `worker ${worker}`,
        modulePath,
        exportName: "swapFixed",
        params: { ns: [100, 125], worker, unitFirst: [...unitFirst], counter, factors },
      }),
      warmupChunk: () => {
        throw new Error("duet rows are not warmed up here");
      },
      trial: () => {
        throw new Error("duet rows never run interleaved");
      },
    };
  };
  const opts = { sessions: 4, pairsPerSession: 2, seed: 5, threshold: 0.05 };

  test("swap: every unit is exactly the true ratio; Workers and first sides balanced", async () => {
    const rep = await runBaseHead([row], sides(), { ...opts, design: "swap" }, who);
    const r = rep.rows[0]!;
    expect(r.design).toBe("swap");
    expect(baseHeadMarkdown(rep)).toContain(
      "| fixed | time per op (ns/op, lower is better) | duet, swap | 4 x 2 |",
    );
    expect(r.session).toHaveLength(4 * 2 * 2);
    expect(r.interval!.estimate).toBeCloseTo(0.8, 9);
    expect(r.interval!.sessionSdLog).toBeLessThan(1e-9);
    expect(r.verdict).toBe("regression");
    expect(r.firstWorker!.filter((s) => s === "base")).toHaveLength(2);
    for (let s = 0; s < 4; s++) {
      const hw = r.headWorker!.filter((_, i) => r.session[i] === s);
      expect(hw.filter((w) => w === 0)).toHaveLength(2);
    }
  });

  test("split: each session's ratio carries the slow Worker's factor", async () => {
    const r = (await runBaseHead([row], sides(), { ...opts, design: "split" }, who)).rows[0]!;
    expect(r.design).toBe("split");
    for (let s = 0; s < 4; s++) {
      const idx = r.session.flatMap((x, i) => (x === s ? [i] : []));
      const ratio = r.base[idx[0]!]! / r.head[idx[0]!]!;
      const off = Math.abs(Math.log(ratio / 0.8));
      expect(off).toBeCloseTo(Math.log(1.5), 9);
    }
    expect(r.interval!.sessionSdLog).toBeGreaterThan(0.3);
  });
});

const who = { baseRef: "main", baseCommit: "a".repeat(40), headCommit: "b".repeat(40) };

describe("compare:power --spread's per-session statistics", () => {
  test("swap sessions: mean log ratio of the units and the Worker factor; split: plain pairs", () => {
    // One swap session of 2 units (4 blocks); head 10% slower; Worker 1 is 1.5x slower.
    const order = [0, 1];
    const ns = (w: number, side: number) => (side === 1 ? 110 : 100) * (w === 1 ? 1.5 : 1);
    const values: [number[], number[]] = [[], []];
    for (let b = 0; b < 4; b++)
      for (const w of [0, 1]) values[w]!.push(ns(w, swapSideOf(w, b, order)));
    const [base, head] = swapBySide(values, order);
    const headWorker = [0, 1, 2, 3].map((b) => (swapSideOf(0, b, order) === 1 ? 0 : 1));
    const row = { id: "x", figureName: "t", figureUnit: "ns/op", higherIsBetter: false };
    const common = { row, interval: null, verdict: "not measured" as const, mode: "duet" as const };
    const [swap] = sessionStats({
      ...common,
      base,
      head,
      session: [0, 0, 0, 0],
      design: "swap",
      headWorker,
      steady: true,
      notes: [],
    });
    expect(swap!.meanLog).toBeCloseTo(Math.log(100 / 110), 12);
    // Worker 0 measuring head gives 110/100 against Worker 1's 150: half the log difference is the factor.
    expect(Math.abs(swap!.workerLog!)).toBeCloseTo(Math.log(1.5), 12);
    const [split] = sessionStats({
      ...common,
      base: [100, 100],
      head: [165, 165],
      session: [0, 0],
      design: "split",
      steady: true,
      notes: [],
    });
    expect(split!.meanLog).toBeCloseTo(Math.log(100 / 165), 12);
    expect(split!.workerLog).toBeUndefined();
  });
});
