/**
 * Rebuilds a reports directory from a results directory alone: for every
 * registered experiment, reads and validates <results>/<name>.csv (a row that
 * fails the schema is an error naming file, row and column) and its
 * .meta.json, builds its section, writes each chart as .vl.json, .svg and
 * .png under <out>/<name>/, then README.md and index.html. Nothing is rerun.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseCsv } from "../runner/csv.ts";
import { type RunMeta, RunMetaSchema } from "../runner/meta.ts";
import type { Experiment } from "../runner/types.ts";
import { buildHtml } from "./html.ts";
import { buildMarkdown } from "./markdown.ts";
import { chartPaths, countSvgMarks, findFontDir, renderSvg, svgToPng } from "./render.ts";
import { reproducibility, reproHtml, reproMarkdown } from "./repro.ts";
import { genericSection, type Section, type SectionBuilder } from "./section.ts";

export interface BuildOptions {
  resultsDir: string;
  outDir: string;
  experiments: readonly Experiment[];
  log?: (line: string) => void;
}

export interface BuildSummary {
  sections: Section[];
  /** Paths of every file written, relative to outDir. */
  files: string[];
  charts: number;
  /** Results files that belong to no registered experiment (not reported). */
  unknownResults: string[];
}

/** <name>.meta.json validated with the runner's schema; an error names the file and field. */
function readMetaFile(path: string): RunMeta {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, "utf8"));
  } catch (err) {
    throw new Error(`${path}: ${(err as Error).message}`);
  }
  const parsed = RunMetaSchema.safeParse(json);
  if (!parsed.success) {
    const i = parsed.error.issues[0]!;
    throw new Error(`${path}: field ${i.path.map(String).join(".") || "(root)"}: ${i.message}`);
  }
  return parsed.data;
}

function loadSection(exp: Experiment, opts: BuildOptions): Section {
  const csv = join(opts.resultsDir, `${exp.name}.csv`);
  const base = { experiment: exp.name, description: exp.description };
  if (!existsSync(csv)) {
    return {
      ...base,
      status: "missing",
      note: `Skipped: ${csv} not found (run \`bun run experiments ${exp.name}\`).`,
      meta: null,
      rowCount: 0,
      charts: [],
      tables: [],
      claims: [],
      findings: [],
    };
  }
  // The experiment's own row schema: a bad cell is an error naming file, row and column.
  const rows = parseCsv(readFileSync(csv, "utf8"), exp.rowSchema, csv);
  const metaPath = join(opts.resultsDir, `${exp.name}.meta.json`);
  const meta = existsSync(metaPath) ? readMetaFile(metaPath) : null;
  const builder: SectionBuilder = exp.section ?? genericSection;
  const content = rows.length
    ? builder(rows, exp)
    : { charts: [], tables: [], claims: [], findings: [`${csv} has no rows.`] };
  return { ...base, ...content, status: "ok", note: "", meta, rowCount: rows.length };
}

/** Results CSVs in `dir` that no registered experiment claims. */
function unknownResults(dir: string, experiments: readonly Experiment[]): string[] {
  if (!existsSync(dir)) return [];
  const known = new Set(experiments.map((e) => `${e.name}.csv`));
  return readdirSync(dir).filter((f) => f.endsWith(".csv") && !known.has(f));
}

export async function buildReports(opts: BuildOptions): Promise<BuildSummary> {
  const log = opts.log ?? (() => {});
  if (!existsSync(opts.resultsDir))
    throw new Error(`results directory ${opts.resultsDir} not found (--results DIR)`);
  // Fail before any work when PNGs could not show text.
  const fontDir = findFontDir();
  const sections = opts.experiments.map((exp) => loadSection(exp, opts));
  mkdirSync(opts.outDir, { recursive: true });
  const files: string[] = [];
  const svgs = new Map<string, string>();
  for (const section of sections) {
    const dir = join(opts.outDir, section.experiment);
    rmSync(dir, { recursive: true, force: true }); // stale charts of an earlier build
    if (section.status === "missing") {
      log(`${section.experiment}: ${section.note}`);
      continue;
    }
    mkdirSync(dir, { recursive: true });
    for (const chart of section.charts) {
      const paths = chartPaths(dir, chart.name);
      const svg = await renderSvg(chart.spec);
      if (countSvgMarks(svg) === 0)
        throw new Error(`chart ${section.experiment}/${chart.name} rendered no marks`);
      writeFileSync(paths.spec, `${JSON.stringify(chart.spec, null, 2)}\n`);
      writeFileSync(paths.svg, svg);
      writeFileSync(paths.png, svgToPng(svg, fontDir));
      svgs.set(`${section.experiment}-${chart.name}`, svg);
      for (const ext of ["vl.json", "svg", "png"])
        files.push(`${section.experiment}/${chart.name}.${ext}`);
    }
    log(
      `${section.experiment}: ${section.rowCount} rows, ${section.charts.length} charts, ${section.claims.length} claims`,
    );
  }
  const repro = reproducibility(opts.experiments, opts.resultsDir);
  writeFileSync(
    join(opts.outDir, "README.md"),
    buildMarkdown(sections, opts.resultsDir, reproMarkdown(repro)),
  );
  writeFileSync(
    join(opts.outDir, "index.html"),
    buildHtml(sections, svgs, opts.resultsDir, reproHtml(repro)),
  );
  // Its own page too, so the two runs' comparison can be linked and read alone.
  writeFileSync(
    join(opts.outDir, "reproducibility.md"),
    `${reproMarkdown(repro, "#").join("\n").trimEnd()}\n`,
  );
  files.push("README.md", "index.html", "reproducibility.md");
  return {
    sections,
    files,
    charts: svgs.size,
    unknownResults: unknownResults(opts.resultsDir, opts.experiments),
  };
}
