/**
 * The core of `compare --base REF`: for every compare row, trials of the base
 * commit and of the head, each side warmed up to a flat rate first; head/base
 * is formed per pair and reported as a geometric mean with its 95% interval;
 * decideChange turns the interval into regression / improvement / no change
 * established.
 *
 * The unit of replication is the session (sessions.ts), because trials that
 * share a Worker share its JIT state, heap layout and core: a duet row runs
 * `sessions` independent duets, each with fresh Workers and a few pairs, the
 * side in the first Worker alternating in a seeded balanced order; an
 * interleaved row (each trial starts fresh Workers) makes every pair a
 * session of its own. The interval resamples sessions, then pairs within.
 *
 * What a trial is (an allocator's ns/op from the base's code, a queue's
 * events/s) is the caller's: this module takes two functions per side and
 * knows nothing of allocators or queues, so it is tested on synthetic sides.
 */
import { loadavg } from "node:os";
import { type ChangeVerdict, decideChange } from "./decide.ts";
import { type DuetSide, runDuet } from "./duet.ts";
import { pairedRatios } from "./estimate.ts";
import { interleavedSchedule } from "./schedule.ts";
import { MIN_SESSIONS, type SessionInterval, sessionRatioInterval } from "./sessions.ts";
import { SWAP_UNIT_BLOCKS, swapBySide, swapSideOf, swapUnitOrder, swapUnitRatios } from "./swap.ts";
import { allSteady, type MeasureMode, runInterleaved, type TrialsResult } from "./trials.ts";
import type { WarmupOptions } from "./warmup.ts";

export type Side = "base" | "head";
export const SIDES: readonly Side[] = ["base", "head"];

/**
 * How a duet row's session uses its two Workers: "split", one side per Worker
 * for the whole session; "swap" (swap.ts), both sides in each Worker, traded
 * every block, so a per-Worker factor cancels inside each swap unit.
 */
export type DuetDesign = "split" | "swap";
export const DUET_DESIGNS: readonly DuetDesign[] = ["split", "swap"];

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
  /**
   * The swap design of a duet row: Worker `worker` (0 or 1) of a session that
   * runs both sides, side s in block b being swapSideOf(worker, b, unitFirst)
   * (0 = base, 1 = head). Rows it returns null for run split.
   */
  duetSwap?(row: BaseHeadRow, worker: 0 | 1, unitFirst: readonly number[]): DuetSide | null;
  /** One warm-up chunk of `row` on `side`; returns a rate, higher is faster. */
  warmupChunk(side: Side, row: BaseHeadRow): number | Promise<number>;
  /**
   * When set for a row, it runs instead of the warm-up, before the row's
   * first trial: the trials warm themselves (a lead-in inside each trial,
   * whose Workers are fresh), and this sizes them. Returns notes for the row.
   */
  prepare?(row: BaseHeadRow): Promise<string[]> | null;
  /** After the row's trials: notes that put its figures in context (e.g. against a long run). */
  afterRow?(row: BaseHeadRow, base: readonly number[], head: readonly number[]): Promise<string[]>;
  /** One measured trial of `row` on `side`; returns the row's figure. */
  trial(side: Side, row: BaseHeadRow, block: number): number | Promise<number>;
}

export interface BaseHeadOptions {
  /** Independent sessions per row (fresh Workers each). */
  sessions: number;
  /** Sessions of one row when not `sessions` (rows of different cost). */
  sessionsFor?: (row: BaseHeadRow) => number;
  /**
   * Pairs per session of a duet row; an interleaved row has one pair per
   * session. In the swap design a pair is a swap unit (two blocks).
   */
  pairsPerSession: number;
  /** Design of duet rows; default "swap" when the sides offer it (duetSwap), else "split". */
  design?: DuetDesign;
  seed: number;
  /** Margin of decideChange (0.05 = 5%). */
  threshold: number;
  warmup?: WarmupOptions;
  log?: (line: string) => void;
}

