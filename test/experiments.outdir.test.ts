/**
 * Runs never overwrite the reference (issue 8): a plain `bun run experiments`
 * writes a new runs/<UTC time>-<short sha>/ and prints it with the commands to
 * build its report and compare it with the reference, leaving results/
 * untouched; `--reference` refuses a dirty tree and any narrowing flag; an
 * unusable --out is one line on stderr and exit 2; meta files name no scratch
 * directory (--out is dropped from the recorded command, merged metas name
 * shards by index); `bun run reports --from DIR` builds DIR/report/; runs/ and
 * bench/out/ are git-ignored so a fresh clone stays clean.
 * How: the real CLI spawned with the tiny `selftest` experiment; the dirty
 * tree is a throwaway git repository used as the working directory.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseReportArgs, UsageError } from "../experiments/reports.ts";
import { recordedCommand, utcStamp } from "../experiments/runner/outdir.ts";

const ROOT = resolve(import.meta.dir, "..");
const CLI = join(ROOT, "experiments", "cli.ts");
const SPAWN_TIMEOUT_MS = 60_000;
const scratch: string[] = [];
afterAll(() => {
  for (const d of scratch) rmSync(d, { recursive: true, force: true });
});
function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), "eventlab-outdir-"));
  scratch.push(d);
  return d;
}
function cli(args: string[], cwd = ROOT) {
  const r = Bun.spawnSync([process.execPath, CLI, ...args], {
    cwd,
    stdout: "pipe",
    stderr: "pipe",
  });
  return { code: r.exitCode, out: r.stdout.toString(), err: r.stderr.toString() };
}
/** A digest of every file under dir, subdirectories (results/repeat/) included. */
function digestDir(dir: string): string {
  const h = createHash("sha256");
  for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) =>
    a.name.localeCompare(b.name),
  )) {
    const p = join(dir, e.name);
    h.update(e.name).update(e.isDirectory() ? digestDir(p) : readFileSync(p));
  }
  return h.digest("hex");
}

