/**
 * Headline repeats (Headline.repeats, experiments/runner/run.ts): in the full
 * profile, the grid points a headline ratio reads run more repetitions than
 * the rest, in extra rounds after the normal ones; the quick profile and an
 * explicit --repeat are unaffected. How: a tiny inline experiment run with
 * runPlan into a temp directory, its CSV rows counted per point and repeat.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Papa from "papaparse";
import { z } from "zod";
import { createProgress } from "../experiments/runner/progress.ts";
import { planExperiment, planUnits, runPlan } from "../experiments/runner/run.ts";
import { defineExperiment } from "../experiments/runner/types.ts";

const exp = defineExperiment({
  name: "headline-fixture",
  description: "four points, a ratio claim on two of them",
  module: import.meta.url,
  params: { impl: z.string() },
  measured: { score: z.number() },
  grids: { quick: { impl: ["a", "b", "c", "d"] }, full: { impl: ["a", "b", "c", "d"] } },
  isolation: "inline",
  repeats: { quick: 2, full: 3 },
  claims: [
    {
      id: "b-over-a",
      text: "b beats a",
      source: "fixture",
      measured: {
        kind: "ratio",
        unit: "x",
        numerator: { column: "score", where: { impl: "b" } },
        denominator: { column: "score", where: { impl: "a" } },
      },
      interpretation: "above 1 b wins",
    },
  ],
  headline: { metrics: [{ column: "score", higherIsBetter: true }], repeats: { full: 6 } },
  run: async (p) => ({ score: p.impl.charCodeAt(0) }),
});

const dir = mkdtempSync(join(tmpdir(), "eventlab-headline-repeats-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("headline repeats", () => {
  test("plans: full adds rounds of the ratio's points only; quick and --repeat do not", () => {
    const full = planExperiment(exp, { profile: "full", shard: null });
    expect(full.repeats).toBe(3);
    expect(full.headlineRepeats).toBe(6);
    expect(full.headlineIndices.map((i) => full.grid.points[i]!.impl)).toEqual(["a", "b"]);
    expect(planUnits(full)).toBe(4 * 3 + 2 * 3);
    const quick = planExperiment(exp, { profile: "quick", shard: null });
    expect([quick.headlineIndices.length, planUnits(quick)]).toEqual([0, 8]);
    const asked = planExperiment(exp, { profile: "full", shard: null, repeats: 2 });
    expect([asked.headlineIndices.length, planUnits(asked)]).toEqual([0, 8]);
  });

  test("a full run writes 6 repetitions of a and b, 3 of c and d, and says so in its meta", async () => {
    const plan = planExperiment(exp, { profile: "full", shard: null });
    const meta = await runPlan(plan, {
      profile: "full",
      seed: 1,
      outDir: dir,
      shard: null,
      signal: new AbortController().signal,
      progress: createProgress(planUnits(plan), { quiet: true }),
    });
    expect([meta.rows, meta.repeats, meta.headlineRepeats, meta.headlinePoints]).toEqual([
      18, 3, 6, 2,
    ]);
    const rows = Papa.parse<Record<string, string>>(
      readFileSync(join(dir, "headline-fixture.csv"), "utf8"),
      { header: true, skipEmptyLines: true },
    ).data;
    const repeatsOf = (impl: string) =>
      rows.filter((r) => r.impl === impl).map((r) => Number(r.repeat));
    expect(repeatsOf("a")).toEqual([0, 1, 2, 3, 4, 5]);
    expect(repeatsOf("b")).toEqual([0, 1, 2, 3, 4, 5]);
    expect(repeatsOf("c")).toEqual([0, 1, 2]);
    expect(repeatsOf("d")).toEqual([0, 1, 2]);
  });
});
