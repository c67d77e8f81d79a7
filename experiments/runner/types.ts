/**
 * The Experiment contract: what one experiment file declares and what the
 * runner (run.ts), the CSV reader (csv.ts) and the report builder rely on.
 *
 * An experiment is data plus one function:
 * - `paramsSchema`: one grid point (a zod object; its keys are the first CSV columns);
 * - `grids.quick` / `grids.full`: the sweep, as data (`{param: [values...]}`, or a
 *   list of such blocks whose cartesian products are unioned); validated with
 *   zod when the runner loads it (grid.ts), expanded to points, then `include`
 *   drops combinations the implementation does not support;
 * - `measuredSchema`: what `run` returns, units last in every name
 *   (throughputEventsPerS, latencyNsP99, cpuSPerMillionEvents);
 * - `rowSchema`: one CSV row = params + RUN_COLUMNS (repeat, seed) + measured,
 *   in that column order;
 * - `run(point, ctx)`: measures one repetition of one point. It runs in the
 *   isolation the experiment asks for: "inline" (the runner's thread),
 *   "worker" (a fresh Worker per repetition) or "process" (a fresh `bun`
 *   process per repetition, for a clean heap). It returns one measured
 *   record (one CSV row), or, for an experiment that declares `rowKey`, an
 *   array of them (several rows per repetition, e.g. one per trial): the
 *   `rowKey` columns tell the rows of one repetition apart, so (point,
 *   repeat, rowKey) identifies a row (merge refuses duplicates on it).
 * - `claims`: published figures the report sets beside the measured ones (claims.ts).
 * - `section`: builds the experiment's report section from its validated rows
 *   (omitted: the report's generic summary table);
 * - `smoke`: a few tiny points the smoke test runs inline against the real
 *   implementations, and what must hold of their rows.
 *
 * Experiment files `export default defineExperiment({...})` with
 * `module: import.meta.url`, so an isolated Worker or process can load the same
 * definition by URL.
 */
import { z } from "zod";
import type { SectionBuilder } from "../report/section.ts";

export const PROFILES = ["quick", "full"] as const;
export type Profile = (typeof PROFILES)[number];
export const ISOLATIONS = ["inline", "worker", "process"] as const;
export type Isolation = (typeof ISOLATIONS)[number];

/** Named maximum on the rows one repetition may return (a runaway loop, not an experiment). */
export const MAX_ROWS_PER_REPETITION = 1_000_000;

/** Repetitions per point when --repeat is not given. */
export const DEFAULT_REPEATS: Record<Profile, number> = { quick: 3, full: 7 };

/** Columns the runner adds to every row, between the params and the measured columns. */
export const RUN_COLUMNS = {
  /** 0-based repetition index of this point. */
  repeat: z.number().int().min(0),
  /** The seed this repetition ran with (derived from the run seed, the experiment, the point and the repeat). */
  seed: z.number().int().min(0).max(0xffffffff),
};
export type RunColumns = { repeat: number; seed: number };

/**
 * The smoke test's tiny run of one experiment: `points` run inline (thousands
 * of events, a few hundred ms each) and each full row must pass rowSchema;
 * `check` returns what is wrong with the rows of all points (empty: fine).
 */
export interface SmokeTest<P, M> {
  readonly points: readonly P[];
  check?(rows: readonly (P & RunColumns & M)[]): string[];
}

/** One block of a grid: every param name mapped to the values it sweeps. */
export type GridBlock<P> = { [K in keyof P]: readonly P[K][] };
/** A grid: one block (its cartesian product) or several (the union of their products, duplicates dropped). */
export type GridSpec<P> = GridBlock<P> | readonly GridBlock<P>[];

export interface RunContext {
  /** Seed for this repetition; feed it to Rng. */
  seed: number;
  /** 0-based repetition index. */
  repeat: number;
  profile: Profile;
  /** Aborted on Ctrl-C; long runs should check it and throw. */
  signal: AbortSignal;
}

/** How the report computes the measured figure for a claim (see claims.ts). */
export interface MeasureSpec {
  /** Measured column to read. */
  column: string;
  /** Rows whose params equal these values (others ignored). */
  where: Record<string, string | number | boolean>;
  /** How rows of one repetition combine: median (default), sum, mean or max (e.g. over its trials). */
  aggregate?: "median" | "sum" | "mean" | "max";
}

/**
 * A published claim. `measured` is either one figure (summarised over
 * repetitions as median with min and max) or a ratio of two, paired by
 * repetition (same `repeat` index on both sides) and reported as the geometric
 * mean of the per-pair ratios with its 95% bootstrap interval.
 */
export interface Claim {
  id: string;
  /** The claim as its source states it. */
  text: string;
  /** Where it comes from. */
  source: string;
  /** The claimed figure, when the claim has one (e.g. 1.23 for "+23%"). */
  claimed?: { value: number; unit: string };
  measured:
    | { kind: "value"; unit: string; measure: MeasureSpec }
    | {
        kind: "ratio";
        unit: string;
        numerator: MeasureSpec;
        denominator: MeasureSpec;
        /**
         * The claim bounds the ratio from above ("latency at most 2x"): it holds
         * when the whole interval lies at or below the claimed figure. Default:
         * from below ("throughput at least 25x").
         */
        atMost?: boolean;
      };
  /** How to read the comparison (what agrees with or refutes the claim). */
  interpretation: string;
}

