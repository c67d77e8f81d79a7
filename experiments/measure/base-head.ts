/**
 * The core of `compare --base REF`: for every compare row, trials of the base
 * commit and of the head run interleaved (schedule.ts, seeded and balanced),
 * each side warmed up to a flat rate first; head/base is formed per block and
 * reported as a geometric mean with its 95% bootstrap interval; decideChange
 * turns the interval into regression / improvement / no change established.
 *
 * What a trial is (an allocator's ns/op from the base's code, a queue's
 * events/s) is the caller's: this module takes two functions per side and
 * knows nothing of allocators or queues, so it is tested on synthetic sides.
 */
import { loadavg } from "node:os";
import { type ChangeVerdict, decideChange } from "./decide.ts";
import { type DuetSide, runDuet } from "./duet.ts";
import { MIN_PAIRS, pairedRatios, type RatioInterval, ratioInterval } from "./estimate.ts";
import { allSteady, type MeasureMode, runInterleaved, type TrialsResult } from "./trials.ts";
import type { WarmupOptions } from "./warmup.ts";

export type Side = "base" | "head";
export const SIDES: readonly Side[] = ["base", "head"];

/** Default regression margin: head/base must lie wholly below 0.95 to be called a regression. */
export const DEFAULT_CHANGE_THRESHOLD = 0.05;

export interface BaseHeadRow {
  /** Stable id, the same as the compare row's ("spsc p=1"). */
  id: string;
  figureName: string;
  figureUnit: string;
  higherIsBetter: boolean;
}

export interface BaseHeadSides {
  /**
   * When it returns a pair for a row, that row runs as a duet (base and head
   * at once, duet.ts) instead of interleaved: for single-threaded rows.
   */
  duet?(row: BaseHeadRow): readonly [DuetSide, DuetSide] | null;
  /** One warm-up chunk of `row` on `side`; returns a rate, higher is faster. */
  warmupChunk(side: Side, row: BaseHeadRow): number | Promise<number>;
  /** One measured trial of `row` on `side`; returns the row's figure. */
  trial(side: Side, row: BaseHeadRow, block: number): number | Promise<number>;
}

export interface BaseHeadOptions {
  blocks: number;
  seed: number;
  /** Margin of decideChange (0.05 = 5%). */
  threshold: number;
  warmup?: WarmupOptions;
  log?: (line: string) => void;
}

export interface BaseHeadRowResult {
  row: BaseHeadRow;
  /** Figure per block, NaN where the trial threw. */
  base: number[];
  head: number[];
  /** head/base, > 1 means head is better; null when fewer than MIN_PAIRS blocks measured both. */
  interval: RatioInterval | null;
  verdict: ChangeVerdict | "not measured";
  mode: MeasureMode;
  /** Every warm-up of both sides reached a flat rate. */
  steady: boolean;
  /** Trial errors and other reasons the row is weaker than it looks. */
  notes: string[];
}

export interface BaseHeadReport {
  baseRef: string;
  baseCommit: string;
  headCommit: string;
  blocks: number;
  seed: number;
  threshold: number;
  /** 1-minute load average at the start and at the end of the run. */
  loadAvg1m: [number, number];
  seconds: number;
  rows: BaseHeadRowResult[];
}

export interface BaseHeadIdentity {
  baseRef: string;
  baseCommit: string;
  headCommit: string;
}

async function measureRow(
  row: BaseHeadRow,
  sides: BaseHeadSides,
  opts: BaseHeadOptions,
  rowIndex: number,
): Promise<BaseHeadRowResult> {
  // Each row has its own order; the seed of row i does not depend on which rows run.
  const seed = (opts.seed + Math.imul(rowIndex + 1, 0x9e3779b9)) >>> 0;
  const pair = sides.duet?.(row) ?? null;
  let r: TrialsResult;
  try {
    r = pair
      ? await runDuet(pair, { blocks: opts.blocks, seed, warmup: opts.warmup })
      : await runInterleaved(
          SIDES.map((side) => ({
            name: side,
            warmupChunk: () => sides.warmupChunk(side, row),
            trial: (b: number) => sides.trial(side, row, b),
          })),
          { blocks: opts.blocks, seed, warmup: opts.warmup },
        );
  } catch (err) {
    const empty = new Array<number>(opts.blocks).fill(Number.NaN);
    const mode = pair ? "duet" : "interleaved";
    const notes = [`${mode} run failed: ${(err as Error).message}`];
    return {
      row,
      base: empty,
      head: empty,
      interval: null,
      verdict: "not measured",
      mode,
      steady: false,
      notes,
    };
  }
  const [base, head] = r.values as [number[], number[]];
  const notes: string[] = [];
  for (const [s, errs] of r.errors.entries())
    for (const [b, e] of errs.entries()) if (e) notes.push(`${SIDES[s]} block ${b}: ${e}`);
  const steady = allSteady(r);
  if (!steady) notes.push("a warm-up did not reach a flat rate (see JSON: warm-up drift)");
  const ratios = pairedRatios(head, base, row.higherIsBetter);
  if (ratios.length < MIN_PAIRS) {
    notes.push(`only ${ratios.length} blocks measured both sides`);
    return {
      row,
      base,
      head,
      interval: null,
      verdict: "not measured",
      mode: r.mode,
      steady,
      notes,
    };
  }
  const interval = ratioInterval(ratios, { seed: opts.seed });
  const verdict = decideChange(interval, opts.threshold);
  return { row, base, head, interval, verdict, mode: r.mode, steady, notes };
}

/** Measures every row, base and head interleaved, and decides each on its interval. */
export async function runBaseHead(
  rows: readonly BaseHeadRow[],
  sides: BaseHeadSides,
  opts: BaseHeadOptions,
  who: BaseHeadIdentity,
): Promise<BaseHeadReport> {
  const started = Date.now();
  const loadStart = loadavg()[0]!;
  const out: BaseHeadRowResult[] = [];
  for (const [i, row] of rows.entries()) {
    const res = await measureRow(row, sides, opts, i);
    opts.log?.(
      `${row.id}: ${res.verdict}${res.interval ? ` (head/base ${res.interval.estimate.toFixed(3)}, 95% CI ${res.interval.lo.toFixed(3)}-${res.interval.hi.toFixed(3)})` : ""}`,
    );
    out.push(res);
  }
  return {
    ...who,
    blocks: opts.blocks,
    seed: opts.seed,
    threshold: opts.threshold,
    loadAvg1m: [loadStart, loadavg()[0]!],
    seconds: (Date.now() - started) / 1000,
    rows: out,
  };
}

/** True when the gate must fail: a row is a regression, or could not be measured. */
export function baseHeadFailed(r: BaseHeadReport): boolean {
  return r.rows.some((x) => x.verdict === "regression" || x.verdict === "not measured");
}