export interface BaseHeadRowResult {
  row: BaseHeadRow;
  /** Figure per pair, NaN where the trial threw. */
  base: number[];
  head: number[];
  /** Session of each pair (index into base/head). */
  session: number[];
  /** Duet rows: per session, which side ran in the first Worker (swap: in its first block). */
  firstWorker?: Side[];
  /** Duet rows: the design (swap: base/head hold one figure per block, two blocks per pair). */
  design?: DuetDesign;
  /** Swap rows: per block, the Worker (0 or 1) that measured the head (the other measured the base). */
  headWorker?: number[];
  /** head/base, > 1 means head is better; null when fewer than MIN_SESSIONS sessions measured both. */
  interval: SessionInterval | null;
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
  /** Default sessions per row (a row's own count is its interval's `sessions`). */
  sessions: number;
  pairsPerSession: number;
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

interface RowTrials {
  base: number[];
  head: number[];
  session: number[];
  firstWorker?: Side[];
  design?: DuetDesign;
  headWorker?: number[];
  mode: MeasureMode;
  steady: boolean;
  notes: string[];
}

/** One session's duet Workers and how to read their values back as [base, head] per block. */
interface DuetPlan {
  workers: readonly [DuetSide, DuetSide];
  blocks: number;
  /** Side in the first Worker (swap: in its first block). */
  first: Side;
  bySide(values: readonly number[][]): [number[], number[]];
  /** Swap: per block, the Worker that ran the head. */
  headWorker?: number[];
}

function splitPlan(pair: readonly [DuetSide, DuetSide], first: number, pairs: number): DuetPlan {
  return {
    workers: first === 0 ? pair : [pair[1], pair[0]],
    blocks: pairs,
    first: SIDES[first]!,
    bySide: (v) => (first === 0 ? [v[0]!, v[1]!] : [v[1]!, v[0]!]),
  };
}

/** Swap plan; `first` is the side Worker 0 runs in the session's first block (0 base, 1 head). */
function swapPlan(
  row: BaseHeadRow,
  sides: BaseHeadSides,
  pairs: number,
  seed: number,
  first: number,
): DuetPlan | null {
  const seeded = swapUnitOrder(pairs, seed);
  const unitFirst = seeded[0] === first ? seeded : seeded.map((x) => 1 - x);
  const w0 = sides.duetSwap?.(row, 0, unitFirst) ?? null;
  const w1 = sides.duetSwap?.(row, 1, unitFirst) ?? null;
  if (!w0 || !w1) return null;
  return {
    workers: [w0, w1],
    blocks: pairs * SWAP_UNIT_BLOCKS,
    first: SIDES[unitFirst[0]!]!,
    bySide: (v) => swapBySide([v[0]!, v[1]!], unitFirst),
    headWorker: Array.from({ length: pairs * SWAP_UNIT_BLOCKS }, (_, b) =>
      swapSideOf(0, b, unitFirst) === 1 ? 0 : 1,
    ),
  };
}

/**
 * A duet row: `sessions` duets of fresh Workers. Split: the first Worker's
 * side alternates across sessions in seeded balanced order. Swap: each
 * session's unit order is seeded, and the side Worker 0 starts with
 * alternates across sessions the same way.
 */
async function duetSessions(
  row: BaseHeadRow,
  sides: BaseHeadSides,
  pair: readonly [DuetSide, DuetSide],
  opts: BaseHeadOptions,
  seed: number,
): Promise<RowTrials> {
  const design: DuetDesign = opts.design ?? (sides.duetSwap ? "swap" : "split");
  const out: RowTrials = {
    base: [],
    head: [],
    session: [],
    firstWorker: [],
    design,
    mode: "duet",
    steady: true,
    notes: [],
  };
  // Balanced: over every two sessions, each side runs once in the first Worker.
  const order = interleavedSchedule(2, opts.sessions, seed);
  for (let s = 0; s < opts.sessions; s++) {
    const sessionSeed = (seed + Math.imul(s + 1, 0x2545f491)) >>> 0;
    const first = order[s]![0]!;
    const plan =
      design === "swap"
        ? swapPlan(row, sides, opts.pairsPerSession, sessionSeed, first)
        : splitPlan(pair, first, opts.pairsPerSession);
    if (!plan) throw new Error(`${row.id}: the sides offer no swap duet`);
    let r: TrialsResult;
    try {
      r = await runDuet(plan.workers, {
        blocks: plan.blocks,
        seed: sessionSeed,
        warmup: opts.warmup,
      });
    } catch (err) {
      out.notes.push(`session ${s}: duet failed: ${(err as Error).message}`);
      continue;
    }
    const [b, h] = plan.bySide(r.values);
    out.base.push(...b);
    out.head.push(...h);
    out.session.push(...b.map(() => s));
    out.firstWorker!.push(plan.first);
    if (plan.headWorker) (out.headWorker ??= []).push(...plan.headWorker);
    if (!allSteady(r)) out.steady = false;
  }
  if (out.base.length === 0) throw new Error(out.notes[0] ?? "no session ran");
  return out;
}

/** An interleaved row: every trial starts fresh Workers, so every pair is a session. */
async function interleavedSessions(
  row: BaseHeadRow,
  sides: BaseHeadSides,
  opts: BaseHeadOptions,
  seed: number,
): Promise<RowTrials> {
  const prepared = sides.prepare?.(row) ?? null;
  const prepNotes = prepared ? await prepared : [];
  const r = await runInterleaved(
    SIDES.map((side) => ({
      name: side,
      warmupChunk: () => sides.warmupChunk(side, row),
      trial: (b: number) => sides.trial(side, row, b),
    })),
    { blocks: opts.sessions, seed, warmup: opts.warmup, trialsWarmThemselves: prepared !== null },
  );
  const notes: string[] = [...prepNotes];
  for (const [s, errs] of r.errors.entries())
    for (const [b, e] of errs.entries()) if (e) notes.push(`${SIDES[s]} block ${b}: ${e}`);
  const [base, head] = r.values as [number[], number[]];
  return {
    base,
    head,
    session: base.map((_, i) => i),
    mode: "interleaved",
    steady: allSteady(r),
    notes,
  };
}

/** Per-session head/base ratios, and each session's stratum (its first Worker's side) when balanced. */
function sessionRatios(
  t: RowTrials,
  higherIsBetter: boolean,
): { ratios: number[][]; strata?: number[] } {
  const ids = [...new Set(t.session)];
  const ratios = ids.map((id) => {
    const idx = t.session.flatMap((s, i) => (s === id ? [i] : []));
    const head = idx.map((i) => t.head[i]!);
    const base = idx.map((i) => t.base[i]!);
    return t.design === "swap"
      ? swapUnitRatios(head, base, higherIsBetter)
      : pairedRatios(head, base, higherIsBetter);
  });
  if (!t.firstWorker) return { ratios };
  const strata = t.firstWorker.map((w) => SIDES.indexOf(w));
  const counts = [0, 1].map(
    (h) => strata.filter((x, i) => x === h && ratios[i]!.length > 0).length,
  );
  // Resampling within strata needs two sessions in each; otherwise one pool.
  return counts.every((c) => c >= 2) ? { ratios, strata } : { ratios };
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
  let t: RowTrials;
  try {
    const o = { ...opts, sessions: opts.sessionsFor?.(row) ?? opts.sessions };
    t = pair
      ? await duetSessions(row, sides, pair, o, seed)
      : await interleavedSessions(row, sides, o, seed);
  } catch (err) {
    const mode = pair ? "duet" : "interleaved";
    return {
      row,
      base: [],
      head: [],
      session: [],
      interval: null,
      verdict: "not measured",
      mode,
      steady: false,
      notes: [`${mode} run failed: ${(err as Error).message}`],
    };
  }
  const notes = [...t.notes];
  if (sides.afterRow)
    try {
      notes.push(...(await sides.afterRow(row, t.base, t.head)));
    } catch (err) {
      notes.push(`after the row: ${(err as Error).message}`);
    }
  if (!t.steady) notes.push("a warm-up did not reach a flat rate (see JSON: warm-up drift)");
  const { ratios, strata } = sessionRatios(t, row.higherIsBetter);
  const measured = ratios.filter((r) => r.length > 0).length;
  const base = {
    row,
    base: t.base,
    head: t.head,
    session: t.session,
    mode: t.mode,
    steady: t.steady,
  };
  const extra = t.firstWorker
    ? { firstWorker: t.firstWorker, design: t.design, headWorker: t.headWorker }
    : {};
  if (measured < MIN_SESSIONS) {
    notes.push(`only ${measured} sessions measured both sides`);
    return { ...base, ...extra, interval: null, verdict: "not measured", notes };
  }
  const interval = sessionRatioInterval(ratios, { seed: opts.seed, strata });
  const verdict = decideChange(interval, opts.threshold);
  return { ...base, ...extra, interval, verdict, notes };
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
    sessions: opts.sessions,
    pairsPerSession: opts.pairsPerSession,
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
