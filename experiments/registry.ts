/**
 * The experiment registry: every experiment `bun run experiments` runs by
 * default, in run order, plus `readResults`/`readMeta` for anything that
 * reads results back (reports, compare, merge).
 *
 * This is the only list of experiments: the CLI, the report, the smoke test
 * and merge all take it from here (runner/ and report/ are libraries that get
 * it passed in). To add an experiment: make a folder experiments/<name>/ whose
 * experiment.ts does `export default defineExperiment({... module:
 * import.meta.url, section, smoke ...})` (section.ts beside it builds its
 * report section), and add it to `experiments` below.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import alloc from "./alloc/experiment.ts";
import pipeline from "./pipeline/experiment.ts";
import pipelineCommit from "./pipeline-commit/experiment.ts";
import pipelineGoodput from "./pipeline-goodput/experiment.ts";
import queue from "./queue/experiment.ts";
import raftCommit from "./raft-commit/experiment.ts";
import raftElection from "./raft-election/experiment.ts";
import raftElectionSplit from "./raft-election-split/experiment.ts";
import { parseCsv } from "./runner/csv.ts";
import { type RunMeta, RunMetaSchema } from "./runner/meta.ts";
import type { Experiment } from "./runner/types.ts";
import selftest from "./selftest/experiment.ts";
import spscMisuse from "./spsc-misuse/experiment.ts";
import wakeup from "./wakeup/experiment.ts";

/** The experiments a plain `bun run experiments` runs, in order. */
export const experiments: readonly Experiment[] = [
  // Each module's default export is an Experiment<P, M>; the list holds them by their common shape.
  alloc,
  queue,
  wakeup,
  spscMisuse,
  raftElection,
  raftElectionSplit,
  pipeline,
  pipelineGoodput,
  pipelineCommit,
  raftCommit,
];

/** Runnable by name but not part of the default set (runner self-test). */
export const extraExperiments: readonly Experiment[] = [selftest as unknown as Experiment];

export class UnknownExperimentError extends Error {
  override name = "UnknownExperimentError";
}

/** Every name `findExperiment` accepts. */
export function experimentNames(): string[] {
  return [...experiments, ...extraExperiments].map((e) => e.name);
}

/** The experiment called `name`; the error lists the valid choices. */
export function findExperiment(name: string): Experiment {
  const exp = [...experiments, ...extraExperiments].find((e) => e.name === name);
  if (!exp)
    throw new UnknownExperimentError(
      `unknown experiment "${name}"; valid choices: ${experimentNames().join(", ")}`,
    );
  return exp;
}

/** Reads and validates <dir>/<name>.csv with the experiment's rowSchema (default dir: results). */
export function readResults(name: string, dir = "results"): Record<string, unknown>[] {
  const exp = findExperiment(name);
  const path = join(dir, `${name}.csv`);
  if (!existsSync(path)) throw new Error(`${path} not found: run \`bun run experiments ${name}\``);
  return parseCsv(readFileSync(path, "utf8"), exp.rowSchema, path);
}

/** Reads and validates <dir>/<name>.meta.json. */
export function readMeta(name: string, dir = "results"): RunMeta {
  const path = join(dir, `${name}.meta.json`);
  const parsed = RunMetaSchema.safeParse(JSON.parse(readFileSync(path, "utf8")));
  if (!parsed.success) {
    const i = parsed.error.issues[0]!;
    throw new Error(`${path}: ${i.path.map(String).join(".")}: ${i.message}`);
  }
  return parsed.data;
}
