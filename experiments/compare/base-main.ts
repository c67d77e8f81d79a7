/**
 * `bun run compare --base REF`: regression detection between commits. Makes a
 * worktree of REF (installed from its lockfile, removed afterwards), loads
 * both trees' implementations, runs base and head trials interleaved for
 * every compare row both have, and prints head/base per row with its 95%
 * interval and verdict (experiments/measure/base-head.ts). Markdown to stdout
 * and $GITHUB_STEP_SUMMARY, JSON to --out.
 *
 * Exit codes: 0 no regression established; 1 a regression, or a row that
 * could not be measured; 2 bad flags or a bad REF.
 */
import { spawnSync } from "node:child_process";
import { appendFileSync, writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import {
  baseHeadFailed,
  DEFAULT_CHANGE_THRESHOLD,
  DUET_DESIGNS,
  type DuetDesign,
  runBaseHead,
} from "../measure/base-head.ts";
import { baseHeadJson, baseHeadMarkdown } from "../measure/base-head-format.ts";
import { WorktreeError, withWorktree } from "../measure/worktree.ts";
import {
  type BaseTrialSizes,
  baseHeadSides,
  HEAD_ROOT,
  loadImplTree,
  type PlannedRow,
  planBaseRows,
} from "./base-sides.ts";

export const DEFAULT_BASE_SEED = 20260101;
/**
 * Independent sessions per allocator row (fresh duet Workers each). Measured
 * on the 2-core machine (compare:power --spread, HEAD against HEAD), the
 * session mean log ratio of array-pool spread by 0.25-0.36 with one side per
 * Worker and by 0.11-0.17 with the swap design; at 0.15, 16 sessions put a
 * 20% slowdown's interval wholly below 0.95 in about 99% of runs (normal
 * approximation with the expanded percentile). Cost, the three allocator
 * rows at load 4.6-5.0: 12 sessions x 3 swap units 28 s (array-pool session
 * sd 0.109, HEAD/HEAD 0.992 (0.913-1.071)); 12 x 2 units gave wider
 * intervals at that load (0.766-1.064), so a session keeps 3 units.
 * 16 sessions flagged a patch calibrated to 20% in 14 of 20 runs and 20 of
 * 20 in a second set (docs/measurement.md): the misses were runs that
 * measured the change at 0.86-0.87, so 32 sessions (interval ~1/sqrt(2) as
 * wide; the three rows ~45 s more) buy the margin for 95%.
 */
export const DEFAULT_ALLOC_SESSIONS = 32;
/** Independent sessions (= pairs: every queue trial starts fresh Workers) per queue row. */
export const DEFAULT_QUEUE_SESSIONS = 8;
/**
 * Pairs per duet session (swap: swap units of two blocks): pairs inside a
 * session agree closely, so more sessions buy more than more pairs.
 */
export const DEFAULT_PAIRS_PER_SESSION = 3;
/** Design of allocator (duet) rows: both sides in each Worker, traded every block (swap.ts). */
export const DEFAULT_DUET_DESIGN: DuetDesign = "swap";
/** Upper bound on --sessions and --pairs. */
export const MAX_BASE_SESSIONS = 1000;
/** Warm-up chunks per side and row at most: a queue chunk starts fresh Workers, so 24 bounds a row's warm-up to seconds. */
export const MAX_WARMUP_CHUNKS = 24;

export const DEFAULT_BASE_SIZES: BaseTrialSizes = {
  recordBytes: 64,
  liveEvents: 1024,
  allocOpsPerTrial: 250_000,
  allocOpsPerChunk: 50_000,
  allocAllocatorPerTrial: false,
  allocGcBeforeTrial: true,
  capacitySlots: 65536,
  batchRecords: 256,
  multiProducers: 4,
  queueTimedS: 0.25,
  queueLeadInS: 0.1,
  queueMinEventsPerProducer: 5_000,
  queueMaxEventsPerProducer: 20_000_000,
  queueProbeStartEventsPerProducer: 250_000,
  queueProbeMinTimedS: 0.1,
  queueMaxProbeRuns: 6,
  queueReferenceTimedS: 1,
  queueReferenceRuns: 1,
  timeoutMs: 60_000,
};

export const BASE_USAGE = `Usage: bun run compare --base REF [--sessions N] [--pairs N] [--seed N] [--threshold F] [--design swap|split] [--only allocator|queue|ROW] [--out FILE]

Measures every compare row on the commit REF (a temporary git worktree,
installed with bun install --frozen-lockfile, removed afterwards) and on this
checkout, base and head trials interleaved, and prints head/base per row with
its 95% bootstrap interval. A row is a regression only when the whole interval
lies below 1 - threshold.

  --base REF       commit, branch or tag to compare against
  --sessions N     independent sessions per row (fresh Workers each; default
                   ${DEFAULT_ALLOC_SESSIONS} for allocator rows, ${DEFAULT_QUEUE_SESSIONS} for queue rows)
  --pairs N        pairs per session of a duet (allocator) row; with --design
                   swap a pair is a unit of two blocks (default ${DEFAULT_PAIRS_PER_SESSION})
  --design D       allocator rows: "swap" (default: both Workers of a session
                   run base and head in turn, so a slow Worker cancels) or
                   "split" (one side per Worker)
  --seed N         seed of the order, the workloads and the bootstrap (default ${DEFAULT_BASE_SEED}; printed)
  --threshold F    regression margin (default ${DEFAULT_CHANGE_THRESHOLD})
  --only WHAT      only allocator rows, only queue rows, or the one row with
                   this id (e.g. array-pool, "spsc p=1")
  --out FILE       write the JSON report (every trial figure) to FILE
  --help           this text`;

export class BaseUsageError extends Error {
  override name = "BaseUsageError";
}

export interface BaseArgs {
  ref: string;
  /** null: the per-kind defaults. */
  sessions: number | null;
  pairs: number;
  seed: number;
  threshold: number;
  design: DuetDesign;
  /** "allocator", "queue", a row id, or null for every row. */
  only: string | null;
  out: string | null;
  help: boolean;
}

function intFlag(
  name: string,
  v: string | undefined,
  def: number,
  min: number,
  max: number,
): number {
  if (v === undefined) return def;
  if (!/^\d+$/.test(v) || Number(v) < min || Number(v) > max)
    throw new BaseUsageError(`--${name}: expected an integer in [${min}, ${max}], got "${v}"`);
  return Number(v);
}

export function parseBaseArgs(argv: string[]): BaseArgs {
  let values: Record<string, string | boolean | undefined>;
  try {
    values = parseArgs({
      args: argv,
      options: {
        base: { type: "string" },
        sessions: { type: "string" },
        pairs: { type: "string" },
        seed: { type: "string" },
        threshold: { type: "string" },
        design: { type: "string" },
        only: { type: "string" },
        out: { type: "string" },
        help: { type: "boolean", short: "h" },
      },
      strict: true,
      allowPositionals: false,
    }).values;
  } catch (err) {
    throw new BaseUsageError((err as Error).message);
  }
  const help = values.help === true;
  const ref = values.base === undefined ? "" : String(values.base);
  if (!help && ref.trim() === "") throw new BaseUsageError("--base: needs a git revision");
  const threshold =
    values.threshold === undefined ? DEFAULT_CHANGE_THRESHOLD : Number(values.threshold);
  if (!(threshold >= 0 && threshold < 1))
    throw new BaseUsageError(`--threshold: expected a number in [0, 1), got "${values.threshold}"`);
  const design = (values.design ?? DEFAULT_DUET_DESIGN) as DuetDesign;
  if (!DUET_DESIGNS.includes(design))
    throw new BaseUsageError(`--design: expected "swap" or "split", got "${values.design}"`);
  const only = values.only === undefined ? null : String(values.only);
  if (only !== null && only.trim() === "")
    throw new BaseUsageError(`--only: expected "allocator", "queue" or a row id, got ""`);
  return {
    ref,
    sessions:
      values.sessions === undefined
        ? null
        : intFlag("sessions", values.sessions as string, 0, 3, MAX_BASE_SESSIONS),
    pairs: intFlag(
      "pairs",
      values.pairs as string | undefined,
      DEFAULT_PAIRS_PER_SESSION,
      1,
      MAX_BASE_SESSIONS,
    ),
    seed: intFlag("seed", values.seed as string | undefined, DEFAULT_BASE_SEED, 0, 0xffffffff),
    threshold,
    design,
    only,
    out: values.out === undefined ? null : String(values.out),
    help,
  };
}

function headCommit(): string {
  const r = spawnSync("git", ["rev-parse", "HEAD"], { cwd: HEAD_ROOT, encoding: "utf8" });
  const dirty = spawnSync("git", ["status", "--porcelain"], { cwd: HEAD_ROOT, encoding: "utf8" });
  return `${(r.stdout ?? "").trim() || "unknown"}${(dirty.stdout ?? "").trim() ? "+dirty" : ""}`;
}

export async function compareBase(argv: string[]): Promise<number> {
  let args: BaseArgs;
  try {
    args = parseBaseArgs(argv);
  } catch (err) {
    if (err instanceof BaseUsageError) {
      console.error(`compare: ${err.message}\n\n${BASE_USAGE}`);
      return 2;
    }
    throw err;
  }
  if (args.help) {
    console.log(BASE_USAGE);
    return 0;
  }
  const log = (s: string) => console.log(s);
  try {
    return await withWorktree(
      args.ref,
      async (wt) => {
        const [base, head] = await Promise.all([loadImplTree(wt.dir), loadImplTree(HEAD_ROOT)]);
        const { rows, onlyOneSide } = planBaseRows(base, head, DEFAULT_BASE_SIZES);
        const chosen = rows.filter(
          (r) => args.only === null || r.what.kind === args.only || r.id === args.only,
        );
        if (chosen.length === 0) {
          console.error(
            `compare: --only ${args.only}: no such row (rows: allocator, queue, ${rows.map((r) => r.id).join(", ")})`,
          );
          return 2;
        }
        log(
          `compare --base ${args.ref}: ${chosen.length} rows, ${args.sessions ?? `${DEFAULT_ALLOC_SESSIONS} (allocator) / ${DEFAULT_QUEUE_SESSIONS} (queue)`} sessions each (allocator rows: ${args.design} duets), seed ${args.seed}`,
        );
        const report = await runBaseHead(
          chosen,
          baseHeadSides({ base, head }, DEFAULT_BASE_SIZES, args.seed),
          {
            sessions: args.sessions ?? DEFAULT_ALLOC_SESSIONS,
            sessionsFor: (row) =>
              args.sessions ??
              ((row as PlannedRow).what.kind === "queue"
                ? DEFAULT_QUEUE_SESSIONS
                : DEFAULT_ALLOC_SESSIONS),
            pairsPerSession: args.pairs,
            seed: args.seed,
            threshold: args.threshold,
            design: args.design,
            warmup: { maxChunks: MAX_WARMUP_CHUNKS },
            log,
          },
          { baseRef: args.ref, baseCommit: wt.commit, headCommit: headCommit() },
        );
        let md = baseHeadMarkdown(report);
        if (onlyOneSide.length)
          md += `\nNot compared (in one tree only): ${onlyOneSide.join(", ")}.\n`;
        const only = args.only ? ` --only ${JSON.stringify(args.only)}` : "";
        md += `\nRerun: \`bun run compare --base ${args.ref}${only}${args.sessions === null ? "" : ` --sessions ${args.sessions}`} --pairs ${args.pairs} --design ${args.design} --seed ${args.seed}\`.\n`;
        console.log(`\n${md}`);
        const summary = process.env.GITHUB_STEP_SUMMARY;
        if (summary) appendFileSync(summary, md);
        if (args.out) writeFileSync(args.out, baseHeadJson(report));
        return baseHeadFailed(report) ? 1 : 0;
      },
      { repoDir: HEAD_ROOT, log },
    );
  } catch (err) {
    if (err instanceof WorktreeError) {
      console.error(`compare: ${err.message}`);
      return 2;
    }
    throw err;
  }
}

if (import.meta.main) process.exit(await compareBase(Bun.argv.slice(2)));
