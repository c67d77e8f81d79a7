/**
 * Fixture results for the report tests: for each experiment, every point of
 * its quick grid x `repeats` (x `trials` rows, numbered by the rowKey column,
 * for an experiment that returns one row per trial), with measured values from a caller-supplied
 * function where it gives one and otherwise a generic valid value found by
 * trying candidates against the column's own zod schema. Written with the
 * runner's CSV writer and a metadata file that passes RunMetaSchema, so the
 * report reads fixtures exactly as it reads a real run.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type { z } from "zod";
import { toCsv } from "../experiments/runner/csv.ts";
import { expandGrid } from "../experiments/runner/grid.ts";
import type { RunMeta } from "../experiments/runner/meta.ts";
import { columnsOf, type Experiment } from "../experiments/runner/types.ts";

export type Row = Record<string, unknown>;
/** A measured value for (point, repeat, column, row within the repetition), or undefined for the generic one. */
export type ValueFn = (point: Row, repeat: number, column: string, within: number) => unknown;

/** A value `schema` accepts, preferring `preferred`; deterministic in (index, repeat). */
function genericValue(
  schema: z.ZodType,
  index: number,
  repeat: number,
  preferred: unknown,
): unknown {
  const candidates = [
    preferred,
    1000 + index * 37 + repeat * 11,
    1 + repeat,
    0.25 + 0.05 * repeat,
    0,
    false,
    "",
    null,
  ];
  for (const c of candidates) if (c !== undefined && schema.safeParse(c).success) return c;
  throw new Error(`fixture: no candidate value fits a column (${JSON.stringify(schema.def)})`);
}

export function fixtureRows(
  exp: Experiment,
  repeats: number,
  value: ValueFn = () => undefined,
): Row[] {
  const { points } = expandGrid(exp, "quick");
  const shape = exp.measuredSchema.shape as Record<string, z.ZodType>;
  const rows: Row[] = [];
  // Experiments with a rowKey return one row per trial: the point's `trials` rows, keyed 0..n-1.
  const key = exp.rowKey[0];
  for (let repeat = 0; repeat < repeats; repeat++) {
    points.forEach((point, index) => {
      const count = key ? Number(point.trials ?? 1) : 1;
      for (let within = 0; within < count; within++) {
        const row: Row = { ...point, repeat, seed: 1000 + index * 10 + repeat };
        for (const [col, schema] of Object.entries(shape))
          row[col] =
            col === key
              ? within
              : genericValue(schema, index, repeat, value(point, repeat, col, within));
        rows.push(exp.rowSchema.parse(row) as Row);
      }
    });
  }
  return rows;
}

export function fixtureMeta(exp: Experiment, rows: number, repeats: number): RunMeta {
  const points = expandGrid(exp, "quick").points.length;
  return {
    experiment: exp.name,
    description: exp.description,
    host: {
      gitSha: "0123456789abcdef0123456789abcdef01234567",
      gitDirty: false,
      bunVersion: Bun.version,
      os: "linux fixture x64",
      cpuModel: "Fixture CPU @ 1.00GHz",
      cores: 2,
    },
    date: "2026-01-01T00:00:00.000Z",
    profile: "quick",
    seed: 42,
    repeats,
    grid: [],
    pointsInGrid: points,
    pointsSkipped: [],
    shard: null,
    pointsInShard: points,
    rows,
    failures: [],
    isolation: exp.isolation,
    durationS: 12,
    interrupted: false,
  };
}

/** Writes <dir>/<name>.csv and .meta.json; returns the rows. */
export function writeFixture(
  dir: string,
  exp: Experiment,
  repeats: number,
  value?: ValueFn,
): Row[] {
  const rows = fixtureRows(exp, repeats, value);
  writeFileSync(join(dir, `${exp.name}.csv`), toCsv(rows, columnsOf(exp)));
  writeFileSync(
    join(dir, `${exp.name}.meta.json`),
    `${JSON.stringify(fixtureMeta(exp, rows.length, repeats), null, 2)}\n`,
  );
  return rows;
}
