/**
 * `bun run experiments`: runs experiment sweeps into CSV + metadata, or
 * merges shard outputs. See USAGE in runner/args.ts.
 */
import { join } from "node:path";
import { runDiffCli } from "./measure/diff-cli.ts";
import {
  experimentNames,
  experiments,
  extraExperiments,
  findExperiment,
  UnknownExperimentError,
} from "./registry.ts";
import { reproducibility, reproMarkdown } from "./report/repro.ts";
import { parseArgs, type RunArgs, USAGE, UsageError } from "./runner/args.ts";
import { GridError } from "./runner/grid.ts";
import { experimentHelp } from "./runner/help.ts";
import { experimentsIn, MergeError, mergeExperiment } from "./runner/merge.ts";
import {
  dirtyTreeReason,
  newRunDir,
  REFERENCE_DIR,
  REFERENCE_REPEAT_DIR,
  recordedCommand,
  repeatRefusal,
  unusableDirReason,
} from "./runner/outdir.ts";
import { createProgress } from "./runner/progress.ts";
import { type Plan, planExperiment, planUnits, runPlan } from "./runner/run.ts";
import type { Experiment } from "./runner/types.ts";
import { headlineMetrics, PROFILES } from "./runner/types.ts";

function fail(code: number, message: string, usageHint = code === 2): never {
  console.error(`experiments: ${message}`);
  if (usageHint) console.error("run `bun run experiments --help` for usage");
  process.exit(code);
}

function listExperiments(): void {
  for (const name of experimentNames()) {
    const exp = findExperiment(name);
    const sizes = PROFILES.map((profile) => {
      try {
        const plan = planExperiment(exp, { profile, shard: null });
        const skipped = plan.grid.skipped.length ? ` (+${plan.grid.skipped.length} skipped)` : "";
        const headline = plan.headlineIndices.length
          ? ` (its ${plan.headlineIndices.length} headline-ratio points x ${plan.headlineRepeats})`
          : "";
        return `${profile} ${plan.grid.points.length} points${skipped} x ${plan.repeats}${headline}`;
      } catch (err) {
        return `${profile} ? (${(err as Error).message.split("\n")[0]})`;
      }
    });
    const tag = experiments.includes(exp) ? "" : " (not in the default set)";
    console.log(
      `${name}${tag}: ${exp.description}\n    ${sizes.join("; ")}; isolation ${exp.isolation}`,
    );
  }
}

/** The directory a run writes to, checked usable; exits 2 with one line when it is not. */
function chooseOutDir(
  requested: string | null,
  reference: boolean,
  referenceRepeat = false,
  names: readonly string[] = [],
): string {
  if (referenceRepeat) {
    const why = repeatRefusal(names);
    if (why) fail(2, `--reference-repeat refused: ${why}`, false);
  } else if (reference) {
    const dirty = dirtyTreeReason();
    if (dirty) fail(2, `--reference refused: ${dirty}`, false);
  }
  const dir = referenceRepeat
    ? REFERENCE_REPEAT_DIR
    : reference
      ? REFERENCE_DIR
      : (requested ?? newRunDir());
  const why = unusableDirReason(dir);
  if (why) fail(2, `--out: ${why}`, false);
  return dir;
}

/** What to do with a finished run: where it is, its report, the comparison with the reference. */
function nextSteps(outDir: string, reference: boolean): string {
  if (reference)
    return `reference written to ${outDir}/; rebuild the committed report with: bun run reports${outDir === REFERENCE_REPEAT_DIR ? " (its Reproducibility section compares results/ with results/repeat/)" : ""}`;
  return [
    `run directory: ${outDir}`,
    `  build its report:            bun run reports --from ${outDir}   (writes ${join(outDir, "report")}/)`,
    `  compare with the reference:  diff -u reports/README.md ${join(outDir, "report", "README.md")}`,
  ].join("\n");
}

