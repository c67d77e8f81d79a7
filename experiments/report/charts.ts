/**
 * Vega-Lite spec builders for the few chart shapes the report uses. Each takes
 * points already summarised from the CSV rows (median with min and max over
 * repetitions) and returns a self-contained spec (data inline), so the
 * .vl.json files can be opened anywhere and rerendered without the CSV.
 *
 * Reading rules applied everywhere: log axes where values span decades,
 * implementation colors from colors.ts, units in axis titles, min-max error
 * bars from the repetitions.
 */
import type { TopLevelSpec } from "vega-lite";
import { implementationScale, WAIT_STRATEGY_DASHES } from "./colors.ts";
import { CHART_FONT_FAMILY } from "./font.ts";
import { spansDecades } from "./stats.ts";

export const VEGA_LITE_SCHEMA = "https://vega.github.io/schema/vega-lite/v6.json";

/** One summarised point: a series (implementation) at x, median and min-max over repetitions. */
export interface SummaryPoint {
  series: string;
  x: number | string;
  median: number;
  min: number;
  max: number;
  /** Small-multiple panel label, when the chart is faceted. */
  facet?: string;
  /** Wait strategy (drawn as a dash pattern), when it is a dimension. */
  dash?: string;
}

export interface ChartDef {
  /** File stem: reports/<experiment>/<name>.vl.json/.svg/.png */
  name: string;
  title: string;
  /** One or two sentences saying what to read off the chart. */
  caption: string;
  spec: TopLevelSpec;
}

const BASE_CONFIG = {
  font: CHART_FONT_FAMILY,
  axis: { labelFontSize: 11, titleFontSize: 12 },
  legend: { labelFontSize: 11, titleFontSize: 12, labelLimit: 260 },
  title: { fontSize: 14 },
} as const;

interface Axes {
  xTitle: string;
  yTitle: string;
  /** Force a log x axis (else chosen from the data when x is numeric). */
  xLog?: boolean;
  yLog?: boolean;
  seriesTitle?: string;
  facetTitle?: string;
  dashTitle?: string;
}

function logWanted(values: number[], forced: boolean | undefined): boolean {
  if (values.some((v) => v <= 0)) return false; // log of 0 is undefined: stay linear
  return forced ?? spansDecades(values);
}

/**
 * The x axis: log when positive values span decades; when they span decades
 * but include 0 (a live set of 0 events) the sweep values become evenly spaced
 * ordinal steps (a log axis cannot show 0, and symlog ticks read badly); else
 * linear.
 */
function xAxisFor(
  values: number[],
  forced: boolean | undefined,
  title: string,
): Record<string, unknown> {
  const base = { field: "x", title };
  const ordinal = { ...base, type: "ordinal", sort: "ascending", axis: { labelAngle: 0 } };
  if (values.some((v) => v < 0)) return { ...base, type: "quantitative", scale: { zero: false } };
  if (values.some((v) => v === 0) && forced !== false && (forced || spansDecades(values)))
    return ordinal;
  // A few small integers (producers 1..4, record sizes 32..256): steps, not a continuous axis
  // with ticks at 1.5 producers.
  if (
    forced !== true &&
    !spansDecades(values) &&
    new Set(values).size <= 8 &&
    values.every(Number.isInteger)
  )
    return ordinal;
  const log = forced ?? spansDecades(values);
  return { ...base, type: "quantitative", scale: log ? { type: "log" } : { zero: false } };
}

function colorEncoding(points: SummaryPoint[], title: string) {
  const scale = implementationScale([...new Set(points.map((p) => p.series))]);
  return { field: "series", type: "nominal" as const, title, scale };
}

function dashEncoding(points: SummaryPoint[], title: string) {
  const present = [...new Set(points.map((p) => p.dash ?? ""))];
  const domain = Object.keys(WAIT_STRATEGY_DASHES).filter((d) => present.includes(d));
  return {
    field: "dash",
    type: "nominal" as const,
    title,
    scale: { domain, range: domain.map((d) => WAIT_STRATEGY_DASHES[d]!) },
  };
}

/** Wraps a layered unit spec in a facet when points carry one. */
function maybeFacet(
  title: string,
  values: SummaryPoint[],
  unit: Record<string, unknown>,
  facetTitle: string | undefined,
  independentX = false,
): TopLevelSpec {
  const faceted = values.some((p) => p.facet !== undefined);
  const head = {
    $schema: VEGA_LITE_SCHEMA,
    title,
    background: "white",
    config: BASE_CONFIG,
    data: { values },
  };
  if (!faceted) return { ...head, ...unit } as unknown as TopLevelSpec;
  return {
    ...head,
    // Panels in first-seen order (the grid's order), not alphabetical ("256 B" before "32 B").
    facet: {
      field: "facet",
      type: "ordinal",
      title: facetTitle ?? "",
      sort: [...new Set(values.map((p) => p.facet))],
    },
    columns: new Set(values.map((p) => p.facet)).size === 4 ? 2 : 3,
    // Bars: each panel shows only its own categories (no empty slots for absent ones).
    resolve: {
      scale: independentX ? { x: "independent", y: "independent" } : { y: "independent" },
    },
    spec: unit,
  } as unknown as TopLevelSpec;
}

