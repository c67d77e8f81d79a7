/**
 * The verdict logic of `bun run compare`, pure so it is tested on synthetic
 * inputs (test/compare.test.ts): per implementation row, the figure per
 * repetition, its ratio to the baseline row of the same repetition (measured
 * side by side), median with min-max, invariant status, and the threshold
 * check. Ratios are always "times better than the baseline" (higher is
 * better), whatever the direction of the figure, so every threshold reads
 * `ratio >= minRatio`.
 */

import { type ClaimVerdict, decideClaim } from "../measure/decide.ts";
import { MIN_PAIRS, type RatioInterval } from "../measure/estimate.ts";
import { sessionRatioInterval } from "../measure/sessions.ts";
import { fmt, fmtRatio, fmtSpread, markdownTable } from "../report/format.ts";
import { type Spread, spread } from "../report/stats.ts";

export type Contract = "allocator" | "queue";

export interface InvariantResult {
  name: string;
  ok: boolean;
  /** What broke, with the counts; "" when ok. */
  detail: string;
}

/** One implementation in one setting, measured over repetitions. */
export interface CompareRow {
  contract: Contract;
  /** Stable id, the key of thresholds: "array-pool", "spsc p=1", "fan-in p=4". */
  id: string;
  implementation: string;
  /** Human-readable setting, e.g. "1 producer". */
  setting: string;
  figureName: string;
  figureUnit: string;
  higherIsBetter: boolean;
  /** Figure per repetition (index = repetition); NaN where that repetition failed. */
  values: number[];
  invariants: InvariantResult[];
  /** Id of the row this one is compared with (null for a baseline row itself). */
  baselineId: string | null;
  /**
   * Ratios to the baseline measured directly, per session (duet rows): used
   * instead of pairing values by repetition. values then hold one figure per session.
   */
  sessionRatios?: number[][];
  /** Sentences printed under the contract's table, e.g. a queue row against a long run. */
  notes?: string[];
}

export interface RowVerdict {
  row: CompareRow;
  figure: Spread | null;
  /** Geometric mean of the per-repetition ratios with its 95% bootstrap interval. */
  ratio: RatioInterval | null;
  minRatio: number | null;
  /** decideClaim(ratio, minRatio): only "holds" passes. */
  claim: ClaimVerdict | null;
  invariantsOk: boolean;
  /** The claim "ratio >= minRatio" does not hold on the interval. */
  regression: boolean;
  problems: string[];
}

/** Ratios per repetition where both sides measured a finite, positive figure. */
export function ratiosPerRepeat(row: CompareRow, baseline: CompareRow): number[] {
  const out: number[] = [];
  const n = Math.min(row.values.length, baseline.values.length);
  for (let i = 0; i < n; i++) {
    const v = row.values[i]!;
    const b = baseline.values[i]!;
    if (!(v > 0 && b > 0 && Number.isFinite(v) && Number.isFinite(b))) continue;
    out.push(row.higherIsBetter ? v / b : b / v);
  }
  return out;
}

function finite(values: number[]): number[] {
  return values.filter((v) => Number.isFinite(v));
}

/** Evaluates every row against its baseline and the thresholds (keyed by row id). */
export function evaluate(
  rows: readonly CompareRow[],
  thresholds: Readonly<Record<string, number>>,
): RowVerdict[] {
  const byId = new Map(rows.map((r) => [r.id, r]));
  const verdicts = rows.map((row): RowVerdict => {
    const problems: string[] = [];
    const broken = row.invariants.filter((i) => !i.ok);
    for (const b of broken) problems.push(`invariant ${b.name} broken: ${b.detail}`);
    const measured = finite(row.values);
    if (measured.length < row.values.length)
      problems.push(
        `${row.values.length - measured.length} of ${row.values.length} repetitions produced no figure`,
      );
    const figure = measured.length ? spread(measured) : null;
    let ratio: RatioInterval | null = null;
    if (row.baselineId !== null) {
      const base = byId.get(row.baselineId);
      if (!base) problems.push(`baseline row "${row.baselineId}" missing`);
      else {
        // Every repetition is a session of its own (fresh Workers: a queue run
        // starts its own, an allocator repetition runs in a fresh Worker), so
        // the repetitions are the unit the interval resamples; the expanded
        // percentile keeps it honest with as few as 5 of them.
        const sessions = row.sessionRatios ?? ratiosPerRepeat(row, base).map((r) => [r]);
        const measured = sessions.filter((x) => x.length > 0).length;
        ratio = measured >= MIN_PAIRS ? sessionRatioInterval(sessions) : null;
      }
    }
    const minRatio = thresholds[row.id] ?? null;
    let regression = false;
    let claim: ClaimVerdict | null = null;
    if (minRatio !== null) {
      if (ratio === null) {
        regression = true;
        problems.push(
          `threshold ${fmtRatio(minRatio)} set but fewer than ${MIN_PAIRS} paired repetitions measured a ratio`,
        );
      } else {
        claim = decideClaim(ratio, minRatio);
        if (claim !== "holds") {
          regression = true;
          problems.push(
            claim === "fails"
              ? `regression: ratio interval ${fmtInterval(ratio)} wholly below threshold ${fmtRatio(minRatio)}`
              : `not established: ratio interval ${fmtInterval(ratio)} reaches below threshold ${fmtRatio(minRatio)}`,
          );
        }
      }
    }
    return {
      row,
      figure,
      ratio,
      minRatio,
      claim,
      invariantsOk: broken.length === 0,
      regression,
      problems,
    };
  });
  return verdicts;
}

