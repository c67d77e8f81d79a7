/**
 * Ratios the report quotes, from paired trials: the two sides of a ratio are
 * paired by repetition index (the same sweep of the grid measured both), and
 * the figure is experiments/measure's estimator (geometric mean of the
 * per-pair ratios with its seeded 95% percentile bootstrap). One source for
 * the statistics: this file only pairs and words them.
 */
import { MIN_PAIRS, pairedRatios, type RatioInterval, ratioInterval } from "../measure/estimate.ts";
import { fmtRatio } from "./format.ts";

/** A paired ratio's interval, or why there is none (fewer than MIN_PAIRS pairs). */
export type PairedRatio =
  | { interval: RatioInterval; pairs: number }
  | { interval: null; pairs: number };

/**
 * numerator/denominator per repetition present on both sides (a repetition
 * missing on one side is dropped, never paired with another), then the
 * interval. Both maps are keyed by repetition index.
 */
export function pairedRatioInterval(
  numerator: ReadonlyMap<number, number>,
  denominator: ReadonlyMap<number, number>,
): PairedRatio {
  const repeats = [...numerator.keys()].filter((r) => denominator.has(r)).sort((a, b) => a - b);
  const ratios = pairedRatios(
    repeats.map((r) => numerator.get(r)!),
    repeats.map((r) => denominator.get(r)!),
    true,
  );
  if (ratios.length < MIN_PAIRS) return { interval: null, pairs: ratios.length };
  return { interval: ratioInterval(ratios), pairs: ratios.length };
}

/** "1.23x (95% CI 1.1x–1.35x, 7 pairs)". */
export function fmtRatioInterval(i: RatioInterval): string {
  return `${fmtRatio(i.estimate)} (95% CI ${fmtRatio(i.lo)}–${fmtRatio(i.hi)}, ${i.n} pairs)`;
}

/** A paired ratio for a finding, or the reason it has no interval. */
export function fmtPairedRatio(p: PairedRatio): string {
  return p.interval
    ? fmtRatioInterval(p.interval)
    : `no interval (${p.pairs} paired repetition${p.pairs === 1 ? "" : "s"}, ${MIN_PAIRS} needed)`;
}

/** The report's one paragraph on how ratios are computed and in which mode they ran. */
export const RATIO_METHOD =
  "Ratios (the claims table and findings that state one) are paired by repetition: each repetition is one sweep of the experiment's grid, so the two sides of a ratio with the same repetition index ran in the same sweep, and each such pair gives one ratio. " +
  "A ratio is shown as the geometric mean of those per-pair ratios with its 95% percentile-bootstrap interval (2000 resamples, fixed seed, the estimator of experiments/measure); fewer than 3 pairs give no interval, and with as few as 3 to 5 pairs a percentile bootstrap is known to come out too narrow, so such intervals are optimistic. " +
  "Mode: sequential by repetition. Within a sweep the grid points run one after another in a fixed order, not interleaved and not as duets, so the two sides of a pair ran minutes apart and drift within a sweep is not cancelled; the interval reflects the spread across sweeps. " +
  "A ratio claim holds only when the whole interval lies at or above the claimed ratio (1 when the claim names none), fails when it lies wholly below, and is otherwise not established. Other figures are medians over repetitions with the min–max spread.";
