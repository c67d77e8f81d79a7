/**
 * Where a run writes, and what its meta may say about it. Ad hoc runs go to a
 * fresh run directory (runs/<UTC time>-<short sha>/, git-ignored) so they
 * never replace the committed reference in results/, which only
 * `bun run experiments --reference` writes, from a clean checkout.
 */
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/** Parent of every ad hoc run directory (listed in .gitignore). */
export const RUNS_DIR = "runs";
/** Where the reference lives; only --reference writes it. */
export const REFERENCE_DIR = "results";

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
export function dirtyTreeReason(): string | null {
  const status = git(["status", "--porcelain"]);
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
