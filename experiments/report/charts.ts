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

/**
 * Named maximum on a chart's rendered width: the HTML page's content column
 * (html.ts: 1100 px wide, 1rem padding each side) less a margin. Faceted
 * charts choose their columns and panel sizes to stay within it.
 */
export const MAX_CHART_WIDTH_PX = 1040;
/** Room a chart needs beside its panels: the legend on the right. */
const LEGEND_WIDTH_PX = 200;
/** Per panel: its y axis (ticks and title) and the gap to the next panel. */
const PANEL_GUTTER_PX = 120;
/** The panel width line charts want when there is room. */
const LINE_PANEL_WIDTH_PX = 260;
/** Narrowest readable bar, and the width a bar gets when there is room. */
const MIN_BAR_STEP_PX = 8;
/** A group of bars takes its bars' steps plus vega-lite's band padding between groups (~25%). */
const GROUP_PADDING_FACTOR = 1.3;
const WANTED_GROUP_WIDTH_PX = 90;

/** Width budget of one panel when `columns` panels sit side by side. */
function panelBudgetPx(columns: number): number {
  return Math.floor((MAX_CHART_WIDTH_PX - LEGEND_WIDTH_PX) / columns) - PANEL_GUTTER_PX;
}

/**
 * An axis label format for the values it shows: SI suffixes (10k, 2M) for big
 * numbers, else the shortest exact form ("0", "0.25", "12"): never a fixed
 * six decimals (vega's default for a zero-width domain prints "0.000000").
 */
export function tickFormat(values: readonly number[]): string {
  const maxAbs = Math.max(0, ...values.map((v) => Math.abs(v)).filter(Number.isFinite));
  return maxAbs >= 1e4 ? "~s" : "~g";
}

/**
 * The axis properties that apply tickFormat. SI labels are formatted tick by
 * tick (a shared prefix would print "0k"), so 0 stays "0".
 */
export function axisLabels(values: readonly number[], log = false): Record<string, string> {
  const format = tickFormat(values);
  // A log axis keeps vega's own thinning of labels (1, 2, 5 per decade) and has no 0.
  if (format === "~g" || log) return { format };
  return { labelExpr: `datum.value == 0 ? '0' : format(datum.value, '${format}')` };
}

/**
 * Splits off facet panels whose every value is 0 (a zero-height scale draws
 * no ticks, only "NaN"): they are left out and named in the subtitle.
 */
function dropZeroPanels(
  title: string,
  points: SummaryPoint[],
): { title: string | { text: string; subtitle: string }; points: SummaryPoint[] } {
  const panels = [...new Set(points.map((p) => p.facet))];
  if (panels.length < 2 || panels[0] === undefined) return { title, points };
  const zero = panels.filter((f) =>
    points.filter((p) => p.facet === f).every((p) => p.min === 0 && p.max === 0),
  );
  if (zero.length === 0 || zero.length === panels.length) return { title, points };
  return {
    title: { text: title, subtitle: `0 in every run, not drawn: ${zero.join(", ")}` },
    points: points.filter((p) => !zero.includes(p.facet!)),
  };
}

const BASE_CONFIG = {
  font: CHART_FONT_FAMILY,
  axis: { labelFontSize: 11, titleFontSize: 12 },
  legend: { labelFontSize: 11, titleFontSize: 12, labelLimit: 170 },
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

/** Facet panels of the points (1 when not faceted). */
function panelCount(values: readonly SummaryPoint[]): number {
  return Math.max(1, new Set(values.map((p) => p.facet)).size);
}

/** Columns of a facet grid: at most 3, 2 for 4 panels (a 2x2 square). */
function facetColumns(values: readonly SummaryPoint[]): number {
  const n = panelCount(values);
  return n === 4 ? 2 : Math.min(3, n);
}

/** Wraps a layered unit spec in a facet when points carry one. */
function maybeFacet(
  title: string | { text: string; subtitle: string },
  values: SummaryPoint[],
  unit: Record<string, unknown>,
  facetTitle: string | undefined,
  independentX = false,
  columns = facetColumns(values),
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
    columns,
    // Bars: each panel shows only its own categories (no empty slots for absent ones).
    resolve: {
      scale: independentX ? { x: "independent", y: "independent" } : { y: "independent" },
    },
    spec: unit,
  } as unknown as TopLevelSpec;
}

