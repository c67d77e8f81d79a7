/**
 * Merges shard outputs: for each experiment with a CSV in any input dir,
 * validates every row with its rowSchema, refuses duplicate (point, repeat,
 * rowKey) rows (rowKey: the columns telling apart the rows of one repetition,
 * e.g. the trial, for experiments returning several) and shards of different
 * runs (profile or seed differ), sorts rows into grid order (repeat, then
 * global point index, rows of one repetition in their order) and writes <out>/<name>.csv
 * plus a merged <name>.meta.json listing the shards it came from (by shard
 * index, commit and date; not by directory).
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseCsv, toCsv } from "./csv.ts";
import { expandGrid, pointKey } from "./grid.ts";
import { type RunMeta, RunMetaSchema } from "./meta.ts";
import { columnsOf, type Experiment, paramColumnsOf } from "./types.ts";

export class MergeError extends Error {
  override name = "MergeError";
}

interface ShardInput {
  dir: string;
  rows: Record<string, unknown>[];
  meta: RunMeta;
}

function readShard(exp: Experiment, dir: string): ShardInput {
  const csvPath = join(dir, `${exp.name}.csv`);
  const metaPath = join(dir, `${exp.name}.meta.json`);
  if (!existsSync(metaPath))
    throw new MergeError(`${metaPath} missing (every shard CSV needs its meta)`);
  const meta = RunMetaSchema.safeParse(JSON.parse(readFileSync(metaPath, "utf8")));
  if (!meta.success) throw new MergeError(`${metaPath}: ${meta.error.issues[0]!.message}`);
  return {
    dir,
    rows: parseCsv(readFileSync(csvPath, "utf8"), exp.rowSchema, csvPath),
    meta: meta.data,
  };
}

export interface MergeSummary {
  experiment: string;
  rows: number;
  shards: string[];
  /** Shards of the run that no input covered (e.g. "2/4"). */
  missingShards: string[];
}

/** Merges one experiment's shard outputs from `dirs` into `outDir`. */
export function mergeExperiment(exp: Experiment, dirs: string[], outDir: string): MergeSummary {
  const inputs = dirs
    .filter((d) => existsSync(join(d, `${exp.name}.csv`)))
    .map((d) => readShard(exp, d));
  if (inputs.length === 0) throw new MergeError(`no ${exp.name}.csv in ${dirs.join(", ")}`);
  const first = inputs[0]!.meta;
  for (const s of inputs) {
    for (const field of ["profile", "seed"] as const)
      if (s.meta[field] !== first[field])
        throw new MergeError(
          `${exp.name}: ${s.dir} has ${field}=${s.meta[field]} but ${inputs[0]!.dir} has ${first[field]}; shards must come from one run`,
        );
  }
  const keys = paramColumnsOf(exp);
  const order = new Map<string, number>();
  for (const [i, p] of expandGrid(exp, first.profile).points.entries())
    order.set(pointKey(p, keys), i);
  const seen = new Map<string, string>();
  const all: { row: Record<string, unknown>; index: number }[] = [];
  for (const s of inputs) {
    s.rows.forEach((row, i) => {
      const within = exp.rowKey.map((k) => ` ${k} ${JSON.stringify(row[k])}`).join("");
      const key = `${pointKey(row, keys)} repeat ${String(row.repeat)}${within}`;
      const where = `${s.dir}/${exp.name}.csv data row ${i + 1}`;
      const prev = seen.get(key);
      if (prev)
        throw new MergeError(`${exp.name}: duplicate row for point ${key}: ${prev} and ${where}`);
      seen.set(key, where);
      all.push({ row, index: order.get(pointKey(row, keys)) ?? Number.MAX_SAFE_INTEGER });
    });
  }
  // Array.prototype.sort is stable: rows of one repetition keep their order.
  all.sort((a, b) => Number(a.row.repeat) - Number(b.row.repeat) || a.index - b.index);
  mkdirSync(outDir, { recursive: true });
  writeFileSync(
    join(outDir, `${exp.name}.csv`),
    toCsv(
      all.map((r) => r.row),
      columnsOf(exp),
    ),
  );
  const count = inputs.find((s) => s.meta.shard)?.meta.shard?.count ?? 1;
  const covered = new Set(inputs.map((s) => (s.meta.shard ? s.meta.shard.index : -1)));
  const missingShards = covered.has(-1)
    ? []
    : Array.from({ length: count }, (_, i) => i)
        .filter((i) => !covered.has(i))
        .map((i) => `${i}/${count}`);
  const merged: RunMeta = {
    ...first,
    shard: null,
    pointsInShard: inputs.reduce((n, s) => n + s.meta.pointsInShard, 0),
    rows: all.length,
    failures: inputs.flatMap((s) => s.meta.failures),
    durationS: inputs.reduce((n, s) => n + s.meta.durationS, 0),
    interrupted: inputs.some((s) => s.meta.interrupted) || missingShards.length > 0,
    // Shards are named by index, not by the (often scratch) directory they were read from.
    mergedFrom: inputs.map((s) => ({
      shard: s.meta.shard,
      rows: s.meta.rows,
      date: s.meta.date,
      gitSha: s.meta.host.gitSha,
      durationS: s.meta.durationS,
      interrupted: s.meta.interrupted,
    })),
  };
  writeFileSync(join(outDir, `${exp.name}.meta.json`), `${JSON.stringify(merged, null, 2)}\n`);
  return {
    experiment: exp.name,
    rows: all.length,
    shards: inputs.map((s) =>
      s.meta.shard ? `${s.meta.shard.index}/${s.meta.shard.count}` : "all",
    ),
    missingShards,
  };
}

/** Experiments (from `known`) that have a CSV in any of `dirs`, in `known` order. */
export function experimentsIn(dirs: string[], known: readonly Experiment[]): Experiment[] {
  const names = new Set<string>();
  for (const d of dirs) {
    if (!existsSync(d)) throw new MergeError(`${d}: no such directory`);
    for (const f of readdirSync(d)) if (f.endsWith(".csv")) names.add(f.slice(0, -4));
  }
  return known.filter((e) => names.has(e.name));
}
