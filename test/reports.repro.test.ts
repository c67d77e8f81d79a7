/**
 * The report's Reproducibility section (experiments/report/repro.ts) on small
 * fixtures written here: a tiny experiment with two ratio claims, one
 * tight (every repetition's ratio near 2x, so each half-width is well under
 * 10%) and one loose (ratios 1x-4x, half-width far over 10%). Checks: without
 * a repeat directory the section says it has not been run and how to run it;
 * with one, both runs' intervals are shown, overlap is decided, the loose
 * ratio is reported plainly as missing the target, and the headline metric's
 * point-by-point count comes from `experiments diff`. Also: buildReports puts
 * the section into README.md, index.html and reproducibility.md, and the
 * experiment's declared headline ratios choose which claims appear.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { z } from "zod";
import { buildReports } from "../experiments/report/build.ts";
import {
  HALF_WIDTH_TARGET,
  REPEAT_COMMAND,
  reproducibility,
  reproMarkdown,
  reproTables,
} from "../experiments/report/repro.ts";
import { defineExperiment } from "../experiments/runner/types.ts";

const ratioClaim = (id: string, num: string, den: string) => ({
  id,
  text: `${num} beats ${den}`,
  source: "fixture",
  measured: {
    kind: "ratio" as const,
    unit: "x",
    numerator: { column: "score", where: { impl: num } },
    denominator: { column: "score", where: { impl: den } },
  },
  interpretation: "above 1 the numerator wins",
});

const fixture = (headlineRatios?: string[]) =>
  defineExperiment({
    name: "fixture",
    description: "two ratio claims, one tight and one loose",
    module: import.meta.url,
    params: { impl: z.string() },
    measured: { score: z.number() },
    grids: { quick: { impl: ["a"] }, full: { impl: ["a"] } },
    isolation: "inline",
    claims: [ratioClaim("tight", "fast", "base"), ratioClaim("loose", "wild", "base")],
    headline: {
      metrics: [{ column: "score", higherIsBetter: true }],
      ...(headlineRatios ? { ratios: headlineRatios } : {}),
    },
    run: async () => ({ score: 1 }),
  });

/** 8 repetitions: base 100; fast 2x base (+-1%); wild swings 1x..4x. */
function writeRun(dir: string, shift: number): void {
  mkdirSync(dir, { recursive: true });
  const lines = ["impl,repeat,seed,score"];
  const wild = [100, 400, 120, 380, 150, 300, 110, 390];
  for (let r = 0; r < 8; r++) {
    lines.push(`base,${r},${r},100`);
    lines.push(`fast,${r},${r},${200 * (1 + shift) * (1 + ((r % 3) - 1) * 0.01)}`);
    lines.push(`wild,${r},${r},${wild[r]}`);
  }
  writeFileSync(join(dir, "fixture.csv"), `${lines.join("\n")}\n`);
}

let root: string;
beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), "eventlab-repro-test-"));
  writeRun(join(root, "results"), 0);
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe("reproducibility section", () => {
  test("without results/repeat it says the repeat has not been run and how to run it", () => {
    const r = reproducibility([fixture()], join(root, "results"));
    expect(r.status).toBe("not run");
    const md = reproMarkdown(r).join("\n");
    expect(md).toContain("has not been run");
    expect(md).toContain(REPEAT_COMMAND);
  });

  test("with a repeat: both intervals, overlap, half-widths, and a plain miss", () => {
    writeRun(join(root, "results", "repeat"), 0.01);
    const r = reproducibility([fixture()], join(root, "results"));
    if (r.status !== "ok") throw new Error("expected the repeat to be found");
    const tight = r.ratios.find((x) => x.claimId === "tight")!;
    const loose = r.ratios.find((x) => x.claimId === "loose")!;
    expect(tight.a!.estimate).toBeCloseTo(2, 1);
    expect(tight.b!.estimate).toBeCloseTo(2.02, 1);
    expect(tight.overlap).toBe(true);
    expect(tight.halfWidthA!).toBeLessThan(HALF_WIDTH_TARGET);
    expect(tight.halfWidthB!).toBeLessThan(HALF_WIDTH_TARGET);
    expect(loose.halfWidthA!).toBeGreaterThan(HALF_WIDTH_TARGET);
    const t = reproTables(r);
    const row = (id: string) => t.ratios!.rows.find((x) => x[1]!.startsWith(`${id}:`))!;
    expect(row("tight")[7]).toBe("yes");
    expect(row("loose")[7]).toMatch(/^\*\*no\*\* \(run 1, run 2 wider than 10%\)$/);
    expect(t.misses.join(" ")).toContain("fixture / loose does not meet the 10% half-width target");
    expect(t.misses.join(" ")).not.toContain("fixture / tight");
    // The point-by-point part is experiments diff on the declared headline metric: a 1% move is noise.
    expect(r.changed).toEqual([{ experiment: "fixture", column: "score", points: 3, changed: 0 }]);
  });

  test("intervals that do not overlap are said to", () => {
    const dir = join(root, "far");
    writeRun(join(dir), 0);
    writeRun(join(dir, "repeat"), 0.5);
    const r = reproducibility([fixture(["tight"])], dir);
    if (r.status !== "ok") throw new Error("expected the repeat to be found");
    expect(r.ratios.map((x) => x.claimId)).toEqual(["tight"]);
    expect(r.ratios[0]!.overlap).toBe(false);
    expect(reproTables(r).misses.join(" ")).toContain("intervals do not overlap");
    expect(r.changed[0]!.changed).toBe(1); // fast moved 1.5x: beyond the noise
  });

  test("buildReports writes the section into README.md, index.html and its own page", async () => {
    const out = join(root, "reports");
    await buildReports({
      resultsDir: join(root, "results"),
      outDir: out,
      experiments: [fixture()],
    });
    const readme = readFileSync(join(out, "README.md"), "utf8");
    expect(readme).toContain("## Reproducibility");
    expect(readme).toContain("[reproducibility](#reproducibility)");
    expect(readFileSync(join(out, "index.html"), "utf8")).toContain('id="reproducibility"');
    expect(readFileSync(join(out, "reproducibility.md"), "utf8")).toMatch(/^# Reproducibility/);
  });
});
