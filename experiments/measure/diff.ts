/**
 * `experiments diff DIR_A DIR_B`: two result directories compared point by
 * point, the way criterion baselines or pyperf compare_to do. A point is one
 * grid point (the CSV columns before "repeat", which are the experiment's
 * parameters); its figure is one metric column over the repetitions. B
 * relative to A is median(B)/median(A), oriented so > 1 means B is better,
 * with a 95% bootstrap interval resampling each run on its own (two runs
 * have nothing to pair), and decideChange marks the points whose whole
 * interval lies beyond the threshold: those changed beyond the noise.
 */
import { type ChangeVerdict, decideChange } from "./decide.ts";
import { independentRatioInterval, MIN_PAIRS, type RatioInterval } from "./estimate.ts";

/** The column every run CSV has right after the parameters. */
export const REPEAT_COLUMN = "repeat";

export interface Metric {
  column: string;
  higherIsBetter: boolean;
}

/**
 * Each experiment's headline metrics, by experiment name. The experiment
 * definitions declare them (Experiment.headline); the entry point passes them
 * in, since this library does not know the experiments.
 */
export type HeadlineMetrics = Readonly<Record<string, readonly Metric[]>>;

export type Row = Record<string, unknown>;

export interface PointDiff {
  /** Parameter values of the point, in column order. */
  params: Record<string, unknown>;
  a: number[];
  b: number[];
  interval: RatioInterval | null;
  verdict: ChangeVerdict | "only in A" | "only in B" | "too few values";
}

/** The parameter columns: every column before "repeat". */
export function paramColumns(columns: readonly string[]): string[] {
  const i = columns.indexOf(REPEAT_COLUMN);
  if (i < 0) throw new Error(`no "${REPEAT_COLUMN}" column: not a run CSV`);
  return columns.slice(0, i);
}

function group(rows: readonly Row[], params: readonly string[], metric: string) {
  const out = new Map<string, { params: Record<string, unknown>; values: number[] }>();
  for (const row of rows) {
    const p: Record<string, unknown> = {};
    for (const k of params) p[k] = row[k];
    const key = JSON.stringify(params.map((k) => row[k]));
    let g = out.get(key);
    if (!g) out.set(key, (g = { params: p, values: [] }));
    const v = Number(row[metric]);
    if (Number.isFinite(v) && v > 0) g.values.push(v);
  }
  return out;
}

/** Every point of A and B (A's order, then points only in B), with its ratio and verdict. */
export function diffRows(
  a: readonly Row[],
  b: readonly Row[],
  params: readonly string[],
  metric: Metric,
  opts: { threshold: number; seed: number },
): PointDiff[] {
  const ga = group(a, params, metric.column);
  const gb = group(b, params, metric.column);
  const out: PointDiff[] = [];
  for (const [key, pa] of ga) {
    const pb = gb.get(key);
    if (!pb) {
      out.push({ params: pa.params, a: pa.values, b: [], interval: null, verdict: "only in A" });
      continue;
    }
    if (pa.values.length < MIN_PAIRS || pb.values.length < MIN_PAIRS) {
      out.push({
        params: pa.params,
        a: pa.values,
        b: pb.values,
        interval: null,
        verdict: "too few values",
      });
      continue;
    }
    const interval = independentRatioInterval(pa.values, pb.values, metric.higherIsBetter, {
      seed: opts.seed,
    });
    out.push({
      params: pa.params,
      a: pa.values,
      b: pb.values,
      interval,
      verdict: decideChange(interval, opts.threshold),
    });
  }
  for (const [key, pb] of gb)
    if (!ga.has(key))
      out.push({ params: pb.params, a: [], b: pb.values, interval: null, verdict: "only in B" });
  return out;
}