/** Threshold keys that name no row: a stale config must not pass silently. */
export function unknownThresholds(
  rows: readonly CompareRow[],
  thresholds: Readonly<Record<string, number>>,
): string[] {
  const ids = new Set(rows.map((r) => r.id));
  return Object.keys(thresholds).filter((k) => !ids.has(k));
}

/** True when the run must fail: any broken invariant, missing figure, regression or stale threshold. */
export function failed(
  verdicts: readonly RowVerdict[],
  staleThresholds: readonly string[] = [],
): boolean {
  return staleThresholds.length > 0 || verdicts.some((v) => v.problems.length > 0);
}

function invariantCell(v: RowVerdict): string {
  const broken = v.row.invariants.filter((i) => !i.ok);
  if (broken.length === 0) return `ok (${v.row.invariants.map((i) => i.name).join(", ")})`;
  return `**BROKEN**: ${broken.map((b) => `${b.name}: ${b.detail}`).join("; ")}`;
}

function ratioCell(v: RowVerdict): string {
  if (v.row.baselineId === null) return "baseline";
  if (!v.ratio) return "—";
  return fmtInterval(v.ratio);
}

/** "1.52x (1.21x–1.90x)": estimate with its 95% interval. */
function fmtInterval(i: RatioInterval): string {
  return `${fmtRatio(i.estimate)} (${fmtRatio(i.lo)}–${fmtRatio(i.hi)})`;
}

function thresholdCell(v: RowVerdict): string {
  if (v.minRatio === null) return "—";
  return `≥ ${fmtRatio(v.minRatio)}${v.regression ? " **REGRESSION**" : " ok"}`;
}

/** The Markdown table of one contract's verdicts. */
export function markdownForContract(
  contract: Contract,
  verdicts: readonly RowVerdict[],
  baselineName: string,
): string {
  const mine = verdicts.filter((v) => v.row.contract === contract);
  if (mine.length === 0) return "";
  const first = mine[0]!.row;
  const better = first.higherIsBetter ? "higher" : "lower";
  const header = [
    "implementation",
    "setting",
    `${first.figureName} (${first.figureUnit}): median (min–max)`,
    `ratio vs ${baselineName}, 95% CI (higher is better)`,
    "threshold",
    "invariants",
  ];
  const rows = mine.map((v) => [
    v.row.implementation,
    v.row.setting,
    v.figure ? fmtSpread(v.figure) : "—",
    ratioCell(v),
    thresholdCell(v),
    invariantCell(v),
  ]);
  const n = Math.max(...mine.map((v) => v.row.values.length));
  return [
    `### ${contract === "allocator" ? "Allocators" : "Queues"}`,
    "",
    mine.some((v) => v.row.sessionRatios)
      ? `${n} duet sessions per implementation against \`${baselineName}\` (each: fresh Workers for both, running at once, a few pairs started together; the first Worker's side alternated); ${first.figureName} ${better} is better, figures are per-session medians; ratios per pair, shown as their geometric mean with a 95% interval from a two-stage bootstrap (sessions, then pairs; expanded percentile); a threshold holds only when the interval's lower bound is at or above it.`
      : `${n} repetitions, each in fresh Workers (an independent session); ${first.figureName} ${better} is better; ratios computed per repetition against \`${baselineName}\` measured in the same repetition (repetitions in seeded balanced interleaved order), shown as their geometric mean with a 95% bootstrap interval over repetitions (expanded percentile); a threshold holds only when the interval's lower bound is at or above it.`,
    "",
    markdownTable(header, rows),
    "",
    ...notesOf(mine),
  ].join("\n");
}

/** The rows' notes as a list (with a trailing blank line), or nothing. */
function notesOf(verdicts: readonly RowVerdict[]): string[] {
  const notes = verdicts.flatMap((v) => (v.row.notes ?? []).map((n) => `- ${v.row.id}: ${n}`));
  return notes.length ? [...notes, ""] : [];
}

/** The whole summary: one table per contract, then every problem. */
export function markdownSummary(
  verdicts: readonly RowVerdict[],
  baselines: Readonly<Record<Contract, string>>,
  header: string,
  staleThresholds: readonly string[] = [],
): string {
  const parts = [`## eventlab compare`, "", header, ""];
  for (const c of ["allocator", "queue"] as const) {
    const md = markdownForContract(c, verdicts, baselines[c]);
    if (md) parts.push(md);
  }
  const problems = [
    ...verdicts.flatMap((v) => v.problems.map((p) => `${v.row.id}: ${p}`)),
    ...staleThresholds.map(
      (k) => `compare.config.json: threshold for "${k}" matches no measured row`,
    ),
  ];
  parts.push(
    problems.length
      ? `**FAILED**: ${problems.length} problem(s)\n\n${problems.map((p) => `- ${p}`).join("\n")}`
      : "**PASSED**: every invariant holds and every ratio interval lies at or above its threshold.",
  );
  return `${parts.join("\n")}\n`;
}

/** "12.3 ns/op" for log lines. */
export function describeFigure(row: CompareRow, value: number): string {
  return `${fmt(value)} ${row.figureUnit}`;
}
