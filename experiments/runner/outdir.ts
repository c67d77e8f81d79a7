/**
 * Where a run writes, and what its meta may say about it. Ad hoc runs go to a
 * fresh run directory (runs/<UTC time>-<short sha>/, git-ignored) so they
 * never replace the committed reference in results/, which only
 * `bun run experiments --reference` writes, from a clean checkout.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { RunMetaSchema } from "./meta.ts";

/** Parent of every ad hoc run directory (listed in .gitignore). */
export const RUNS_DIR = "runs";
/** Where the reference lives; only --reference writes it. */
export const REFERENCE_DIR = "results";
/** The second reference run of the same commit (the report's Reproducibility section); only --reference-repeat writes it. */
export const REFERENCE_REPEAT_DIR = join(REFERENCE_DIR, "repeat");
/**
 * What a run writes, not what it measures: changes under these do not make a
 * checkout dirty for the repeat reference run (the first run's fresh results
 * and report sit there, committed or not).
 */
export const OUTPUT_DIRS = [REFERENCE_DIR, "reports"] as const;
const EXCLUDE_OUTPUTS = OUTPUT_DIRS.map((d) => `:(exclude)${d}`);

function git(args: string[]): { ok: boolean; out: string } {
  const r = Bun.spawnSync(["git", ...args], { stdout: "pipe", stderr: "ignore" });
  // Only the end is trimmed: porcelain lines start with a significant status column.
  return { ok: r.exitCode === 0, out: r.stdout.toString().trimEnd() };
}

/** "20261204T135900Z": sortable, no characters a shell or a file system minds. */
export function utcStamp(now: Date): string {
  return now
    .toISOString()
    .replace(/\.\d+Z$/, "Z")
    .replace(/[-:]/g, "");
}

/** A new run directory name: runs/<UTC time>-<short sha> ("nogit" outside a checkout). */
export function newRunDir(now = new Date()): string {
  const sha = git(["rev-parse", "--short", "HEAD"]);
  return join(RUNS_DIR, `${utcStamp(now)}-${sha.ok && sha.out ? sha.out : "nogit"}`);
}

/**
 * null when `dir` can hold the run's files (created when missing), else why
 * not, in one line: e.g. a path under a regular file, or no write permission.
 */
export function unusableDirReason(dir: string): string | null {
  const probe = join(dir, `.eventlab-write-probe-${process.pid}`);
  try {
    mkdirSync(dir, { recursive: true });
    writeFileSync(probe, "");
    rmSync(probe);
    return null;
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    return `cannot write to ${dir}: ${e.code ?? "error"} (${(e.message.split("\n")[0] ?? "").replace(/^\w+: /, "")})`;
  }
}

/**
 * null when the checkout is clean (nothing modified, staged or untracked
 * outside .gitignore), else why the reference cannot come from it.
 */
export function dirtyTreeReason(ignoreOutputs = false): string | null {
  const status = git([
    "status",
    "--porcelain",
    ...(ignoreOutputs ? ["--", ".", ...EXCLUDE_OUTPUTS] : []),
  ]);
  if (!status.ok) return "not inside a git checkout: the reference must name the commit it ran";
  if (status.out === "") return null;
  const files = status.out.split("\n");
  return `the working tree is not clean (${files.length} changed or untracked: ${files
    .slice(0, 3)
    .map((l) => l.slice(3))
    .join(
      ", ",
    )}${files.length > 3 ? ", ..." : ""}); commit or stash first: the reference must come from one commit`;
}

/**
 * null when the repeat reference run may start, else why not: results/ must
 * hold a clean full reference run of every experiment in `names`, all from one
 * commit, and that commit must be HEAD or differ from it only in OUTPUT_DIRS
 * (e.g. the commit of the first run's results); the checkout must be clean
 * outside OUTPUT_DIRS.
 */
export function repeatRefusal(names: readonly string[]): string | null {
  const shas = new Set<string>();
  for (const name of names) {
    const path = join(REFERENCE_DIR, `${name}.meta.json`);
    if (!existsSync(path))
      return `${path} not found: run \`bun run experiments --reference\` first (the repeat is compared with it)`;
    const meta = RunMetaSchema.safeParse(JSON.parse(readFileSync(path, "utf8")));
    if (!meta.success) return `${path} is not a run meta file`;
    if (meta.data.profile !== "full" || meta.data.shard !== null || meta.data.interrupted)
      return `${path} is not a whole full-profile run; rerun \`bun run experiments --reference\``;
    if (meta.data.host.gitDirty) return `${path} says its checkout was dirty; rerun the reference`;
    shas.add(meta.data.host.gitSha);
  }
  if (shas.size > 1)
    return `${REFERENCE_DIR}/ mixes runs of ${shas.size} commits (${[...shas].map((s) => s.slice(0, 7)).join(", ")}); rerun the reference`;
  const sha = [...shas][0];
  const head = git(["rev-parse", "HEAD"]);
  if (!head.ok) return "not inside a git checkout: the repeat must name the commit it ran";
  if (sha !== undefined && sha !== head.out) {
    const changed = git(["diff", "--name-only", sha, head.out]);
    if (!changed.ok)
      return `${REFERENCE_DIR}/ is from commit ${sha.slice(0, 7)}, which this checkout does not have`;
    const code = changed.out
      .split("\n")
      .filter((f) => f !== "" && !OUTPUT_DIRS.some((d) => f.startsWith(`${d}/`)));
    if (code.length > 0)
      return `${REFERENCE_DIR}/ is from commit ${sha.slice(0, 7)} and HEAD (${head.out.slice(0, 7)}) changed ${code.length} file(s) since (${code.slice(0, 3).join(", ")}${code.length > 3 ? ", ..." : ""}); the two runs must measure one commit`;
  }
  const dirty = dirtyTreeReason(true);
  return dirty ? dirty.replace("the reference must", "the repeat must") : null;
}

/**
 * The command recorded in a meta file: what was typed, minus --out and its
 * value (the meta sits in that directory; a scratch path would only mislead).
 */
export function recordedCommand(prefix: string, argv: readonly string[]): string {
  const kept: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === "--out") {
      i++;
      continue;
    }
    if (a.startsWith("--out=")) continue;
    kept.push(a);
  }
  return [prefix, ...kept].join(" ");
}
