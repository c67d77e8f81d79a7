/**
 * Runs experiments: plans each one (grid expansion, shard selection), runs
 * every selected point R times, round by round (round r runs every point
 * once, so slow drift of a shared machine spreads over all points instead of
 * biasing the last ones), writes each finished row at once and the metadata
 * at the start (marked interrupted until the end) and at the end.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { CsvAppender } from "./csv.ts";
import { describePoint, type ExpandedGrid, expandGrid } from "./grid.ts";
import { PointAbortedError, runPoint } from "./isolate.ts";
import { collectHost, type RunMeta, type Shard } from "./meta.ts";
import type { Progress } from "./progress.ts";
import { shardIndices } from "./shard.ts";
import {
  columnsOf,
  DEFAULT_REPEATS,
  type Experiment,
  headlineWheres,
  type Profile,
} from "./types.ts";

/** Named maximum on --repeat. */
export const MAX_REPEATS = 1000;

export interface Plan {
  exp: Experiment;
  grid: ExpandedGrid<Record<string, unknown>>;
  /** Global indices (into grid.points) this run covers. */
  indices: number[];
  repeats: number;
  /** Indices (of `indices`) the headline ratios read; they run until `headlineRepeats`. */
  headlineIndices: number[];
  /** Total repetitions of headlineIndices (>= repeats; equal when the experiment asks for none). */
  headlineRepeats: number;
}

export interface PlanOptions {
  profile: Profile;
  shard: Shard | null;
  /** Overrides the experiment's per-profile default. */
  repeats?: number;
}

export function planExperiment(exp: Experiment, opts: PlanOptions): Plan {
  const grid = expandGrid(exp, opts.profile);
  const repeats = opts.repeats ?? exp.repeats?.[opts.profile] ?? DEFAULT_REPEATS[opts.profile];
  const indices = shardIndices(grid.points.length, opts.shard);
  const asked = opts.repeats === undefined ? (exp.headline.repeats[opts.profile] ?? 0) : 0;
  const headlineRepeats = Math.max(repeats, Math.min(asked, MAX_REPEATS));
  const wheres = headlineWheres(exp);
  const headlineIndices =
    headlineRepeats > repeats
      ? indices.filter((i) => {
          const p = grid.points[i]!;
          return wheres.some((w) => Object.entries(w).every(([k, v]) => p[k] === v));
        })
      : [];
  return { exp, grid, indices, repeats, headlineIndices, headlineRepeats };
}

/** Units of work (repetitions) in a plan. */
export function planUnits(plan: Plan): number {
  return (
    plan.indices.length * plan.repeats +
    plan.headlineIndices.length * (plan.headlineRepeats - plan.repeats)
  );
}

/**
 * The seed of one repetition: FNV-1a over the run seed, experiment, global
 * point index and repeat, so a point gets the same seed whether or not the
 * run is sharded.
 */