/**
 * What an experiment puts forward as its headline figures, so tools comparing
 * runs (`experiments diff`, the report's reproducibility section) read them
 * from the definition instead of keeping their own list.
 */
export interface Headline {
  /** Measured columns compared point by point, each with its direction. */
  metrics: readonly HeadlineMetric[];
  /** Ids of this experiment's ratio claims that are headline ratios (default: every ratio claim). */
  ratios?: readonly string[];
  /**
   * Per profile, the repetitions of the grid points the headline ratios read
   * (their numerator and denominator points), when above the experiment's
   * repeats: the extra rounds run after the normal ones and only those points,
   * so a ratio's interval narrows without repeating the whole grid. Ignored
   * when --repeat is given.
   */
  repeats?: Partial<Record<Profile, number>>;
}

export interface HeadlineMetric {
  column: string;
  higherIsBetter: boolean;
}

// biome-ignore lint/suspicious/noExplicitAny: zod object shapes are heterogeneous by design
type AnyShape = Record<string, any>;

/**
 * A registered experiment. `P` is one grid point, `M` what run() measures.
 * Methods use method syntax so an Experiment<P, M> fits an Experiment<unknown-ish>
 * list (bivariant parameters).
 */
export interface Experiment<
  P extends Record<string, unknown> = Record<string, unknown>,
  M extends Record<string, unknown> = Record<string, unknown>,
> {
  readonly name: string;
  readonly description: string;
  /** import.meta.url of the module whose default export this is (for isolated runs). */
  readonly module: string;
  readonly paramsSchema: z.ZodObject<AnyShape>;
  readonly measuredSchema: z.ZodObject<AnyShape>;
  readonly rowSchema: z.ZodObject<AnyShape>;
  readonly grids: Record<Profile, GridSpec<P>>;
  readonly isolation: Isolation;
  /** Per-profile repetitions when --repeat is not given (default DEFAULT_REPEATS). */
  readonly repeats?: Partial<Record<Profile, number>>;
  readonly claims: readonly Claim[];
  /** Headline metrics (point-by-point) and ratios (claim ids); metrics empty when none declared. */
  readonly headline: {
    metrics: readonly HeadlineMetric[];
    ratios: readonly string[];
    repeats: Partial<Record<Profile, number>>;
  };
  /**
   * Measured columns that tell apart the rows one repetition returns (e.g.
   * ["trial"]); empty for experiments whose run() returns one row.
   */
  readonly rowKey: readonly string[];
  /** The report section builder (absent: the generic summary table). */
  readonly section?: SectionBuilder;
  /** The smoke test's tiny points and checks (absent only for the runner's self-test). */
  readonly smoke?: SmokeTest<P, M>;
  /** true to keep a point, or a reason why the combination is not run (e.g. "spsc is single-producer"). */
  include?(point: P): true | string;
  /**
   * Releases what inline points keep between calls (e.g. servers started once
   * for many points); the runner calls it after the experiment's last point,
   * the smoke test after its points. Optional.
   */
  teardown?(): Promise<void>;
  /** One row's measured values, or several rows' (only with a non-empty rowKey). */
  run(point: P, ctx: RunContext): Promise<M | M[]>;
}

export type Row<P, M> = P & RunColumns & M;

export interface ExperimentDefinition<PS extends AnyShape, MS extends AnyShape> {
  name: string;
  description: string;
  module: string;
  params: PS;
  measured: MS;
  grids: Record<Profile, GridSpec<z.output<z.ZodObject<PS>>>>;
  isolation: Isolation;
  repeats?: Partial<Record<Profile, number>>;
  claims?: Claim[];
  /** Headline figures (see Headline); ratios default to every ratio claim. */
  headline?: Headline;
  /** Measured columns identifying each row when run() returns several (see Experiment.rowKey). */
  rowKey?: (keyof MS & string)[];
  section?: SectionBuilder;
  smoke?: SmokeTest<z.output<z.ZodObject<PS>>, z.output<z.ZodObject<MS>>>;
  include?(point: z.output<z.ZodObject<PS>>): true | string;
  teardown?(): Promise<void>;
  run(
    point: z.output<z.ZodObject<PS>>,
    ctx: RunContext,
  ): Promise<z.input<z.ZodObject<MS>> | z.input<z.ZodObject<MS>>[]>;
}

const NAME_RE = /^[a-z][a-z0-9-]*$/;

