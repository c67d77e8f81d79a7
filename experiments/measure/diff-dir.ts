/**
 * Reading two run directories for `experiments diff` (diff.ts does the
 * arithmetic) and writing the Markdown: one table per experiment present in
 * both, only the parameters that vary shown, points changed beyond the noise
 * marked, and a count of changed points per experiment.
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import Papa from "papaparse";
import {
  diffRows,
  type HeadlineMetrics,
  type Metric,
  type PointDiff,
  paramColumns,
  type Row,
} from "./diff.ts";

export class DiffInputError extends Error {
  override name = "DiffInputError";
}

export interface ExperimentDiff {
  experiment: string;
  metric: Metric;
  params: string[];
  points: PointDiff[];
}

export interface DirDiff {
  dirA: string;
  dirB: string;
  threshold: number;
  seed: number;
  experiments: ExperimentDiff[];
  /** Experiments in both that were not compared, each with the reason. */
  skipped: string[];
  /** Experiments with a CSV in only one directory. */
  onlyInA: string[];
  onlyInB: string[];
}

function experimentsIn(dir: string): string[] {
  if (!existsSync(dir) || !statSync(dir).isDirectory())
    throw new DiffInputError(`${dir}: not a directory`);
  return readdirSync(dir)
    .filter((f) => f.endsWith(".csv"))
    .map((f) => f.slice(0, -".csv".length))
    .sort();
}

function readCsv(path: string): { columns: string[]; rows: Row[] } {
  const parsed = Papa.parse<Row>(readFileSync(path, "utf8"), {
    header: true,
    dynamicTyping: true,
    skipEmptyLines: true,
  });
  if (parsed.errors.length > 0)
    throw new DiffInputError(`${path}: row ${parsed.errors[0]!.row}: ${parsed.errors[0]!.message}`);
  return { columns: parsed.meta.fields ?? [], rows: parsed.data };
}

/** "nsPerOp:lower" or "throughputEventsPerS:higher". */
export function parseMetric(spec: string): Metric {
  const m = /^([A-Za-z0-9_]+):(higher|lower)$/.exec(spec);
  if (!m) throw new DiffInputError(`--metric ${spec}: expected COLUMN:higher or COLUMN:lower`);
  return { column: m[1]!, higherIsBetter: m[2] === "higher" };
}

export function diffDirs(
  dirA: string,
  dirB: string,
  opts: { threshold: number; seed: number; metric?: Metric; headlines?: HeadlineMetrics },
): DirDiff {
  const ea = experimentsIn(dirA);
  const eb = experimentsIn(dirB);
  const both = ea.filter((e) => eb.includes(e));
  if (both.length === 0)
    throw new DiffInputError(`${dirA} and ${dirB} have no experiment CSV in common`);
  const experiments: ExperimentDiff[] = [];
  const skipped: string[] = [];
  for (const experiment of both) {
    const metrics = opts.metric ? [opts.metric] : (opts.headlines?.[experiment] ?? []);
    if (metrics.length === 0) {
      skipped.push(
        `${experiment} (declares no headline metric; pass --metric COLUMN:higher|lower)`,
      );
      continue;
    }
    const a = readCsv(join(dirA, `${experiment}.csv`));
    const b = readCsv(join(dirB, `${experiment}.csv`));
    let params: string[];
    try {
      params = paramColumns(a.columns);
    } catch (err) {
      throw new DiffInputError(`${join(dirA, `${experiment}.csv`)}: ${(err as Error).message}`);
    }
    for (const metric of metrics) {
      if (!a.columns.includes(metric.column) || !b.columns.includes(metric.column)) {
        skipped.push(`${experiment} (no column "${metric.column}" in both)`);
        continue;
      }
      experiments.push({
        experiment,
        metric,
        params,
        points: diffRows(a.rows, b.rows, params, metric, opts),
      });
    }
  }
  if (experiments.length === 0)
    throw new DiffInputError(
      `nothing to compare in ${dirA} and ${dirB}: skipped ${skipped.join("; ")}`,
    );
  return {
    dirA,
    dirB,
    threshold: opts.threshold,
    seed: opts.seed,
    experiments,
    skipped,
    onlyInA: ea.filter((e) => !eb.includes(e)),
    onlyInB: eb.filter((e) => !ea.includes(e)),
  };
}

function medianOf(xs: readonly number[]): number {
  const s = [...xs].sort((x, y) => x - y);
  const m = s.length >> 1;
  return s.length === 0 ? Number.NaN : s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

function fmt(v: number): string {
  if (!Number.isFinite(v)) return "—";
  return Math.abs(v) >= 1000 ? v.toPrecision(4).replace(/e\+?/, "e") : v.toPrecision(3);
}

function verdictCell(p: PointDiff): string {
  if (p.verdict === "regression") return "**worse (beyond noise)**";
  if (p.verdict === "improvement") return "**better (beyond noise)**";
  return p.verdict;
}

function experimentMarkdown(e: ExperimentDiff): string {
  const varying = e.params.filter(
    (k) => new Set(e.points.map((p) => JSON.stringify(p.params[k]))).size > 1,
  );
  const changed = e.points.filter((p) => p.verdict === "regression" || p.verdict === "improvement");
  const head = [...varying, "A median", "B median", "B/A (95% CI)", "verdict"];
  const body = e.points.map((p) => {
    const i = p.interval;
    return [
      ...varying.map((k) => String(p.params[k])),
      fmt(medianOf(p.a)),
      fmt(medianOf(p.b)),
      i ? `${i.estimate.toFixed(3)} (${i.lo.toFixed(3)}–${i.hi.toFixed(3)})` : "—",
      verdictCell(p),
    ];
  });
  return [
    `### ${e.experiment}: ${e.metric.column} (${e.metric.higherIsBetter ? "higher" : "lower"} is better)`,
    "",
    `${e.points.length} points, ${changed.length} changed beyond the noise.`,
    "",
    `| ${head.join(" | ")} |`,
    `| ${head.map(() => "---").join(" | ")} |`,
    ...body.map((r) => `| ${r.join(" | ")} |`),
    "",
  ].join("\n");
}

export function dirDiffMarkdown(d: DirDiff): string {
  const t = d.threshold;
  const parts = [
    `## experiments diff`,
    "",
    `A = ${d.dirA}, B = ${d.dirB}. Per point: B/A = median(B)/median(A) over the repetitions, oriented so > 1 means B is better, with a 95% bootstrap interval resampling each run on its own (seed ${d.seed}; the runs are independent, so nothing is paired). A point changed beyond the noise when its whole interval lies below ${(1 - t).toFixed(2)} or above ${(1 + t).toFixed(2)}.`,
    "",
    ...d.experiments.map(experimentMarkdown),
  ];
  if (d.skipped.length) parts.push(`Not compared: ${d.skipped.join("; ")}.`, "");
  if (d.onlyInA.length) parts.push(`Only in A: ${d.onlyInA.join(", ")}.`, "");
  if (d.onlyInB.length) parts.push(`Only in B: ${d.onlyInB.join(", ")}.`, "");
  return `${parts.join("\n")}\n`;
}