export function seedFor(
  runSeed: number,
  experiment: string,
  index: number,
  repeat: number,
): number {
  const text = `${runSeed >>> 0}:${experiment}:${index}:${repeat}`;
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

export interface RunOptions {
  profile: Profile;
  seed: number;
  outDir: string;
  shard: Shard | null;
  signal: AbortSignal;
  progress: Progress;
  /** Recorded in the meta, e.g. "bun run experiments alloc --profile full". */
  command?: string;
}

function writeMeta(path: string, meta: RunMeta): void {
  writeFileSync(path, `${JSON.stringify(meta, null, 2)}\n`);
}

/**
 * The CSV rows of one repetition (one, or several for an experiment with a
 * rowKey), each validated by the rowSchema; a string says why they are refused.
 */
export function rowsOf(
  exp: Experiment,
  point: Record<string, unknown>,
  repeat: number,
  seed: number,
  measured: Record<string, unknown> | Record<string, unknown>[],
): Record<string, unknown>[] | string {
  const list = Array.isArray(measured) ? measured : [measured];
  if (Array.isArray(measured) && exp.rowKey.length === 0)
    return `${exp.name} returned ${list.length} rows but declares no rowKey`;
  const rows: Record<string, unknown>[] = [];
  for (const [i, m] of list.entries()) {
    const checked = exp.rowSchema.safeParse({ ...point, repeat, seed, ...m });
    if (!checked.success) {
      const issue = checked.error.issues[0]!;
      const which = list.length > 1 ? ` (row ${i} of ${list.length})` : "";
      return `row does not match ${exp.name}'s rowSchema${which}: column ${String(issue.path[0])}: ${issue.message}`;
    }
    rows.push(checked.data);
  }
  return rows;
}

/** Runs one planned experiment into opts.outDir; returns its final metadata. */
export async function runPlan(plan: Plan, opts: RunOptions): Promise<RunMeta> {
  const { exp, grid, indices, repeats, headlineIndices, headlineRepeats } = plan;
  // Before anything is written: a run whose output dir holds tracked files (the
  // reference's results/) must not record its own fresh CSVs as a dirty checkout.
  const host = collectHost();
  mkdirSync(opts.outDir, { recursive: true });
  const csvPath = join(opts.outDir, `${exp.name}.csv`);
  const metaPath = join(opts.outDir, `${exp.name}.meta.json`);
  const csv = new CsvAppender(csvPath, columnsOf(exp));
  const t0 = performance.now();
  const meta: RunMeta = {
    experiment: exp.name,
    description: exp.description,
    command: opts.command,
    host,
    date: new Date().toISOString(),
    profile: opts.profile,
    seed: opts.seed,
    repeats,
    ...(headlineIndices.length > 0
      ? { headlineRepeats, headlinePoints: headlineIndices.length }
      : {}),
    grid: grid.blocks as Record<string, unknown[]>[],
    pointsInGrid: grid.points.length,
    pointsSkipped: grid.skipped,
    shard: opts.shard,
    pointsInShard: indices.length,
    rows: 0,
    failures: [],
    isolation: exp.isolation,
    durationS: 0,
    // Stays true on disk until the run finishes, so a killed run is never mistaken for a whole one.
    interrupted: true,
  };
  writeMeta(metaPath, meta);
  let interrupted = false;
  try {
    interrupted = await runRounds();
  } finally {
    await exp.teardown?.();
  }
  meta.durationS = (performance.now() - t0) / 1000;
  meta.interrupted = interrupted;
  writeMeta(metaPath, meta);
  return meta;

  /**
   * Every selected point, round by round, then the extra rounds of the
   * headline points only (their two sides of each ratio run near each other
   * in time); true when aborted.
   */
  async function runRounds(): Promise<boolean> {
    let interrupted = false;
    outer: for (let repeat = 0; repeat < headlineRepeats; repeat++) {
      for (const index of repeat < repeats ? indices : headlineIndices) {
        if (opts.signal.aborted) {
          interrupted = true;
          break outer;
        }
        const point = grid.points[index]!;
        const seed = seedFor(opts.seed, exp.name, index, repeat);
        opts.progress.start(
          `${exp.name} ${describePoint(point)} repeat ${repeat + 1}/${repeat < repeats ? repeats : headlineRepeats}`,
        );
        let reply: Awaited<ReturnType<typeof runPoint>>;
        try {
          reply = await runPoint(
            exp,
            { module: exp.module, point, seed, repeat, profile: opts.profile },
            opts.signal,
          );
        } catch (err) {
          if (err instanceof PointAbortedError) {
            interrupted = true;
            break outer;
          }
          throw err;
        }
        if (reply.ok) {
          const rows = rowsOf(exp, point, repeat, seed, reply.measured);
          if (typeof rows === "string") reply = { ok: false, error: rows };
          else {
            // All rows of a repetition or none: a half-written repetition would look complete.
            for (const row of rows) csv.append(row);
            meta.rows += rows.length;
          }
        }
        if (!reply.ok) {
          meta.failures.push({ point, repeat, error: reply.error });
          opts.progress.log(
            `FAILED ${exp.name} ${describePoint(point)} repeat ${repeat}: ${reply.error.split("\n")[0]}`,
          );
        }
        opts.progress.tick();
      }
    }
    return interrupted;
  }
}