/** Builds an Experiment from its params and measured shapes; checks the column names do not collide. */
export function defineExperiment<PS extends AnyShape, MS extends AnyShape>(
  def: ExperimentDefinition<PS, MS>,
): Experiment<z.output<z.ZodObject<PS>>, z.output<z.ZodObject<MS>>> {
  for (const k of def.rowKey ?? [])
    if (!(k in def.measured))
      throw new Error(`experiment ${def.name}: rowKey column "${k}" is not a measured column`);
  if (!NAME_RE.test(def.name))
    throw new Error(`experiment name "${def.name}" must match ${NAME_RE}`);
  const seen = new Set<string>();
  for (const key of [
    ...Object.keys(def.params),
    ...Object.keys(RUN_COLUMNS),
    ...Object.keys(def.measured),
  ]) {
    if (seen.has(key)) throw new Error(`experiment ${def.name}: column "${key}" declared twice`);
    seen.add(key);
  }
  const headline = resolveHeadline(def);
  const paramsSchema = z.object(def.params).strict();
  const measuredSchema = z.object(def.measured).strict();
  const rowSchema = z.object({ ...def.params, ...RUN_COLUMNS, ...def.measured }).strict();
  type P = z.output<z.ZodObject<PS>>;
  type M = z.output<z.ZodObject<MS>>;
  return {
    name: def.name,
    description: def.description,
    module: def.module,
    paramsSchema,
    measuredSchema,
    rowSchema,
    grids: def.grids,
    isolation: def.isolation,
    repeats: def.repeats,
    claims: def.claims ?? [],
    headline,
    include: def.include?.bind(def),
    rowKey: def.rowKey ?? [],
    section: def.section,
    smoke: def.smoke,
    teardown: def.teardown,
    async run(point: P, ctx: RunContext): Promise<M | M[]> {
      const result = (await def.run(point, ctx)) as
        | Record<string, unknown>
        | Record<string, unknown>[];
      if (!Array.isArray(result)) return checkMeasured(def.name, measuredSchema, result) as M;
      const rowKey = def.rowKey ?? [];
      if (rowKey.length === 0)
        throw new Error(
          `${def.name}: run() returned ${result.length} rows but the experiment declares no rowKey (the columns telling its rows apart)`,
        );
      if (result.length === 0 || result.length > MAX_ROWS_PER_REPETITION)
        throw new Error(
          `${def.name}: run() returned ${result.length} rows; expected 1..MAX_ROWS_PER_REPETITION=${MAX_ROWS_PER_REPETITION}`,
        );
      const seen = new Set<string>();
      return result.map((r, i) => {
        const checked = checkMeasured(def.name, measuredSchema, r, i) as M;
        const key = JSON.stringify(rowKey.map((k) => (checked as Record<string, unknown>)[k]));
        if (seen.has(key))
          throw new Error(
            `${def.name}: rows of one repetition share rowKey ${rowKey.join(",")}=${key}`,
          );
        seen.add(key);
        return checked;
      });
    },
  };
}

/** The headline with its defaults; a metric that is not a measured column, or a ratio that is not a ratio claim, is refused. */
function resolveHeadline<PS extends AnyShape, MS extends AnyShape>(
  def: ExperimentDefinition<PS, MS>,
): Experiment["headline"] {
  const claims = def.claims ?? [];
  const ratioIds = claims.filter((c) => c.measured.kind === "ratio").map((c) => c.id);
  const metrics = def.headline?.metrics ?? [];
  for (const m of metrics)
    if (!(m.column in def.measured))
      throw new Error(
        `experiment ${def.name}: headline metric "${m.column}" is not a measured column`,
      );
  const ratios = def.headline?.ratios ?? ratioIds;
  for (const id of ratios)
    if (!ratioIds.includes(id))
      throw new Error(
        `experiment ${def.name}: headline ratio "${id}" is not one of its ratio claims`,
      );
  return { metrics, ratios, repeats: def.headline?.repeats ?? {} };
}

/** The `where` filters of the numerator and denominator of every headline ratio. */
export function headlineWheres(exp: Experiment): Record<string, string | number | boolean>[] {
  return exp.headline.ratios.flatMap((id) => {
    const m = exp.claims.find((c) => c.id === id)!.measured;
    return m.kind === "ratio" ? [m.numerator.where, m.denominator.where] : [];
  });
}

/** Validates one measured record; the error names the experiment, row (when several) and column. */
function checkMeasured(
  name: string,
  schema: z.ZodObject<AnyShape>,
  result: Record<string, unknown>,
  rowIndex?: number,
): Record<string, unknown> {
  const checked = schema.safeParse(result);
  if (checked.success) return checked.data;
  const issue = checked.error.issues[0]!;
  const column = String(issue.path[0] ?? "(root)");
  const where = rowIndex === undefined ? "" : `row ${rowIndex}: `;
  throw new Error(
    `${name}: ${where}measured column ${column}: ${issue.message} (value: ${JSON.stringify(result[column])})`,
  );
}

/** The CSV columns of an experiment, in order. */
export function columnsOf(exp: Experiment): string[] {
  return Object.keys(exp.rowSchema.shape);
}

/** The param columns of an experiment, in order. */
export function paramColumnsOf(exp: Experiment): string[] {
  return Object.keys(exp.paramsSchema.shape);
}

/** Each experiment's headline metrics by name (what `experiments diff` compares by default). */
export function headlineMetrics(
  exps: readonly Experiment[],
): Record<string, readonly HeadlineMetric[]> {
  return Object.fromEntries(exps.map((e) => [e.name, e.headline.metrics]));
}
