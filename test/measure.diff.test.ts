/**
 * `experiments diff` (experiments/measure/diff*.ts) on small committed
 * fixtures in test/fixtures/diff/: A and B hold the same alloc grid where B
 * made naive/32 B 2x slower and array-pool/32 B 30% faster (5% noise each);
 * the metric compared is the one each experiment declares as its headline
 * (the registry's definitions), and an experiment defined here with its own
 * headline is compared on that column without diff knowing it;
 * those two points are marked beyond the noise in the right direction, the
 * unchanged points are not, a point only in B and an experiment only in A are
 * listed; a point with fewer than 3 values gets no interval; a custom
 * experiment is skipped, with the reason, until --metric names its column; bad input exits 2 with one line naming it. The
 * independent-sample interval itself is checked on synthetic data.
 */
import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import { z } from "zod";
import { runDiffCli } from "../experiments/measure/diff-cli.ts";
import {
  DiffInputError,
  diffDirs,
  dirDiffMarkdown,
  parseMetric,
} from "../experiments/measure/diff-dir.ts";
import { independentRatioInterval } from "../experiments/measure/estimate.ts";
import { experiments } from "../experiments/registry.ts";
import { defineExperiment, headlineMetrics } from "../experiments/runner/types.ts";

const headlines = headlineMetrics(experiments);

const dirA = join(import.meta.dir, "fixtures", "diff", "a");
const dirB = join(import.meta.dir, "fixtures", "diff", "b");

describe("experiments diff", () => {
  const d = diffDirs(dirA, dirB, { threshold: 0.05, seed: 1, headlines });
  const alloc = d.experiments.find((e) => e.experiment === "alloc")!;
  const at = (allocator: string, recordBytes: number) =>
    alloc.points.find(
      (p) => p.params.allocator === allocator && p.params.recordBytes === recordBytes,
    )!;

  test("parameters are the columns before repeat; default metric per experiment", () => {
    expect(alloc.params).toEqual(["allocator", "recordBytes"]);
    expect(alloc.metric).toEqual({ column: "nsPerOp", higherIsBetter: false });
  });

  test("changes beyond the noise are marked in the right direction, the rest not", () => {
    expect(at("naive", 32).verdict).toBe("regression");
    expect(at("naive", 32).interval!.estimate).toBeCloseTo(0.5, 1);
    expect(at("array-pool", 32).verdict).toBe("improvement");
    expect(at("naive", 64).verdict).toBe("no change established");
    expect(at("array-pool", 64).verdict).toBe("no change established");
    const i = at("naive", 64).interval!;
    expect(i.lo).toBeLessThan(1);
    expect(i.hi).toBeGreaterThan(1);
  });

  test("points and experiments on one side only are listed", () => {
    expect(at("slab", 32).verdict).toBe("only in B");
    expect(d.onlyInA).toEqual(["wakeup"]);
    expect(d.experiments.map((e) => e.experiment)).toEqual(["alloc"]);
    expect(d.skipped).toEqual([
      "custom (declares no headline metric; pass --metric COLUMN:higher|lower)",
    ]);
  });

  test("the Markdown shows each point's interval and marks", () => {
    const md = dirDiffMarkdown(d);
    expect(md).toContain("### alloc: nsPerOp (lower is better)");
    expect(md).toContain("5 points, 2 changed beyond the noise.");
    expect(md).toMatch(
      /\| naive \| 32 \| [\d.]+ \| [\d.]+ \| 0\.\d{3} \(0\.\d{3}–0\.\d{3}\) \| \*\*worse \(beyond noise\)\*\* \|/,
    );
    expect(md).toContain("**better (beyond noise)**");
    expect(md).toContain("Only in A: wakeup.");
  });

  test("a new experiment's declared headline metric is picked up", () => {
    const custom = defineExperiment({
      name: "custom",
      description: "fixture experiment with a declared headline",
      module: import.meta.url,
      params: { x: z.number() },
      measured: { score: z.number() },
      grids: { quick: { x: [1] }, full: { x: [1] } },
      isolation: "inline",
      headline: { metrics: [{ column: "score", higherIsBetter: true }] },
      run: async () => ({ score: 1 }),
    });
    const c = diffDirs(dirA, dirB, {
      threshold: 0.05,
      seed: 1,
      headlines: { ...headlines, ...headlineMetrics([custom]) },
    });
    const e = c.experiments.find((x) => x.experiment === "custom")!;
    expect(e.metric).toEqual({ column: "score", higherIsBetter: true });
    expect(c.skipped).toEqual([]);
    expect(dirDiffMarkdown(c)).toContain("### custom: score (higher is better)");
  });

  test("a headline naming a column the experiment does not measure is refused", () => {
    expect(() =>
      defineExperiment({
        name: "custom",
        description: "bad headline",
        module: import.meta.url,
        params: { x: z.number() },
        measured: { score: z.number() },
        grids: { quick: { x: [1] }, full: { x: [1] } },
        isolation: "inline",
        headline: { metrics: [{ column: "nope", higherIsBetter: true }] },
        run: async () => ({ score: 1 }),
      }),
    ).toThrow(/headline metric "nope" is not a measured column/);
  });

  test("a custom experiment with too few values gets no interval", () => {
    const c = diffDirs(dirA, dirB, {
      threshold: 0.05,
      seed: 1,
      metric: parseMetric("score:higher"),
    });
    expect(c.skipped).toEqual(['alloc (no column "score" in both)']);
    const custom = c.experiments.find((e) => e.experiment === "custom")!;
    expect(custom.points[0]!.verdict).toBe("too few values");
    expect(custom.points[0]!.interval).toBeNull();
  });

  test("bad input is refused with a message naming it; the CLI exits 2", () => {
    expect(() => parseMetric("score")).toThrow(/COLUMN:higher/);
    expect(() => diffDirs(dirA, "/no/such/dir", { threshold: 0.05, seed: 1 })).toThrow(
      DiffInputError,
    );
    expect(runDiffCli([dirA])).toBe(2);
    expect(runDiffCli([dirA, dirB, "--threshold", "2"])).toBe(2);
    expect(runDiffCli([dirA, dirB, "--bogus"])).toBe(2);
    expect(runDiffCli([dirA, dirB], headlines)).toBe(0);
    expect(runDiffCli(["--help"])).toBe(0);
  });
});

describe("independentRatioInterval", () => {
  test("oriented so > 1 means B better; needs 3 values a side", () => {
    const fast = [10, 11, 9, 10, 10];
    const slow = [20, 22, 18, 20, 21];
    expect(independentRatioInterval(fast, slow, false).estimate).toBeCloseTo(0.5, 2);
    expect(independentRatioInterval(fast, slow, true).estimate).toBeCloseTo(2, 2);
    expect(() => independentRatioInterval([1, 2], slow, true)).toThrow(/run A has 2 values/);
  });
});
