/**
 * Grids: validation (zod, errors name the experiment, profile, block, param
 * and value index) and expansion to points (cartesian product per block, union
 * over blocks in first-seen order, duplicates dropped, then the experiment's
 * `include` filter).
 */
import { z } from "zod";
import type { Experiment, GridBlock, Profile } from "./types.ts";

/** Named maximum: a grid expanding to more points than this is refused (a typo, not a sweep). */
export const MAX_GRID_POINTS = 100_000;

export class GridError extends Error {
  override name = "GridError";
}

function issuesText(prefix: string, error: z.ZodError): string {
  return error.issues
    .map((i) => {
      const path = i.path.map((p) => (typeof p === "number" ? `[${p}]` : `.${String(p)}`)).join("");
      return `${prefix}${path}: ${i.message}`;
    })
    .join("; ");
}

/** The zod schema of one grid block for `exp`: every param, a non-empty array of valid values. */
export function gridBlockSchema(exp: Experiment): z.ZodType {
  const shape: Record<string, z.ZodType> = {};
  for (const [key, schema] of Object.entries(exp.paramsSchema.shape))
    shape[key] = z.array(schema as z.ZodType).min(1, `${key}: needs at least one value`);
  return z.object(shape).strict();
}

/** The blocks of `exp`'s grid for `profile`, validated; throws GridError naming the bad field. */
export function validateGrid(
  exp: Experiment,
  profile: Profile,
): GridBlock<Record<string, unknown>>[] {
  const spec = exp.grids[profile];
  if (spec === undefined) throw new GridError(`grid ${exp.name}.${profile}: missing`);
  const blocks = (Array.isArray(spec) ? spec : [spec]) as unknown[];
  if (blocks.length === 0) throw new GridError(`grid ${exp.name}.${profile}: no blocks`);
  const schema = gridBlockSchema(exp);
  return blocks.map((block, i) => {
    const parsed = schema.safeParse(block);
    const where = Array.isArray(spec) ? `${exp.name}.${profile}[${i}]` : `${exp.name}.${profile}`;
    if (!parsed.success) throw new GridError(issuesText(`grid ${where}`, parsed.error));
    return parsed.data as GridBlock<Record<string, unknown>>;
  });
}

/** Every combination of one block's values, keys in `keys` order (the last key varies fastest). */
export function cartesian(
  block: Record<string, readonly unknown[]>,
  keys: string[],
): Record<string, unknown>[] {
  let points: Record<string, unknown>[] = [{}];
  for (const key of keys) {
    const values = block[key] ?? [];
    const next: Record<string, unknown>[] = [];
    for (const p of points) for (const v of values) next.push({ ...p, [key]: v });
    points = next;
    if (points.length > MAX_GRID_POINTS)
      throw new GridError(`grid expands to more than MAX_GRID_POINTS=${MAX_GRID_POINTS} points`);
  }
  return points;
}

/** A stable identity for a point: its values in param order. */
export function pointKey(point: Record<string, unknown>, keys: string[]): string {
  return JSON.stringify(keys.map((k) => point[k]));
}

export interface ExpandedGrid<P> {
  /** Points to run, in grid order; a point's index here is its global index (sharding, seeds). */
  points: P[];
  /** Points the experiment's include() refused, with its reason. */
  skipped: { point: P; reason: string }[];
  blocks: GridBlock<Record<string, unknown>>[];
}

/** Validates and expands `exp`'s grid for `profile`. */
export function expandGrid<P extends Record<string, unknown>>(
  exp: Experiment<P>,
  profile: Profile,
): ExpandedGrid<P> {
  const blocks = validateGrid(exp as unknown as Experiment, profile);
  const keys = Object.keys(exp.paramsSchema.shape);
  const seen = new Set<string>();
  const points: P[] = [];
  const skipped: { point: P; reason: string }[] = [];
  for (const block of blocks) {
    for (const raw of cartesian(block as Record<string, readonly unknown[]>, keys)) {
      const key = pointKey(raw, keys);
      if (seen.has(key)) continue;
      seen.add(key);
      const parsed = exp.paramsSchema.safeParse(raw);
      if (!parsed.success)
        throw new GridError(issuesText(`grid ${exp.name}.${profile} point ${key}`, parsed.error));
      const point = parsed.data as P;
      const verdict = exp.include ? exp.include(point) : true;
      if (verdict === true) points.push(point);
      else skipped.push({ point, reason: verdict });
    }
  }
  return { points, skipped, blocks };
}

/** "a=1 b=x" for progress lines and error messages. */
export function describePoint(point: Record<string, unknown>): string {
  return Object.entries(point)
    .map(([k, v]) => `${k}=${String(v)}`)
    .join(" ");
}
