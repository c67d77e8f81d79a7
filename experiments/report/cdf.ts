/**
 * Empirical CDF charts from raw values (e.g. one value per trial): each
 * series a step line of the cumulative fraction of its values at or below x,
 * optionally in small multiples (facet rows and columns). Censored values
 * (a trial that hit a cap and has no true value) are left out of the drawn
 * points but kept in each series' count, so the line levels off below 1 by
 * the censored share instead of jumping to 1 at the cap.
 */
import type { TopLevelSpec } from "vega-lite";
import { VEGA_LITE_SCHEMA } from "./charts.ts";
import { CHART_FONT_FAMILY } from "./font.ts";

/** Named limit: points drawn per series (the CDF is thinned to this many ranks beyond it). */
export const MAX_CDF_POINTS = 250;

export interface CdfSeries {
  name: string;
  /** Uncensored values. */
  values: readonly number[];
  /** Values beyond the cap: counted in the denominator, not drawn. */
  censored: number;
  row?: string;
  column?: string;
}

export interface CdfPoint {
  series: string;
  x: number;
  p: number;
  row: string;
  column: string;
}

/**
 * The step points of one series: 0 at the smallest value (so the first step
 * shows, even for a series of one value), then the cumulative fraction after
 * each sorted value (over all values, censored included), thinned to
 * MAX_CDF_POINTS ranks evenly spread (always keeping the first and last) when longer.
 */
export function cdfPoints(s: CdfSeries): CdfPoint[] {
  const sorted = [...s.values].sort((a, b) => a - b);
  const total = sorted.length + s.censored;
  const m = sorted.length;
  const ranks =
    m <= MAX_CDF_POINTS
      ? sorted.map((_, i) => i)
      : [
          ...new Set(
            Array.from({ length: MAX_CDF_POINTS }, (_, j) =>
              Math.round((j * (m - 1)) / (MAX_CDF_POINTS - 1)),
            ),
          ),
        ];
  const at = (x: number, p: number): CdfPoint => ({
    series: s.name,
    x,
    p,
    row: s.row ?? "",
    column: s.column ?? "",
  });
  if (m === 0) return [];
  return [at(sorted[0]!, 0), ...ranks.map((i) => at(sorted[i]!, (i + 1) / total))];
}

export interface CdfAxes {
  xTitle: string;
  yTitle: string;
  xLog: boolean;
  /** x domain [min, max] (shared by every panel). */
  xDomain?: [number, number];
  seriesTitle: string;
  /** Series names in legend order, and their colors. */
  names: string[];
  colors: string[];
  rowTitle?: string;
  columnTitle?: string;
}

/** A (faceted when series carry row/column labels) step-line CDF chart. */
export function cdfFacetChart(title: string, series: CdfSeries[], axes: CdfAxes): TopLevelSpec {
  const values = series.flatMap(cdfPoints);
  const scale: Record<string, unknown> = axes.xLog ? { type: "log" } : { zero: true };
  if (axes.xDomain) Object.assign(scale, { domain: axes.xDomain, nice: false });
  const unit = {
    width: 300,
    height: 200,
    mark: { type: "line", interpolate: "step-after", strokeWidth: 1.6, clip: true },
    encoding: {
      x: { field: "x", type: "quantitative", title: axes.xTitle, scale },
      y: { field: "p", type: "quantitative", title: axes.yTitle, scale: { domain: [0, 1] } },
      color: {
        field: "series",
        type: "nominal",
        title: axes.seriesTitle,
        sort: axes.names,
        scale: { domain: axes.names, range: axes.colors },
      },
    },
  };
  const head = {
    $schema: VEGA_LITE_SCHEMA,
    title,
    background: "white",
    config: {
      font: CHART_FONT_FAMILY,
      axis: { labelFontSize: 11, titleFontSize: 12 },
      legend: { labelFontSize: 11, titleFontSize: 12, titleLimit: 200 },
      header: { labelFontSize: 12, titleFontSize: 12 },
      title: { fontSize: 14 },
    },
    data: { values },
  };
  const rows = [...new Set(values.map((v) => v.row))];
  const columns = [...new Set(values.map((v) => v.column))];
  if (rows.length <= 1 && columns.length <= 1)
    return { ...head, ...unit } as unknown as TopLevelSpec;
  const facet: Record<string, unknown> = {};
  if (rows.length > 1)
    facet.row = { field: "row", type: "nominal", title: axes.rowTitle ?? "", sort: rows };
  if (columns.length > 1)
    facet.column = {
      field: "column",
      type: "nominal",
      title: axes.columnTitle ?? "",
      sort: columns,
    };
  return { ...head, facet, spec: unit } as unknown as TopLevelSpec;
}
