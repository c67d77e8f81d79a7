/**
 * Summaries the report quotes: a figure is the median over repetitions with
 * its min and max (the spread), never a mean of means. Pure functions over
 * plain numbers so the report and its test agree on every figure.
 */

export interface Spread {
  median: number;
  min: number;
  max: number;
  /** How many values the summary covers (repetitions, or trials). */
  n: number;
}

/** Linear-interpolated quantile q in [0, 1] of already sorted values. */
export function quantileSorted(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) throw new Error("quantile of no values");
  if (q < 0 || q > 1) throw new Error(`quantile q=${q} outside [0, 1]`);
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  const a = sorted[lo]!;
  const b = sorted[hi]!;
  return a + (b - a) * (pos - lo);
}

export function sortedCopy(values: readonly number[]): number[] {
  return [...values].sort((a, b) => a - b);
}

export function median(values: readonly number[]): number {
  return quantileSorted(sortedCopy(values), 0.5);
}

export function mean(values: readonly number[]): number {
  if (values.length === 0) throw new Error("mean of no values");
  let sum = 0;
  for (const v of values) sum += v;
  return sum / values.length;
}

/** Median with min and max; throws on an empty list (an empty group is a bug upstream). */
export function spread(values: readonly number[]): Spread {
  const sorted = sortedCopy(values);
  return {
    median: quantileSorted(sorted, 0.5),
    min: sorted[0]!,
    max: sorted[sorted.length - 1]!,
    n: sorted.length,
  };
}

/** Groups rows by the values of `keys`, keeping first-seen order of groups. */
export function groupBy<R extends Record<string, unknown>>(
  rows: readonly R[],
  keys: readonly string[],
): { key: Record<string, unknown>; rows: R[] }[] {
  const groups = new Map<string, { key: Record<string, unknown>; rows: R[] }>();
  for (const row of rows) {
    const key: Record<string, unknown> = {};
    for (const k of keys) key[k] = row[k];
    const id = JSON.stringify(keys.map((k) => row[k]));
    let group = groups.get(id);
    if (!group) {
      group = { key, rows: [] };
      groups.set(id, group);
    }
    group.rows.push(row);
  }
  return [...groups.values()];
}

/** A column's numbers; throws naming the column when a row holds a non-number there. */
export function column(rows: readonly Record<string, unknown>[], name: string): number[] {
  return rows.map((r, i) => {
    const v = r[name];
    if (typeof v !== "number" || Number.isNaN(v))
      throw new Error(`column "${name}" row ${i}: expected a number, got ${JSON.stringify(v)}`);
    return v;
  });
}

/** Distinct values of a column in first-seen order. */
export function distinct<T = unknown>(rows: readonly Record<string, unknown>[], name: string): T[] {
  return [...new Set(rows.map((r) => r[name] as T))];
}

/** True when positive values span at least `decades` powers of ten (log axis wanted). */
export function spansDecades(values: readonly number[], decades = 1.5): boolean {
  const positive = values.filter((v) => v > 0);
  if (positive.length < 2) return false;
  return Math.log10(Math.max(...positive) / Math.min(...positive)) >= decades;
}
