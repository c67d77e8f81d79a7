/**
 * Evaluates a Claim (types.ts) against rows read back from CSV: per
 * repetition, the rows matching `where` are combined (median, sum, mean or
 * max; one repetition may hold many rows, e.g. one per trial);
 * a value claim is summarised as the median over repetitions with its min
 * and max; a ratio claim pairs numerator and denominator by repetition index
 * (the same sweep of the grid) and is the geometric mean of the per-pair
 * ratios with its 95% bootstrap interval (experiments/measure's estimator).
 */
import { MIN_PAIRS, pairedRatios, type RatioInterval, ratioInterval } from "../measure/estimate.ts";
import type { Claim, MeasureSpec } from "./types.ts";

export interface ClaimFinding {
  claimId: string;
  /** Median over repetitions; null when no repetition had rows on every side. */
  median: number | null;
  min: number | null;
  max: number | null;
  /** Repetitions that contributed (for a ratio: repetitions paired on both sides). */
  repetitions: number;
  unit: string;
  /** Ratio claims only: the paired interval; null for a value claim or fewer than MIN_PAIRS pairs. */
  interval: RatioInterval | null;
}

export function median(values: readonly number[]): number {
  if (values.length === 0) throw new RangeError("median of no values");
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

function matches(row: Record<string, unknown>, where: MeasureSpec["where"]): boolean {
  return Object.entries(where).every(([k, v]) => row[k] === v);
}

/** The measure's value for each repetition index that has matching rows. */
export function measurePerRepeat(
  rows: readonly Record<string, unknown>[],
  spec: MeasureSpec,
): Map<number, number> {
  const byRepeat = new Map<number, number[]>();
  for (const row of rows) {
    if (!matches(row, spec.where)) continue;
    const v = row[spec.column];
    if (typeof v !== "number")
      throw new TypeError(`claim column ${spec.column} is not numeric in a row`);
    const r = Number(row.repeat);
    const list = byRepeat.get(r) ?? [];
    list.push(v);
    byRepeat.set(r, list);
  }
  const out = new Map<number, number>();
  for (const [r, vs] of byRepeat) {
    const agg = spec.aggregate ?? "median";
    const sum = vs.reduce((a, b) => a + b, 0);
    const value =
      agg === "sum"
        ? sum
        : agg === "mean"
          ? sum / vs.length
          : agg === "max"
            ? vs.reduce((a, b) => Math.max(a, b), -Infinity)
            : median(vs);
    out.set(r, value);
  }
  return out;
}

export function evaluateClaim(
  claim: Claim,
  rows: readonly Record<string, unknown>[],
): ClaimFinding {
  const m = claim.measured;
  let values: number[];
  let interval: RatioInterval | null = null;
  if (m.kind === "value") values = [...measurePerRepeat(rows, m.measure).values()];
  else {
    const num = measurePerRepeat(rows, m.numerator);
    const den = measurePerRepeat(rows, m.denominator);
    const repeats = [...num.keys()].filter((r) => den.has(r)).sort((a, b) => a - b);
    values = pairedRatios(
      repeats.map((r) => num.get(r)!),
      repeats.map((r) => den.get(r)!),
      true,
    );
    if (values.length >= MIN_PAIRS) interval = ratioInterval(values);
  }
  return {
    claimId: claim.id,
    median: values.length ? median(values) : null,
    min: values.length ? Math.min(...values) : null,
    max: values.length ? Math.max(...values) : null,
    repetitions: values.length,
    unit: m.unit,
    interval,
  };
}
