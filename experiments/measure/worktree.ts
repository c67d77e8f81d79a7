/**
 * A git worktree of another commit for `compare --base REF`: the base code is
 * checked out in a temporary directory beside the current one, installed from
 * its own lockfile, used, and removed afterwards: on return, on a throw, and
 * on Ctrl-C or SIGTERM (a handler removes it synchronously, then exits with
 * 128 + the signal's number, as a shell would). A REF git cannot resolve to
 * a commit is refused before anything is created, with an error naming it.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** Longest `bun install --frozen-lockfile` in the worktree may take. */
export const INSTALL_TIMEOUT_MS = 300_000;
/** Longest one git command may take. */
export const GIT_TIMEOUT_MS = 60_000;

export class WorktreeError extends Error {
  override name = "WorktreeError";
}

export interface Worktree {
  /** The worktree's directory (a fresh temp dir). */
  dir: string;
  /** The full commit id REF resolved to. */
  commit: string;
  ref: string;
}

export interface WorktreeOptions {
  /** Repository to take REF from (default: the current directory). */
  repoDir?: string;
  /** Run `bun install --frozen-lockfile` in the worktree (default true). */
  install?: boolean;
  /** Where progress lines go. */
  log?: (line: string) => void;
}

function run(cmd: string, args: string[], cwd: string, timeoutMs = GIT_TIMEOUT_MS) {
  const r = spawnSync(cmd, args, { cwd, encoding: "utf8", timeout: timeoutMs });
  return {
    ok: r.status === 0,
    out: (r.stdout ?? "").trim(),
    err: (r.stderr ?? "").trim() || String(r.error ?? ""),
  };
}

/** The commit REF names in repoDir, or a WorktreeError saying REF is not one. */
export function resolveCommit(ref: string, repoDir: string): string {
  if (ref.trim() === "" || ref.startsWith("-"))
    throw new WorktreeError(`--base "${ref}": not a git revision`);
  const r = run("git", ["rev-parse", "--verify", "--quiet", `${ref}^{commit}`], repoDir);
  if (!r.ok || !/^[0-9a-f]{40,64}$/.test(r.out))
    throw new WorktreeError(
      `--base ${ref}: no such commit in ${repoDir} (git rev-parse found none)`,
    );
  return r.out;
}

/** Removes the worktree and its directory; safe to call twice, never throws. */
export function removeWorktree(dir: string, repoDir: string): void {
  run("git", ["worktree", "remove", "--force", dir], repoDir);
  rmSync(dir, { recursive: true, force: true });
  run("git", ["worktree", "prune"], repoDir);
}

const SIGNAL_EXIT: Record<"SIGINT" | "SIGTERM", number> = { SIGINT: 130, SIGTERM: 143 };

/**
 * Creates a worktree of REF, installs it, runs fn in it and removes it
 * whatever happens. Returns fn's result.
 */
export async function withWorktree<T>(
  ref: string,
  fn: (wt: Worktree) => Promise<T> | T,
  opts: WorktreeOptions = {},
): Promise<T> {
  const repoDir = opts.repoDir ?? process.cwd();
  const log = opts.log ?? (() => {});
  const commit = resolveCommit(ref, repoDir);
  const dir = mkdtempSync(join(tmpdir(), "eventlab-base-"));
  const onSignal = (sig: "SIGINT" | "SIGTERM") => {
    removeWorktree(dir, repoDir);
    process.exit(SIGNAL_EXIT[sig]);
  };
  const handlers = {
    SIGINT: () => onSignal("SIGINT"),
    SIGTERM: () => onSignal("SIGTERM"),
  };
  process.on("SIGINT", handlers.SIGINT);
  process.on("SIGTERM", handlers.SIGTERM);
  try {
    const add = run("git", ["worktree", "add", "--detach", dir, commit], repoDir);
    if (!add.ok)
      throw new WorktreeError(`git worktree add ${commit.slice(0, 12)} failed: ${add.err}`);
    log(`base ${ref} = ${commit.slice(0, 12)} checked out in ${dir}`);
    if (opts.install ?? true) {
      // Without a lockfile `bun install --frozen-lockfile` resolves afresh and succeeds,
      // which would measure the base with other dependency versions than it pinned.
      if (!existsSync(join(dir, "bun.lock")) && !existsSync(join(dir, "bun.lockb")))
        throw new WorktreeError(
          `--base ${ref}: ${commit.slice(0, 12)} has no bun.lock to install from`,
        );
      const inst = run("bun", ["install", "--frozen-lockfile"], dir, INSTALL_TIMEOUT_MS);
      if (!inst.ok)
        throw new WorktreeError(
          `bun install --frozen-lockfile in the worktree of ${ref} failed: ${inst.err}`,
        );
      log(`base ${ref}: installed from its lockfile`);
    }
    return await fn({ dir, commit, ref });
  } finally {
    process.off("SIGINT", handlers.SIGINT);
    process.off("SIGTERM", handlers.SIGTERM);
    removeWorktree(dir, repoDir);
  }
}
