/**
 * The worktree handling of `compare --base REF` (experiments/measure/worktree.ts),
 * on a throwaway git repository made in a temp dir (never the project's own):
 * a REF that names no commit is refused with an error naming it and creates
 * nothing; the worktree holds REF's files (not the current ones), is
 * installed with `bun install --frozen-lockfile`, and is removed (directory
 * and git's record of it) after a normal return, after a throw, after a
 * failed install, and when the process gets SIGINT (Ctrl-C) or SIGTERM: a
 * child process holds a worktree and is signalled. `bun run compare --base`
 * with a bad or empty REF exits 2 naming it.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { resolveCommit, WorktreeError, withWorktree } from "../experiments/measure/worktree.ts";

let repo = "";
const FIXTURE_PACKAGE =
  '{ "name": "wt-fixture", "private": true, "dependencies": { "zod": "^4.0.0" } }\n';
let firstCommit = "";

function git(...args: string[]): string {
  const r = spawnSync("git", args, { cwd: repo, encoding: "utf8" });
  if (r.status !== 0) throw new Error(`git ${args.join(" ")}: ${r.stderr}`);
  return r.stdout.trim();
}

function worktreeDirs(): string[] {
  return git("worktree", "list", "--porcelain")
    .split("\n")
    .filter((l) => l.startsWith("worktree "))
    .map((l) => l.slice("worktree ".length))
    .filter((d) => d !== repo);
}

beforeAll(() => {
  repo = mkdtempSync(join(tmpdir(), "eventlab-wt-test-"));
  git("init", "-q", "-b", "main");
  git("config", "user.email", "test@example.invalid");
  git("config", "user.name", "test");
  writeFileSync(join(repo, "package.json"), FIXTURE_PACKAGE);
  // one dependency the project already uses, so bun.lock is written (bun drops an empty one)
  const inst = spawnSync("bun", ["install"], { cwd: repo, encoding: "utf8" });
  if (inst.status !== 0) throw new Error(`bun install in the fixture repo: ${inst.stderr}`);
  writeFileSync(join(repo, ".gitignore"), "node_modules\n");
  writeFileSync(join(repo, "version.txt"), "base\n");
  git("add", "-A");
  git("commit", "-q", "-m", "base");
  firstCommit = git("rev-parse", "HEAD");
  writeFileSync(join(repo, "version.txt"), "head\n");
  git("commit", "-q", "-am", "head");
});

afterAll(() => {
  if (repo) rmSync(repo, { recursive: true, force: true });
});

describe("withWorktree", () => {
  test("a REF that is no commit is refused, naming it, and nothing is created", async () => {
    expect(() => resolveCommit("no-such-branch", repo)).toThrow(WorktreeError);
    let ran = false;
    await expect(
      withWorktree(
        "no-such-branch",
        () => {
          ran = true;
        },
        { repoDir: repo },
      ),
    ).rejects.toThrow(/--base no-such-branch: no such commit/);
    await expect(withWorktree("--help", () => {}, { repoDir: repo })).rejects.toThrow(
      /not a git revision/,
    );
    expect(ran).toBe(false);
    expect(worktreeDirs()).toEqual([]);
  });

  test("holds REF's files, installs from the lockfile, and is removed after", async () => {
    const seen = await withWorktree(
      "HEAD~1",
      (wt) => {
        expect(wt.commit).toBe(firstCommit);
        expect(readFileSync(join(wt.dir, "version.txt"), "utf8")).toBe("base\n");
        expect(existsSync(join(wt.dir, "bun.lock"))).toBe(true);
        expect(worktreeDirs()).toHaveLength(1);
        return wt.dir;
      },
      { repoDir: repo },
    );
    expect(existsSync(seen)).toBe(false);
    expect(worktreeDirs()).toEqual([]);
  });

  test("is removed when the work throws, and the error comes through", async () => {
    let dir = "";
    await expect(
      withWorktree(
        firstCommit,
        (wt) => {
          dir = wt.dir;
          throw new Error("benchmark blew up");
        },
        { repoDir: repo, install: false },
      ),
    ).rejects.toThrow("benchmark blew up");
    expect(dir).not.toBe("");
    expect(existsSync(dir)).toBe(false);
    expect(worktreeDirs()).toEqual([]);
  });

  test("a failed frozen-lockfile install is an error naming the REF; the worktree is removed", async () => {
    writeFileSync(
      join(repo, "package.json"),
      FIXTURE_PACKAGE.replace('"zod": "^4.0.0"', '"zod": "^4.0.0", "papaparse": "^5.0.0"'),
    );
    git("commit", "-q", "-am", "dependency without a lockfile entry");
    await expect(withWorktree("HEAD", () => {}, { repoDir: repo })).rejects.toThrow(
      /bun install --frozen-lockfile in the worktree of HEAD failed/,
    );
    expect(worktreeDirs()).toEqual([]);
    git("reset", "-q", "--hard", "HEAD~1");
  });

  test("a REF without bun.lock is refused rather than installed afresh", async () => {
    git("rm", "-q", "bun.lock");
    git("commit", "-q", "-m", "no lockfile");
    await expect(withWorktree("HEAD", () => {}, { repoDir: repo })).rejects.toThrow(
      /has no bun.lock to install from/,
    );
    expect(worktreeDirs()).toEqual([]);
    git("reset", "-q", "--hard", "HEAD~1");
  });

  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    test(`is removed when the process gets ${signal}`, async () => {
      const child = Bun.spawn(
        ["bun", join(import.meta.dir, "support", "worktree-hold.ts"), repo, firstCommit],
        { stdout: "pipe", stderr: "pipe" },
      );
      const reader = child.stdout.getReader();
      let out = "";
      while (!out.includes("\n")) {
        const { value, done } = await reader.read();
        if (done) break;
        out += new TextDecoder().decode(value);
      }
      const dir = out.match(/READY (\S+)/)?.[1] ?? "";
      expect(dir).not.toBe("");
      expect(existsSync(dir)).toBe(true);
      child.kill(signal);
      const code = await child.exited;
      expect(code).toBe(signal === "SIGINT" ? 130 : 143);
      expect(existsSync(dir)).toBe(false);
      expect(worktreeDirs()).toEqual([]);
    });
  }
});

describe("bun run compare --base", () => {
  test("a bad REF exits 2 with one line naming it; a missing REF too", () => {
    const main = join(import.meta.dir, "..", "experiments", "compare", "main.ts");
    const bad = spawnSync("bun", [main, "--base", "no-such-ref-xyz"], { encoding: "utf8" });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain("--base no-such-ref-xyz: no such commit");
    const empty = spawnSync("bun", [main, "--base="], { encoding: "utf8" });
    expect(empty.status).toBe(2);
    expect(empty.stderr).toContain("--base: needs a git revision");
  });
});