describe("experiments output directory", () => {
  test(
    "a plain run goes to a new runs/<UTC time>-<sha>/, prints the next steps, leaves results/ alone",
    () => {
      const before = digestDir(join(ROOT, "results"));
      const r = cli(["selftest", "--seed", "5", "--repeat", "1", "--quiet"]);
      expect(r.err).toBe("");
      expect(r.code).toBe(0);
      const m = /run directory: (runs\/\d{8}T\d{6}Z-[0-9a-z]+)\n/.exec(r.out);
      expect(m).not.toBeNull();
      const dir = m![1]!;
      scratch.push(join(ROOT, dir));
      expect(existsSync(join(ROOT, dir, "selftest.csv"))).toBe(true);
      expect(r.out).toContain(`bun run reports --from ${dir}`);
      expect(r.out).toContain(`diff -u reports/README.md ${dir}/report/README.md`);
      expect(digestDir(join(ROOT, "results"))).toBe(before);
    },
    SPAWN_TIMEOUT_MS,
  );

  test(
    "an unusable --out is one line on stderr naming it, exit 2",
    () => {
      const file = join(tmp(), "a-file");
      writeFileSync(file, "");
      const r = cli(["selftest", "--out", join(file, "sub"), "--quiet"]);
      expect(r.code).toBe(2);
      expect(r.err.trim().split("\n")).toHaveLength(1);
      expect(r.err).toContain(join(file, "sub"));
      expect(r.err).not.toContain("    at ");
    },
    SPAWN_TIMEOUT_MS,
  );

  test(
    "a clean checkout stays recorded clean when the run rewrites tracked output files",
    () => {
      const repo = tmp();
      const git = (...a: string[]) =>
        Bun.spawnSync(["git", ...a], { cwd: repo, stdout: "ignore", stderr: "ignore" });
      git("init", "-q");
      mkdirSync(join(repo, "out"));
      writeFileSync(join(repo, "out", "selftest.csv"), "tracked, and rewritten by the run\n");
      git("add", "-A");
      git("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "tracked output");
      const r = cli(["selftest", "--quiet", "--seed", "3", "--out", join(repo, "out")], repo);
      expect(r.code).toBe(0);
      const meta = JSON.parse(readFileSync(join(repo, "out", "selftest.meta.json"), "utf8"));
      expect(meta.host.gitDirty).toBe(false);
    },
    SPAWN_TIMEOUT_MS,
  );

  test(
    "--reference refuses a dirty tree, and narrowing flags, with one line and exit 2",
    () => {
      const repo = tmp();
      const git = (...a: string[]) =>
        Bun.spawnSync(["git", ...a], { cwd: repo, stdout: "ignore", stderr: "ignore" });
      git("init", "-q");
      writeFileSync(join(repo, "untracked.txt"), "x");
      const dirty = cli(["--reference"], repo);
      expect(dirty.code).toBe(2);
      expect(dirty.err).toMatch(
        /--reference refused: the working tree is not clean .*untracked\.txt/,
      );
      expect(dirty.err.trim().split("\n")).toHaveLength(1);
      for (const extra of [
        ["alloc"],
        ["--profile", "quick"],
        ["--out", repo],
        ["--shard", "0/2"],
        ["--repeat", "2"],
      ]) {
        const r = cli(["--reference", ...extra]);
        expect({ extra, code: r.code }).toEqual({ extra, code: 2 });
        expect(r.err).toContain("--reference runs every experiment, full profile, into results/");
      }
    },
    SPAWN_TIMEOUT_MS,
  );

  test(
    "meta files name no scratch directory: --out is not recorded, merged shards are named by index",
    () => {
      const [s0, s1, merged] = [tmp(), tmp(), tmp()];
      expect(cli(["selftest", "--seed", "9", "--out", s0, "--shard", "0/2", "--quiet"]).code).toBe(
        0,
      );
      expect(cli(["selftest", "--seed", "9", "--out", s1, "--shard", "1/2", "--quiet"]).code).toBe(
        0,
      );
      expect(cli(["merge", s0, s1, "--out", merged]).code).toBe(0);
      for (const dir of [s0, s1, merged]) {
        const meta = readFileSync(join(dir, "selftest.meta.json"), "utf8");
        expect(meta).not.toContain(tmpdir());
        expect(meta).toContain('"command": "bun run experiments selftest --seed 9');
      }
    },
    SPAWN_TIMEOUT_MS,
  );
});

describe("pieces", () => {
  test("recordedCommand drops --out DIR and --out=DIR, keeps the rest in order", () => {
    expect(
      recordedCommand("bun run experiments", ["a", "--out", "/tmp/x", "--seed", "1", "--out=/y"]),
    ).toBe("bun run experiments a --seed 1");
  });
  test("utcStamp is compact UTC", () => {
    expect(utcStamp(new Date("2026-12-04T13:59:07.123Z"))).toBe("20261204T135907Z");
  });
  test("reports --from DIR reads DIR and writes DIR/report; with --results or --out it is refused", () => {
    expect(parseReportArgs(["--from", "runs/x"])).toEqual({
      resultsDir: "runs/x",
      outDir: join("runs/x", "report"),
      help: false,
    });
    expect(parseReportArgs([])).toMatchObject({ resultsDir: "results", outDir: "reports" });
    expect(() => parseReportArgs(["--from", "a", "--out", "b"])).toThrow(UsageError);
  });
  test("what the scripts write by default is git-ignored (a fresh clone stays clean)", () => {
    for (const path of ["runs/20261204T000000Z-abc1234/alloc.csv", "bench/out/queue.json"]) {
      const r = Bun.spawnSync(["git", "check-ignore", "-q", path], { cwd: ROOT });
      expect({ path, ignored: r.exitCode === 0 }).toEqual({ path, ignored: true });
    }
  });
});
