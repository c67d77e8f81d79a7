/**
 * `bun run compare`, the CI job: every registered allocator and queue through
 * its correctness checks plus a short side-by-side measurement; one Markdown
 * table per contract (figure with spread, ratio to the baseline, threshold,
 * invariants) printed, written to <out>/compare.md and appended to
 * $GITHUB_STEP_SUMMARY when set. Raw figures per repetition go to
 * <out>/compare.json. Never writes into results/.
 *
 * Exit codes: 0 passed; 1 an invariant broke, a ratio fell below its committed
 * threshold (compare.config.json) or a threshold names no row; 2 a bad flag
 * or config.
 */

import { appendFileSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative, resolve } from "node:path";
import { parseArgs } from "node:util";
import { compareAllocators } from "./alloc.ts";
import { compareBase } from "./base-main.ts";
import {
  type CompareConfig,
  ConfigError,
  DEFAULT_CONFIG_PATH,
  loadCompareConfig,
} from "./config.ts";
import { type CompareRow, evaluate, failed, markdownSummary, unknownThresholds } from "./eval.ts";
import { compareQueues } from "./queue.ts";

export const DEFAULT_SEED = 20260101;

export const USAGE = `Usage: bun run compare [--seed N] [--out DIR] [--config FILE] [--only allocator|queue]

Runs every registered allocator and queue through its correctness checks and a
short measurement (side by side, ${"`repeats`"} times), prints one Markdown table per
contract with ratios to the baseline (naive, message-port), appends it to
$GITHUB_STEP_SUMMARY when set, and exits non-zero when an invariant breaks or
a ratio falls below its threshold in the config.

  --seed N        seed for every check and workload (default ${DEFAULT_SEED}; printed)
  --out DIR       where compare.md and compare.json go (default: a new temp dir;
                  refused inside results/)
  --config FILE   thresholds and sizes (default: ${DEFAULT_CONFIG_PATH})
  --only KIND     run only the allocator or the queue contract
  --base REF      instead: regression detection against commit REF (bun run compare --base REF --help)
  --help          this text`;

export class UsageError extends Error {
  override name = "UsageError";
}

export interface CompareArgs {
  seed: number;
  outDir: string | null;
  configPath: string;
  only: "allocator" | "queue" | null;
  help: boolean;
}

export function parseCompareArgs(argv: string[]): CompareArgs {
  let values: Record<string, string | boolean | undefined>;
  try {
    values = parseArgs({
      args: argv,
      options: {
        seed: { type: "string" },
        out: { type: "string" },
        config: { type: "string" },
        only: { type: "string" },
        help: { type: "boolean", short: "h" },
      },
      strict: true,
      allowPositionals: false,
    }).values;
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  let seed = DEFAULT_SEED;
  if (values.seed !== undefined) {
    const s = String(values.seed);
    if (!/^\d+$/.test(s) || Number(s) > 0xffffffff)
      throw new UsageError(`--seed: expected an integer in [0, 4294967295], got "${s}"`);
    seed = Number(s);
  }
  const only = values.only === undefined ? null : String(values.only);
  if (only !== null && only !== "allocator" && only !== "queue")
    throw new UsageError(`--only: expected "allocator" or "queue", got "${only}"`);
  const out = values.out === undefined ? null : String(values.out);
  if (out !== null) {
    if (out.trim() === "") throw new UsageError("--out: needs a directory, got an empty value");
    const rel = relative(resolve("results"), resolve(out));
    if (rel === "" || (!rel.startsWith("..") && !rel.startsWith("/")))
      throw new UsageError(
        `--out ${out}: refused, it is inside results/ (compare never writes over results)`,
      );
  }
  return {
    seed,
    outDir: out,
    configPath: values.config === undefined ? DEFAULT_CONFIG_PATH : String(values.config),
    only: only as CompareArgs["only"],
    help: values.help === true,
  };
}

async function runAll(
  cfg: CompareConfig,
  args: CompareArgs,
  log: (s: string) => void,
): Promise<CompareRow[]> {
  const rows: CompareRow[] = [];
  if (args.only !== "queue") rows.push(...(await compareAllocators(cfg, args.seed, log)));
  if (args.only !== "allocator") rows.push(...(await compareQueues(cfg, args.seed, log)));
  return rows;
}

async function main(): Promise<number> {
  const argv = Bun.argv.slice(2);
  // Regression detection between commits has its own flags (base-main.ts).
  if (argv.some((a) => a === "--base" || a.startsWith("--base="))) return compareBase(argv);
  let args: CompareArgs;
  let cfg: CompareConfig;
  try {
    args = parseCompareArgs(argv);
    if (args.help) {
      console.log(USAGE);
      return 0;
    }
    cfg = loadCompareConfig(args.configPath);
  } catch (err) {
    // A bad file is not a bad command line: one line naming the file and key, no usage text.
    if (err instanceof ConfigError) {
      console.error(`compare: ${err.message}`);
      return 2;
    }
    if (err instanceof UsageError) {
      console.error(`compare: ${err.message}\n\n${USAGE}`);
      return 2;
    }
    throw err;
  }
  const outDir = args.outDir ?? mkdtempSync(join(tmpdir(), "eventlab-compare-"));
  mkdirSync(outDir, { recursive: true });
  const started = Date.now();
  console.log(`compare: seed ${args.seed}, ${cfg.repeats} repetitions, output in ${outDir}`);
  const rows = await runAll(cfg, args, (line) => console.log(line));
  const thresholds =
    args.only === "allocator"
      ? cfg.allocator.minRatio
      : args.only === "queue"
        ? cfg.queue.minRatio
        : { ...cfg.allocator.minRatio, ...cfg.queue.minRatio };
  const verdicts = evaluate(rows, thresholds);
  const stale = unknownThresholds(rows, thresholds);
  const seconds = ((Date.now() - started) / 1000).toFixed(0);
  const header = `Seed ${args.seed}, ${cfg.repeats} repetitions, ${seconds} s, Bun ${Bun.version}. Thresholds: ${args.configPath}. Rerun: \`bun run compare --seed ${args.seed}\`.`;
  const md = markdownSummary(
    verdicts,
    { allocator: cfg.allocator.baseline, queue: cfg.queue.baseline },
    header,
    stale,
  );
  console.log(`\n${md}`);
  writeFileSync(join(outDir, "compare.md"), md);
  writeFileSync(
    join(outDir, "compare.json"),
    `${JSON.stringify({ seed: args.seed, config: cfg, bunVersion: Bun.version, rows, verdicts: verdicts.map(({ row, ...v }) => ({ id: row.id, ...v })) }, null, 2)}\n`,
  );
  const summaryFile = process.env.GITHUB_STEP_SUMMARY;
  if (summaryFile) appendFileSync(summaryFile, md);
  const bad = failed(verdicts, stale);
  console.log(`compare: ${bad ? "FAILED" : "passed"} (${outDir}/compare.md)`);
  return bad ? 1 : 0;
}

if (import.meta.main) process.exit(await main());
