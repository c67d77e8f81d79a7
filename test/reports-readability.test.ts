/**
 * The report reads well (issue 8): durations in tables and claim lines are in
 * the unit their magnitude wants (µs, ms, s; never "481M ns"), as the charts
 * are; every chart fits the HTML page (MAX_CHART_WIDTH_PX); no axis shows a
 * "NaN", "0k" or fixed-six-decimals tick; index.html opens with the same
 * "Claims at a glance" table as README.md; and the committed reports/ is what
 * `bun run reports` builds from the committed results/ (generated, never
 * hand-edited).
 * How: the report built from results/ into a temp dir with the library
 * (buildReports), its SVG text and Markdown read back; format helpers called
 * directly. No timing.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { experiments } from "../experiments/registry.ts";
import { buildReports } from "../experiments/report/build.ts";
import { MAX_CHART_WIDTH_PX } from "../experiments/report/charts.ts";
import { fmtNs, fmtNsSpread } from "../experiments/report/format.ts";

const ROOT = resolve(import.meta.dir, "..");
const BUILD_TIMEOUT_MS = 120_000;
let out = "";

beforeAll(async () => {
  out = mkdtempSync(join(tmpdir(), "eventlab-report-"));
  await buildReports({ resultsDir: join(ROOT, "results"), outDir: out, experiments });
}, BUILD_TIMEOUT_MS);
afterAll(() => rmSync(out, { recursive: true, force: true }));

function svgFiles(): string[] {
  return readdirSync(out, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .flatMap((d) =>
      readdirSync(join(out, d.name))
        .filter((f) => f.endsWith(".svg"))
        .map((f) => join(out, d.name, f)),
    );
}

describe("human units", () => {
  test("fmtNs picks the unit from the magnitude", () => {
    expect(fmtNs(850)).toBe("850 ns");
    expect(fmtNs(12_300)).toBe("12.3 µs");
    expect(fmtNs(481e6)).toBe("481 ms");
    expect(fmtNs(2.5e9)).toBe("2.5 s");
    expect(fmtNsSpread({ median: 481e6, min: 315e6, max: 539e6, n: 3 })).toBe("481 (315–539) ms");
  });

  test("no table or claim prints a large duration in ns", () => {
    for (const file of ["README.md", "index.html"]) {
      // Charts keep their own axis titles (e.g. "time per op (ns)" for 40-300 ns): only the text.
      const text = readFileSync(join(out, file), "utf8").replace(/<svg[\s\S]*?<\/svg>/g, "");
      const bigNs = text.match(/\d[kMG]\)? ns\b/g) ?? [];
      const nsHeaders = text
        .split("\n")
        .filter((l) => /^\| (claim|experiment|[a-z]+ \|)/.test(l) || l.includes("<th>"))
        .filter((l) => /\(ns\)/.test(l));
      expect({ file, bigNs, nsHeaders }).toEqual({ file, bigNs: [], nsHeaders: [] });
    }
  });
});

describe("charts", () => {
  test("every chart fits the page width", () => {
    const files = svgFiles();
    expect(files.length).toBeGreaterThan(10);
    for (const f of files) {
      const width = Number(/<svg[^>]*\swidth="([\d.]+)"/.exec(readFileSync(f, "utf8"))?.[1]);
      expect({ chart: f.slice(out.length + 1), fits: width <= MAX_CHART_WIDTH_PX }).toEqual({
        chart: f.slice(out.length + 1),
        fits: true,
      });
    }
  });

  test("tick labels are formatted for their scale: no NaN, 0k or six-decimal ticks", () => {
    for (const f of svgFiles()) {
      const labels = [...readFileSync(f, "utf8").matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map(
        (m) => m[1]!,
      );
      const bad = labels.filter((l) => /^(NaN|0k|-?\d+\.\d*0000\d*)$/.test(l.trim()));
      expect({ chart: f.slice(out.length + 1), bad }).toEqual({
        chart: f.slice(out.length + 1),
        bad: [],
      });
    }
  });
});

describe("pages", () => {
  test("index.html carries the Claims at a glance table with every claim of README.md", () => {
    const html = readFileSync(join(out, "index.html"), "utf8");
    const md = readFileSync(join(out, "README.md"), "utf8");
    expect(html).toContain("Claims at a glance");
    const glance = md.split("## Claims at a glance")[1]!.split("\n## ")[0]!;
    const rows = glance.split("\n").filter((l) => l.startsWith("| ") && !l.startsWith("| ---"));
    expect(rows.length).toBeGreaterThan(5);
    const glanceHtml = html.split("Claims at a glance")[1]!.split("<section")[0]!;
    for (const row of rows.slice(1)) {
      const claim = row.split(" | ")[1]!.replace(/'/g, "&#39;");
      expect(glanceHtml).toContain(claim.split("&")[0]!.slice(0, 40));
    }
  });

  test("the committed reports/ is what `bun run reports` builds from results/", () => {
    for (const file of ["README.md", "index.html"]) {
      const built = readFileSync(join(out, file), "utf8").replaceAll(
        join(ROOT, "results"),
        "results",
      );
      expect({ file, same: built === readFileSync(join(ROOT, "reports", file), "utf8") }).toEqual({
        file,
        same: true,
      });
    }
  });
});