/** Median line with points and min-max error bars per series, x numeric. */
export function lineChart(title: string, points: SummaryPoint[], axes: Axes): TopLevelSpec {
  const xs = points.map((p) => Number(p.x));
  const ys = points.flatMap((p) => [p.min, p.max]);
  const yScale = logWanted(ys, axes.yLog) ? { type: "log" } : {};
  const color = colorEncoding(points, axes.seriesTitle ?? "implementation");
  const hasDash = points.some((p) => p.dash !== undefined);
  const detail = hasDash
    ? { strokeDash: dashEncoding(points, axes.dashTitle ?? "wait strategy") }
    : {};
  const x = xAxisFor(xs, axes.xLog, axes.xTitle);
  const unit = {
    width: 260,
    height: 180,
    layer: [
      {
        mark: { type: "rule", strokeWidth: 1.5 },
        encoding: {
          x,
          y: { field: "min", type: "quantitative", scale: yScale },
          y2: { field: "max" },
          color,
        },
      },
      {
        mark: { type: "line", point: true, strokeWidth: 1.5 },
        encoding: {
          x,
          y: { field: "median", type: "quantitative", title: axes.yTitle, scale: yScale },
          color,
          ...detail,
        },
      },
    ],
  };
  return maybeFacet(title, points, unit, axes.facetTitle);
}

/** Bars of the median with min-max error bars, one bar per series, grouped by x (categorical). */
export function barChart(title: string, points: SummaryPoint[], axes: Axes): TopLevelSpec {
  const ys = points.flatMap((p) => [p.min, p.max]);
  const yScale = logWanted(ys, axes.yLog) ? { type: "log" } : {};
  const color = colorEncoding(points, axes.seriesTitle ?? "implementation");
  // No stacking: a stacked bar starts at 0, which a log scale cannot place (the bars vanish).
  const y = {
    field: "median",
    type: "quantitative",
    title: axes.yTitle,
    scale: yScale,
    stack: null,
  };
  const x = {
    field: "x",
    type: "nominal",
    title: axes.xTitle,
    sort: null,
    axis: { labelAngle: 0 },
  };
  // Each layer names x and xOffset itself: inherited offsets put the error bars between the bars.
  const xOffset = {
    field: "series",
    type: "nominal",
    sort: color.scale.domain,
    scale: { domain: color.scale.domain },
  };
  const unit = {
    // With xOffset the step is one bar (vega-lite's default `for: "offset"`); a group of bars
    // gets at least ~90 px so its label fits even with a single series.
    width: { step: Math.max(14, Math.ceil(90 / color.scale.domain.length)) },
    height: 180,
    layer: [
      { mark: { type: "bar" }, encoding: { x, xOffset, y, color } },
      {
        mark: { type: "rule", color: "black", strokeWidth: 1.5 },
        encoding: {
          x,
          xOffset,
          y: { field: "min", type: "quantitative", scale: yScale },
          y2: { field: "max" },
        },
      },
    ],
  };
  return maybeFacet(title, points, unit, axes.facetTitle, true);
}

/** One latency/throughput point per series and config, with min-max bars in both directions. */
export function scatterChart(
  title: string,
  points: { series: string; x: SummaryPoint; y: SummaryPoint; label: string; shape?: string }[],
  axes: Axes & { shapeTitle?: string },
): TopLevelSpec {
  const values = points.map((p) => ({
    series: p.series,
    label: p.label,
    shape: p.shape ?? "",
    x: p.x.median,
    xMin: p.x.min,
    xMax: p.x.max,
    y: p.y.median,
    yMin: p.y.min,
    yMax: p.y.max,
  }));
  const xLog = logWanted(
    values.flatMap((v) => [v.xMin, v.xMax]),
    axes.xLog,
  );
  const yLog = logWanted(
    values.flatMap((v) => [v.yMin, v.yMax]),
    axes.yLog,
  );
  const xScale = xLog ? { type: "log" } : {};
  const yScale = yLog ? { type: "log" } : {};
  const color = colorEncoding(
    values as unknown as SummaryPoint[],
    axes.seriesTitle ?? "implementation",
  );
  const x = { field: "x", type: "quantitative", title: axes.xTitle, scale: xScale };
  const y = { field: "y", type: "quantitative", title: axes.yTitle, scale: yScale };
  return {
    $schema: VEGA_LITE_SCHEMA,
    title,
    background: "white",
    config: BASE_CONFIG,
    data: { values },
    width: 420,
    height: 280,
    layer: [
      {
        mark: { type: "rule", opacity: 0.6 },
        encoding: {
          x,
          y: { field: "yMin", type: "quantitative", scale: yScale },
          y2: { field: "yMax" },
          color,
        },
      },
      {
        mark: { type: "rule", opacity: 0.6 },
        encoding: {
          y,
          x: { field: "xMin", type: "quantitative", scale: xScale },
          x2: { field: "xMax" },
          color,
        },
      },
      {
        mark: { type: "point", filled: true, size: 60 },
        encoding: {
          x,
          y,
          color,
          // A second dimension (wait strategy) as the marker shape, when points carry one.
          ...(points.some((p) => p.shape !== undefined)
            ? { shape: { field: "shape", type: "nominal", title: axes.shapeTitle ?? "" } }
            : {}),
          tooltip: [{ field: "label" }],
        },
      },
    ],
  } as unknown as TopLevelSpec;
}
