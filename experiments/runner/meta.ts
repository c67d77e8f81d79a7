/**
 * Run metadata written next to each CSV as <experiment>.meta.json: where and
 * how the rows were measured (git sha and dirty flag, Bun, OS, CPU, cores),
 * with what (profile, seed, grid, shard, repeats) and how it ended.
 */
import { existsSync, readFileSync } from "node:fs";
import os from "node:os";
import { z } from "zod";

export const HostSchema = z.object({
  gitSha: z.string(),
  gitDirty: z.boolean(),
  bunVersion: z.string(),
  os: z.string(),
  cpuModel: z.string(),
  cores: z.number().int(),
});
export type Host = z.infer<typeof HostSchema>;

export const ShardSchema = z.object({
  index: z.number().int().min(0),
  count: z.number().int().min(1),
});
export type Shard = z.infer<typeof ShardSchema>;

export const RunMetaSchema = z.object({
  experiment: z.string(),
  description: z.string(),
  /** The command line that produced the run (absent for runs started from code). */
  command: z.string().optional(),
  host: HostSchema,
  /** ISO 8601 start time. */
  date: z.string(),
  profile: z.enum(["quick", "full"]),
  seed: z.number().int(),
  repeats: z.number().int().min(1),
  /** Repetitions of the headline ratios' points when the experiment asks for more (Headline.repeats). */
  headlineRepeats: z.number().int().min(1).optional(),
  /** How many grid points those are. */
  headlinePoints: z.number().int().min(0).optional(),
  /** The validated grid blocks of the profile. */
  grid: z.array(z.record(z.string(), z.array(z.unknown()))),
  pointsInGrid: z.number().int(),
  pointsSkipped: z.array(
    z.object({ point: z.record(z.string(), z.unknown()), reason: z.string() }),
  ),
  /** 0-based shard, or null when the whole grid ran. */
  shard: ShardSchema.nullable(),
  pointsInShard: z.number().int(),
  rows: z.number().int(),
  failures: z.array(
    z.object({
      point: z.record(z.string(), z.unknown()),
      repeat: z.number().int(),
      error: z.string(),
    }),
  ),
  isolation: z.string(),
  durationS: z.number(),
  interrupted: z.boolean(),
  /** Set on merged metadata: the shard metadata it was merged from. */
  mergedFrom: z.array(z.record(z.string(), z.unknown())).optional(),
});
export type RunMeta = z.infer<typeof RunMetaSchema>;

function git(args: string[]): string | null {
  const r = Bun.spawnSync(["git", ...args], { stdout: "pipe", stderr: "ignore" });
  return r.exitCode === 0 ? r.stdout.toString().trim() : null;
}

function cpuModel(): string {
  const model = os.cpus()[0]?.model?.trim();
  if (model) return model;
  // Some containers report no model through os.cpus(); /proc/cpuinfo still has it.
  if (existsSync("/proc/cpuinfo")) {
    const m = /model name\s*:\s*(.+)/.exec(readFileSync("/proc/cpuinfo", "utf8"));
    if (m?.[1]) return m[1].trim();
  }
  return "unknown";
}

let cachedHost: Host | null = null;

/** The host and checkout this process runs on (computed once). */
export function collectHost(): Host {
  if (cachedHost) return cachedHost;
  const sha = git(["rev-parse", "HEAD"]) ?? "unknown";
  // Dirty means tracked files differ from HEAD; untracked files and the run outputs (results/,
  // reports/: the first reference run's fresh files during the repeat run) do not count.
  const status = git([
    "status",
    "--porcelain",
    "--untracked-files=no",
    "--",
    ".",
    ":(exclude)results",
    ":(exclude)reports",
  ]);
  cachedHost = {
    gitSha: sha,
    gitDirty: status === null ? true : status.length > 0,
    bunVersion: Bun.version,
    os: `${os.platform()} ${os.release()} ${os.arch()}`,
    cpuModel: cpuModel(),
    cores: navigator.hardwareConcurrency || os.cpus().length,
  };
  return cachedHost;
}
