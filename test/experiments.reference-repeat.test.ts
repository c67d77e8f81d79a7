/**
 * `bun run experiments --reference-repeat` (the second reference run, into
 * results/repeat/) starts only when results/ holds a clean full reference run
 * of this commit: refused (one line, exit 2) when results/ is missing, and
 * repeatRefusal says why for a reference of another commit whose code
 * differs, for one whose commit differs from HEAD only in results/ and
 * reports/ (accepted), and for a checkout dirty outside those outputs.
 * How: throwaway git repositories as the working directory; repeatRefusal is
 * called in a child `bun` there (it reads git state from its cwd), so no
 * experiment ever runs.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "../experiments/runner/args.ts";

const ROOT = resolve(import.meta.dir, "..");
const CLI = join(ROOT, "experiments", "cli.ts");
const OUTDIR = join(ROOT, "experiments", "runner", "outdir.ts");
const SPAWN_TIMEOUT_MS = 60_000;
const scratch: string[] = [];
afterAll(() => {
  for (const d of scratch) rmSync(d, { recursive: true, force: true });
});

function repo(): { dir: string; git: (...a: string[]) => string } {
  const dir = mkdtempSync(join(tmpdir(), "eventlab-repeat-"));
  scratch.push(dir);
  const git = (...a: string[]) =>
    Bun.spawnSync(["git", "-c", "user.email=t@t", "-c", "user.name=t", ...a], {
      cwd: dir,
      stdout: "pipe",
      stderr: "ignore",
    })
      .stdout.toString()
      .trim();
  git("init", "-q");
  writeFileSync(join(dir, "code.ts"), "export const x = 1;\n");
  git("add", "-A");
  git("commit", "-qm", "code");
  return { dir, git };
}

function writeMeta(dir: string, sha: string, dirty = false): void {
  mkdirSync(join(dir, "results"), { recursive: true });
  const meta = {
    experiment: "selftest",
    description: "d",
    host: { gitSha: sha, gitDirty: dirty, bunVersion: "1", os: "linux", cpuModel: "c", cores: 2 },
    date: "2026-12-04T00:00:00Z",
    profile: "full",
    seed: 1,
    repeats: 7,
    grid: [],
    pointsInGrid: 0,
    pointsSkipped: [],
    shard: null,
    pointsInShard: 0,
    rows: 0,
    failures: [],
    isolation: "inline",
    durationS: 1,
    interrupted: false,
  };
  writeFileSync(join(dir, "results", "selftest.meta.json"), JSON.stringify(meta));
}

function refusal(cwd: string): string {
  const code = `import { repeatRefusal } from ${JSON.stringify(OUTDIR)}; console.log(repeatRefusal(["selftest"]) ?? "OK");`;
  const r = Bun.spawnSync([process.execPath, "-e", code], { cwd, stdout: "pipe", stderr: "pipe" });
  return r.stdout.toString().trim() || r.stderr.toString();
}

describe("--reference-repeat", () => {
  test("parses as a full-profile reference run and takes no narrowing flag", () => {
    const a = parseArgs(["--reference-repeat", "--seed", "3"]);
    if (a.command !== "run") throw new Error("expected a run");
    expect([a.reference, a.referenceRepeat, a.profile, a.seed]).toEqual([true, true, "full", 3]);
    expect(() => parseArgs(["--reference-repeat", "alloc"])).toThrow(
      /--reference-repeat runs every experiment, full profile, into results\/repeat\//,
    );
  });

  test(
    "refused with one line and exit 2 when results/ holds no reference",
    () => {
      const { dir } = repo();
      const r = Bun.spawnSync([process.execPath, CLI, "--reference-repeat"], {
        cwd: dir,
        stdout: "pipe",
        stderr: "pipe",
      });
      const err = r.stderr.toString();
      expect(r.exitCode).toBe(2);
      expect(err).toMatch(/--reference-repeat refused: results\/alloc\.meta\.json not found/);
      expect(err.trim().split("\n")).toHaveLength(1);
    },
    SPAWN_TIMEOUT_MS,
  );

  test(
    "accepts a reference of HEAD, or of a commit differing only in results/ and reports/",
    () => {
      const { dir, git } = repo();
      const first = git("rev-parse", "HEAD");
      writeMeta(dir, first);
      expect(refusal(dir)).toBe("OK"); // results/ untracked: an output, not a dirty tree
      git("add", "-A");
      git("commit", "-qm", "reference results");
      expect(refusal(dir)).toBe("OK");
      writeFileSync(join(dir, "code.ts"), "export const x = 2;\n");
      expect(refusal(dir)).toMatch(/working tree is not clean .*code\.ts/);
      git("commit", "-qam", "code change");
      expect(refusal(dir)).toMatch(
        new RegExp(
          `results/ is from commit ${first.slice(0, 7)} and HEAD .* changed 1 file\\(s\\) since \\(code\\.ts\\)`,
        ),
      );
    },
    SPAWN_TIMEOUT_MS,
  );

  test(
    "refuses a reference whose checkout was dirty",
    () => {
      const { dir, git } = repo();
      writeMeta(dir, git("rev-parse", "HEAD"), true);
      expect(refusal(dir)).toMatch(/selftest\.meta\.json says its checkout was dirty/);
    },
    SPAWN_TIMEOUT_MS,
  );
});