/** Median line with points and min-max error bars per series, x numeric. */
export function lineChart(chartTitle: string, allPoints: SummaryPoint[], axes: Axes): TopLevelSpec {
  const { title, points } = dropZeroPanels(chartTitle, allPoints);
  const xs = points.map((p) => Number(p.x));
  const ys = points.flatMap((p) => [p.min, p.max]);
  const yScale = logWanted(ys, axes.yLog) ? { type: "log" } : {};
  const color = colorEncoding(points, axes.seriesTitle ?? "implementation");
  const hasDash = points.some((p) => p.dash !== undefined);
  const detail = hasDash
    ? { strokeDash: dashEncoding(points, axes.dashTitle ?? "wait strategy") }
    : {};
  const x = withTickFormat(xAxisFor(xs, axes.xLog, axes.xTitle), xs);
  const unit = {
    width: Math.min(LINE_PANEL_WIDTH_PX, panelBudgetPx(facetColumns(points))),
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
          y: {
            field: "median",
            type: "quantitative",
            title: axes.yTitle,
            scale: yScale,
            axis: axisLabels(ys, "type" in yScale),
          },
          color,
          ...detail,
        },
      },
    ],
  };
  return maybeFacet(title, points, unit, axes.facetTitle);
}

/** Bars of the median with min-max error bars, one bar per series, grouped by x (categorical). */
export function barChart(chartTitle: string, allPoints: SummaryPoint[], axes: Axes): TopLevelSpec {
  const { title, points } = dropZeroPanels(chartTitle, allPoints);
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
    axis: axisLabels(ys, "type" in yScale),
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
  const layout = barLayout(points, color.scale.domain.length);
  const unit = {
    // With xOffset the step is one bar (vega-lite's default `for: "offset"`).
    width: { step: layout.stepPx },
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
  return maybeFacet(title, points, unit, axes.facetTitle, true, layout.columns);
}

/**
 * Bar width and facet columns that fit MAX_CHART_WIDTH_PX: a group of bars
 * wants ~90 px so its label fits; with many groups the bars narrow (down to
 * MIN_BAR_STEP_PX), and when even that does not fit, fewer panels per row.
 */
function barLayout(points: readonly SummaryPoint[], seriesCount: number) {
  const groupsPerPanel = new Map<string, Set<string>>();
  for (const p of points) {
    const k = p.facet ?? "";
    const set = groupsPerPanel.get(k) ?? new Set<string>();
    set.add(String(p.x));
    groupsPerPanel.set(k, set);
  }
  const bars = Math.max(1, ...[...groupsPerPanel.values()].map((g) => g.size)) * seriesCount;
  const wantedStep = Math.max(14, Math.ceil(WANTED_GROUP_WIDTH_PX / seriesCount));
  for (let columns = facetColumns(points); columns >= 1; columns--) {
    const step = Math.min(
      wantedStep,
      Math.floor(panelBudgetPx(columns) / (bars * GROUP_PADDING_FACTOR)),
    );
    if (step >= MIN_BAR_STEP_PX || columns === 1)
      return { columns, stepPx: Math.max(MIN_BAR_STEP_PX, step) };
  }
  return { columns: 1, stepPx: MIN_BAR_STEP_PX };
}

/** A quantitative axis encoding with the tick format its values want. */
function withTickFormat(enc: Record<string, unknown>, values: readonly number[]) {
  const log = (enc.scale as { type?: string } | undefined)?.type === "log";
  return enc.type === "quantitative" ? { ...enc, axis: axisLabels(values, log) } : enc;
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
  const xFormat = axisLabels(
    values.flatMap((v) => [v.xMin, v.xMax]),
    xLog,
  );
  const yFormat = axisLabels(
    values.flatMap((v) => [v.yMin, v.yMax]),
    yLog,
  );
  const x = {
    field: "x",
    type: "quantitative",
    title: axes.xTitle,
    scale: xScale,
    axis: xFormat,
  };
  const y = {
    field: "y",
    type: "quantitative",
    title: axes.yTitle,
    scale: yScale,
    axis: yFormat,
  };
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
