/**
 * The bench's comparisons go through the measurement core
 * (bench/compare.ts): with synthetic contenders whose trial figures are known
 * (no timing), the row is the paired geometric-mean ratio with its 95%
 * bootstrap interval, oriented so > 1 is better for both higher- and
 * lower-is-better figures, survives machine drift shared by the two sides of
 * a block, carries the mode, seed and warm-up state, decides a ratio target
 * on the interval, refuses a comparison whose trial failed, and prints as
 * "estimate (lo-hi) 95% CI" in the bench table.
 */
import { describe, expect, test } from "bun:test";
import { compareRow } from "../bench/compare.ts";
import { formatTable } from "../bench/main.ts";

/** A contender whose block-b trial is base * drift(b) (shared) * its own +-2% noise. */
function synthetic(name: string, base: number) {
  return {
    name,
    warmupChunk: () => 1000, // flat: the checked warm-up ends after its window
    trial: (b: number) =>
      base * (1 + 0.5 * Math.sin(b)) * (1 + 0.02 * (((b + name.charCodeAt(0)) % 3) - 1)),
  };
}

describe("bench comparisons (measurement core)", () => {
  test("events/s: contender 2x baseline under shared drift gives 2x with a narrow interval", async () => {
    const row = await compareRow(
      {
        group: "g",
        contender: synthetic("fast", 2e6),
        baseline: synthetic("base", 1e6),
        higherIsBetter: true,
        minRatio: 1.5,
      },
      { quick: true, seed: 3 },
    );
    expect(row.name).toBe("fast / base");
    expect(row.interval!.estimate).toBeCloseTo(2, 1);
    expect(row.interval!.lo).toBeLessThan(row.interval!.hi);
    expect(row.interval!.lo).toBeGreaterThan(1.9);
    expect(row.interval!.hi).toBeLessThan(2.1);
    expect(row.params).toMatchObject({
      mode: "interleaved",
      seed: 3,
      steady: true,
      verdict: "holds",
      blocks: 6,
    });
    expect(row.repeats).toBe(6);
  });

  test("ns/op: a contender at half the baseline's ns/op is a 2x speedup; a claim can fail", async () => {
    const row = await compareRow(
      {
        group: "g",
        name: "pool / naive",
        contender: synthetic("pool", 25),
        baseline: synthetic("naive", 50),
        higherIsBetter: false,
        minRatio: 3,
      },
      { quick: true, seed: 3 },
    );
    expect([row.name, row.metric]).toEqual(["pool / naive", "speedup"]);
    expect(row.interval!.estimate).toBeCloseTo(2, 1);
    expect(row.params.verdict).toBe("fails");
  });

  test("a failed trial is an error naming the comparison, not a figure", async () => {
    const broken = { ...synthetic("broken", 1), trial: () => Promise.reject(new Error("lost 3")) };
    await expect(
      compareRow(
        { group: "g", contender: broken, baseline: synthetic("base", 1), higherIsBetter: true },
        { quick: true, seed: 1 },
      ),
    ).rejects.toThrow(/broken \/ base: a trial failed: lost 3/);
  });

  test("the table prints a comparison as estimate, interval and pairs", async () => {
    const row = await compareRow(
      {
        group: "g",
        contender: synthetic("fast", 2e6),
        baseline: synthetic("base", 1e6),
        higherIsBetter: true,
      },
      { quick: true, seed: 3 },
    );
    const line = formatTable([row]).split("\n")[2]!;
    expect(line).toMatch(
      /fast \/ base\s+ratio\s+(1\.9\d|2\.0\d)\s+\((1\.9\d|2\.0\d)-(1\.9\d|2\.0\d)\) 95% CI\s+6$/,
    );
  });
});
