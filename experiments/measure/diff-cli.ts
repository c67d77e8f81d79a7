/**
 * `bun run experiments diff DIR_A DIR_B [--metric COL:higher|lower]
 * [--threshold F] [--seed N] [--out FILE]`: prints the point-by-point
 * comparison of two run directories (diff-dir.ts). Exit 0 when compared, 2 on
 * bad input (one line naming what was wrong).
 */
import { writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { DEFAULT_CHANGE_THRESHOLD } from "./base-head.ts";
import type { HeadlineMetrics } from "./diff.ts";
import { DiffInputError, diffDirs, dirDiffMarkdown, parseMetric } from "./diff-dir.ts";
import { DEFAULT_BOOTSTRAP_SEED } from "./estimate.ts";

export const DIFF_USAGE = `Usage: bun run experiments diff DIR_A DIR_B [options]

Compares two result directories point by point: for every grid point of every
experiment in both, B/A of the headline metric (median over repetitions) with a
95% bootstrap interval; points whose interval lies wholly beyond the threshold
are marked as changed beyond the noise; then each experiment's headline ratios
in both runs (estimate, 95% interval, overlap, half-width against 10%).
Markdown to stdout. The metrics and ratios are those each experiment declares
(its definition's headline).

  --metric COL:higher|lower  the column to compare (default: each experiment's declared headline metrics)
  --threshold F              margin of "beyond the noise" (default ${DEFAULT_CHANGE_THRESHOLD})
  --seed N                   bootstrap seed (default ${DEFAULT_BOOTSTRAP_SEED}; printed)
  --out FILE                 also write the Markdown to FILE
  --help                     this text`;

/**
 * `headlines`: each experiment's declared headline metrics (experiments/cli.ts passes the registry's);
 * `more`: Markdown appended after the point tables (the entry point adds the headline ratios).
 */
export function runDiffCli(
  argv: string[],
  headlines: HeadlineMetrics = {},
  more?: (dirA: string, dirB: string) => string,
): number {
  try {
    const { values, positionals } = parseArgs({
      args: argv,
      options: {
        metric: { type: "string" },
        threshold: { type: "string" },
        seed: { type: "string" },
        out: { type: "string" },
        help: { type: "boolean", short: "h" },
      },
      allowPositionals: true,
      strict: true,
    });
    if (values.help) {
      console.log(DIFF_USAGE);
      return 0;
    }
    if (positionals.length !== 2)
      throw new DiffInputError(`expected two directories, got ${positionals.length}`);
    const threshold =
      values.threshold === undefined ? DEFAULT_CHANGE_THRESHOLD : Number(values.threshold);
    if (!(threshold >= 0 && threshold < 1))
      throw new DiffInputError(`--threshold ${values.threshold}: expected a number in [0, 1)`);
    const seed = values.seed === undefined ? DEFAULT_BOOTSTRAP_SEED : Number(values.seed);
    if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff)
      throw new DiffInputError(`--seed ${values.seed}: expected an integer in [0, 4294967295]`);
    const metric = values.metric === undefined ? undefined : parseMetric(values.metric);
    const [dirA, dirB] = [positionals[0]!, positionals[1]!];
    const md =
      dirDiffMarkdown(diffDirs(dirA, dirB, { threshold, seed, metric, headlines })) +
      (more ? more(dirA, dirB) : "");
    process.stdout.write(md);
    if (values.out) writeFileSync(values.out, md);
    return 0;
  } catch (err) {
    if (
      err instanceof DiffInputError ||
      (err as { code?: string }).code?.startsWith("ERR_PARSE_ARGS")
    ) {
      console.error(`experiments diff: ${(err as Error).message}`);
      return 2;
    }
    throw err;
  }
}