async function runExperiments(args: RunArgs): Promise<number> {
  let selected: Experiment[];
  try {
    selected = args.names.length > 0 ? args.names.map(findExperiment) : [...experiments];
  } catch (err) {
    if (err instanceof UnknownExperimentError) fail(2, err.message);
    throw err;
  }
  if (selected.length === 0) fail(2, "no experiments registered");
  let plans: Plan[];
  try {
    plans = selected.map((exp) =>
      planExperiment(exp, {
        profile: args.profile,
        shard: args.shard,
        repeats: args.repeats ?? undefined,
      }),
    );
  } catch (err) {
    if (err instanceof GridError) fail(2, err.message);
    throw err;
  }
  const outDir = chooseOutDir(
    args.outDir,
    args.reference,
    args.referenceRepeat,
    selected.map((e) => e.name),
  );
  const seed = args.seed ?? crypto.getRandomValues(new Uint32Array(1))[0]!;
  const shardText = args.shard ? `, shard ${args.shard.index}/${args.shard.count}` : "";
  console.log(
    `experiments: profile ${args.profile}, seed ${seed} (rerun with --seed ${seed}), out ${outDir}${shardText}`,
  );
  for (const p of plans) {
    console.log(
      `  ${p.exp.name}: ${p.indices.length} points x ${p.repeats} repeats${p.headlineIndices.length ? `, then its ${p.headlineIndices.length} headline-ratio points to ${p.headlineRepeats} repeats` : ""} (${p.exp.isolation})`,
    );
    const reasons = new Map<string, number>();
    for (const s of p.grid.skipped) reasons.set(s.reason, (reasons.get(s.reason) ?? 0) + 1);
    for (const [reason, n] of reasons) console.log(`    skipped ${n} grid points: ${reason}`);
  }

  const controller = new AbortController();
  let sigints = 0;
  process.on("SIGINT", () => {
    sigints++;
    if (sigints > 1) process.exit(130);
    console.error(
      "\ninterrupted: aborting the current point, keeping finished rows (Ctrl-C again to quit now)",
    );
    controller.abort();
  });
  const progress = createProgress(
    plans.reduce((n, p) => n + planUnits(p), 0),
    { quiet: args.quiet },
  );
  let failures = 0;
  let interrupted = false;
  const summary: string[] = [];
  for (const plan of plans) {
    // Not even started: leave its previous results in place rather than replace them with nothing.
    if (controller.signal.aborted) {
      interrupted = true;
      break;
    }
    const meta = await runPlan(plan, {
      profile: args.profile,
      seed,
      outDir,
      shard: args.shard,
      signal: controller.signal,
      progress,
      command: recordedCommand("bun run experiments", process.argv.slice(2)),
    });
    failures += meta.failures.length;
    interrupted ||= meta.interrupted;
    summary.push(
      `  ${join(outDir, `${plan.exp.name}.csv`)}: ${meta.rows} rows, ${meta.failures.length} failed, ${meta.durationS.toFixed(1)} s${meta.interrupted ? " (interrupted)" : ""}`,
    );
    if (meta.interrupted) break;
  }
  progress.stop();
  console.log(summary.join("\n"));
  console.log(`seed ${seed}`);
  console.log(nextSteps(outDir, args.reference));
  if (interrupted) return 130;
  return failures > 0 ? 1 : 0;
}

function runMerge(dirs: string[], requestedOut: string | null): number {
  const known = [...experiments, ...experimentNames().map(findExperiment)].filter(
    (e, i, all) => all.indexOf(e) === i,
  );
  const outDir = chooseOutDir(requestedOut, false);
  try {
    const found = experimentsIn(dirs, known);
    if (found.length === 0) fail(1, `no experiment CSVs in ${dirs.join(", ")}`);
    for (const exp of found) {
      const s = mergeExperiment(exp, dirs, outDir);
      const missing = s.missingShards.length
        ? `; MISSING shards ${s.missingShards.join(", ")}`
        : "";
      console.log(
        `${join(outDir, `${exp.name}.csv`)}: ${s.rows} rows from shards ${s.shards.join(", ")}${missing}`,
      );
    }
  } catch (err) {
    if (err instanceof MergeError) fail(1, err.message);
    throw err;
  }
  console.log(nextSteps(outDir, false));
  return 0;
}

async function main(): Promise<number> {
  // `diff` has its own flags and usage (measure/diff-cli.ts).
  if (process.argv[2] === "diff")
    return runDiffCli(
      process.argv.slice(3),
      headlineMetrics([...experiments, ...extraExperiments]),
      (a, b) =>
        `${reproMarkdown(reproducibility(experiments, a, b))
          .join("\n")
          .trimEnd()}\n`,
    );
  let args: ReturnType<typeof parseArgs>;
  try {
    args = parseArgs(process.argv.slice(2));
  } catch (err) {
    if (err instanceof UsageError) fail(2, err.message);
    throw err;
  }
  if (args.help) {
    // With one experiment named, its own help (e.g. `bun run raft:election --help`).
    if (args.command === "run" && args.names.length === 1) {
      try {
        console.log(experimentHelp(findExperiment(args.names[0]!)));
        return 0;
      } catch (err) {
        if (err instanceof UnknownExperimentError) fail(2, err.message);
        throw err;
      }
    }
    console.log(USAGE);
    return 0;
  }
  if (args.command === "merge") return runMerge(args.dirs, args.outDir);
  if (args.list) {
    listExperiments();
    return 0;
  }
  return runExperiments(args);
}

process.exit(await main());
