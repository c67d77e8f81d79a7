/**
 * What the report shows per experiment: charts, summary tables, claims set
 * beside measured figures, and findings in words. Per-experiment builders
 * (experiments/<name>/section.ts, carried as Experiment.section) turn validated CSV rows into a SectionContent; the Markdown
 * and HTML writers only lay it out.
 */
import type { RunMeta } from "../runner/meta.ts";
import type { Experiment } from "../runner/types.ts";
import type { ChartDef, SummaryPoint } from "./charts.ts";
import type { ClaimResult } from "./claims.ts";
import { fmtNsSpread, fmtSpread } from "./format.ts";
import { groupBy, spread } from "./stats.ts";

export type Row = Record<string, unknown>;

export interface Table {
  caption: string;
  header: string[];
  rows: string[][];
}

export interface SectionContent {
  charts: ChartDef[];
  tables: Table[];
  claims: ClaimResult[];
  /** Plain sentences stating what the data shows (each computed from the rows). */
  findings: string[];
}

/** Builds the content of one experiment's section from its validated rows. */
export type SectionBuilder = (rows: Row[], exp: Experiment) => SectionContent;

export interface Section extends SectionContent {
  experiment: string;
  description: string;
  /** "ok", or "missing" when results/<experiment>.csv does not exist (skipped with a note). */
  status: "ok" | "missing";
  note: string;
  meta: RunMeta | null;
  rowCount: number;
}

/** A summary table's value column; unit "ns" shows each cell in its readable time unit. */
export interface ValueColumn {
  column: string;
  title: string;
  unit?: "ns";
}

/**
 * A summary table: one row per group of `groupCols`, each value column as
 * median (min-max) over the group's rows (the repetitions of one point).
 */
export function summaryTable(
  caption: string,
  rows: readonly Row[],
  groupCols: readonly string[],
  valueCols: readonly ValueColumn[],
): Table {
  const groups = groupBy(rows, groupCols);
  return {
    caption,
    header: [...groupCols, ...valueCols.map((v) => v.title), "n"],
    rows: groups.map((g) => [
      ...groupCols.map((c) => String(g.key[c])),
      ...valueCols.map((v) => {
        // Nullable columns (latency not recorded) leave an empty cell: "—".
        const values = g.rows
          .map((r) => r[v.column])
          .filter((x): x is number => typeof x === "number");
        if (!values.length) return "—";
        return v.unit === "ns" ? fmtNsSpread(spread(values)) : fmtSpread(spread(values));
      }),
      String(g.rows.length),
    ]),
  };
}

/** The params of `exp` that vary in `rows` (constant ones make poor table columns). */
export function varyingParams(rows: readonly Row[], exp: Experiment): string[] {
  return Object.keys(exp.paramsSchema.shape).filter(
    (k) => new Set(rows.map((r) => JSON.stringify(r[k]))).size > 1,
  );
}

/** The measured numeric columns of `exp`. */
export function measuredColumns(exp: Experiment): string[] {
  return Object.keys(exp.measuredSchema.shape);
}

/** Fallback for an experiment without a dedicated builder: one summary table of every measured column. */
export const genericSection: SectionBuilder = (rows, exp) => {
  const params = varyingParams(rows, exp);
  const numeric = measuredColumns(exp).filter((c) => rows.every((r) => typeof r[c] === "number"));
  return {
    charts: [],
    tables: [
      summaryTable(
        `${exp.name}: every measured column, median (min–max) over repetitions`,
        rows,
        params,
        numeric.map((c) => ({ column: c, title: c })),
      ),
    ],
    claims: [],
    findings: [],
  };
};

export interface PointsSpec {
  series: string;
  x: string;
  value: string;
  /** Divide every value by this (unit conversion, e.g. 1e6 for M events/s). */
  scale?: number;
  facet?: (row: Row) => string;
  dash?: string;
}

/** Summarises rows into chart points: one per (series, x, facet, dash), median and min-max of `value`. */
export function summaryPoints(rows: readonly Row[], spec: PointsSpec): SummaryPoint[] {
  const keyed = rows
    .filter((r) => typeof r[spec.value] === "number")
    .map((r) => ({ r, facet: spec.facet?.(r) }));
  const groups = new Map<string, { r: Row; facet: string | undefined; values: number[] }>();
  for (const { r, facet } of keyed) {
    const id = JSON.stringify([r[spec.series], r[spec.x], facet, spec.dash ? r[spec.dash] : null]);
    let g = groups.get(id);
    if (!g) groups.set(id, (g = { r, facet, values: [] }));
    g.values.push((r[spec.value] as number) / (spec.scale ?? 1));
  }
  return [...groups.values()].map((g) => {
    const s = spread(g.values);
    return {
      series: String(g.r[spec.series]),
      x: g.r[spec.x] as number | string,
      median: s.median,
      min: s.min,
      max: s.max,
      ...(g.facet !== undefined ? { facet: g.facet } : {}),
      ...(spec.dash ? { dash: String(g.r[spec.dash]) } : {}),
    };
  });
}

/** The most frequent value of each column: the base point of a sweep made of one-dimension slices. */
export function basePoint(rows: readonly Row[], columns: readonly string[]): Row {
  const out: Row = {};
  for (const c of columns) {
    const counts = new Map<string, { v: unknown; n: number }>();
    for (const r of rows) {
      const k = JSON.stringify(r[c]);
      const e = counts.get(k) ?? { v: r[c], n: 0 };
      e.n++;
      counts.set(k, e);
    }
    out[c] = [...counts.values()].sort((a, b) => b.n - a.n)[0]?.v;
  }
  return out;
}

/** Rows equal to `base` in every column except `free` ones. */
export function sliceRows(rows: readonly Row[], base: Row, free: readonly string[]): Row[] {
  const fixed = Object.keys(base).filter((k) => !free.includes(k));
  return rows.filter((r) => fixed.every((k) => r[k] === base[k]));
}

/** Drops facet panels (and unfaceted series) with fewer than two x values: a one-point line says nothing. */
export function dropThinPanels(points: SummaryPoint[]): SummaryPoint[] {
  const xsPerPanel = new Map<string, Set<string>>();
  for (const p of points) {
    const k = p.facet ?? "";
    const set = xsPerPanel.get(k) ?? new Set<string>();
    set.add(String(p.x));
    xsPerPanel.set(k, set);
  }
  return points.filter((p) => (xsPerPanel.get(p.facet ?? "")?.size ?? 0) >= 2);
}
