/**
 * The experiment runner: grid validation errors name the field; expansion
 * takes the cartesian product per block, unions blocks and applies the
 * filter; shards partition the points (each exactly once over i = 0..n-1);
 * CSV rows round-trip through the row schema (LF only, booleans, nulls) and
 * bad cells are named by row and column; merge refuses duplicates and
 * restores grid order; the CLI answers --help/--list with exit 0 and a bad
 * flag, value or name with exit 2 and a message naming it; an experiment
 * whose run() returns several rows per repetition (one per trial, told apart
 * by its rowKey) writes each as a validated row, is refused without a rowKey
 * or with a repeated key, and merges keyed on (point, repeat, trial); a tiny real run of
 * the `selftest` experiment (worker and process isolation) writes CSV + meta
 * into a temp dir.
 * How: the runner's functions on small in-memory experiments, and the CLI via
 * Bun.spawnSync on `bun experiments/cli.ts`.
 */
import { describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { z } from "zod";
import { readMeta, readResults } from "../experiments/registry.ts";
import { evaluateClaim } from "../experiments/runner/claims.ts";
import { CsvError, parseCsv, toCsv } from "../experiments/runner/csv.ts";
import { expandGrid, GridError, validateGrid } from "../experiments/runner/grid.ts";
import { MergeError, mergeExperiment } from "../experiments/runner/merge.ts";
import { createProgress } from "../experiments/runner/progress.ts";
import { planExperiment, rowsOf, runPlan, seedFor } from "../experiments/runner/run.ts";
import { parseShard, shardIndices } from "../experiments/runner/shard.ts";
import { columnsOf, defineExperiment, type Experiment } from "../experiments/runner/types.ts";
import selftest from "../experiments/selftest/experiment.ts";

const CLI = join(import.meta.dir, "..", "experiments", "cli.ts");
/** Tests that spawn bun processes or Workers get room on a loaded 2-core machine. */
const SPAWN_TIMEOUT_MS = 60_000;

function toy(grids: unknown, include?: (p: { a: number; b: string }) => true | string): Experiment {
  return defineExperiment({
    name: "toy",
    description: "toy",
    module: import.meta.url,
    params: { a: z.number().int().min(0), b: z.enum(["x", "y", "z"]) },
    measured: { v: z.number(), ok: z.boolean(), maybe: z.number().nullable() },
    grids: grids as never,
    isolation: "inline",
    include,
    async run(p) {
      return { v: p.a * 2, ok: p.b === "x", maybe: p.a > 1 ? p.a : null };
    },
  }) as unknown as Experiment;
}

function tmp(): string {
  return mkdtempSync(join(tmpdir(), "eventlab-exp-"));
}

describe("grid", () => {
  test("a bad value names experiment, profile, param and index", () => {
    const exp = toy({ quick: { a: [1, -3], b: ["x"] }, full: { a: [1], b: ["x"] } });
    expect(() => validateGrid(exp, "quick")).toThrow(GridError);
    expect(() => validateGrid(exp, "quick")).toThrow(/grid toy\.quick\.a\[1\]/);
  });
  test("a missing param, an empty list and an unknown param are named", () => {
    const missing = toy({ quick: { a: [1] }, full: { a: [1], b: [] } });
    expect(() => validateGrid(missing, "quick")).toThrow(/toy\.quick\.b/);
    expect(() => validateGrid(missing, "full")).toThrow(/toy\.full\.b.*at least one value/);
    const extra = toy({
      quick: [
        { a: [1], b: ["x"] },
        { a: [1], b: ["x"], c: [2] },
      ],
      full: [],
    });
    expect(() => validateGrid(extra, "quick")).toThrow(/toy\.quick\[1\].*c/);
    expect(() => validateGrid(extra, "full")).toThrow(/no blocks/);
  });
  test("expansion is the cartesian product per block, unioned without duplicates, then filtered", () => {
    const exp = toy(
      {
        quick: [
          { a: [1, 2], b: ["x", "y"] },
          { a: [2, 3], b: ["y"] },
        ],
        full: { a: [0], b: ["z"] },
      },
      (p) => (p.a === 1 && p.b === "y" ? "1y unsupported" : true),
    );
    const g = expandGrid(exp, "quick");
    expect(g.points).toEqual([
      { a: 1, b: "x" },
      { a: 2, b: "x" },
      { a: 2, b: "y" },
      { a: 3, b: "y" },
    ]);
    expect(g.skipped).toEqual([{ point: { a: 1, b: "y" }, reason: "1y unsupported" }]);
  });
});

describe("shard", () => {
  test("shards 0..n-1 cover every point exactly once", () => {
    for (const count of [1, 2, 3, 7]) {
      for (const points of [0, 1, 5, 23]) {
        const all = Array.from({ length: count }, (_, i) =>
          shardIndices(points, { index: i, count }),
        ).flat();
        expect(all.sort((x, y) => x - y)).toEqual(Array.from({ length: points }, (_, i) => i));
      }
    }
  });
  test("parseShard is 0-based and names bad input", () => {
    expect(parseShard("0/4")).toEqual({ index: 0, count: 4 });
    expect(parseShard("3/4")).toEqual({ index: 3, count: 4 });
    expect(parseShard("4/4")).toMatch(/below n/);
    expect(parseShard("1/0")).toMatch(/between 1/);
    expect(parseShard("a/b")).toMatch(/i\/n/);
  });
  test("seeds do not depend on sharding and differ across points and repeats", () => {
    expect(seedFor(1, "x", 5, 0)).toBe(seedFor(1, "x", 5, 0));
    const seeds = new Set([
      seedFor(1, "x", 5, 0),
      seedFor(1, "x", 5, 1),
      seedFor(1, "x", 6, 0),
      seedFor(2, "x", 5, 0),
    ]);
    expect(seeds.size).toBe(4);
  });
});

describe("csv", () => {
  const exp = toy({ quick: { a: [1], b: ["x"] }, full: { a: [1], b: ["x"] } });
  const rows = [
    { a: 1, b: "x", repeat: 0, seed: 7, v: 2.5, ok: true, maybe: null },
    { a: 2, b: "y", repeat: 1, seed: 8, v: -1e-9, ok: false, maybe: 2 },
  ];
  test("round trip through the row schema, LF only, false stays false, empty is null", () => {
    const text = toCsv(rows, columnsOf(exp));
    expect(text).not.toContain("\r");
    expect(text.split("\n")[0]).toBe("a,b,repeat,seed,v,ok,maybe");
    expect(parseCsv(text, exp.rowSchema, "t.csv")).toEqual(rows);
  });
  test("a bad cell is named by row, line and column", () => {
    const text = toCsv(rows, columnsOf(exp)).replace("2,y,1,8", "2,q,1,8");
    expect(() => parseCsv(text, exp.rowSchema, "t.csv")).toThrow(
      /t\.csv: data row 2 \(line 3\), column b/,
    );
    const empty = toCsv(rows, columnsOf(exp)).replace(",2.5,", ",,");
    expect(() => parseCsv(empty, exp.rowSchema, "t.csv")).toThrow(
      /data row 1.*column v.*empty cell/,
    );
    const notBool = toCsv(rows, columnsOf(exp)).replace(",true,", ",maybe,");
    expect(() => parseCsv(notBool, exp.rowSchema, "t.csv")).toThrow(/column ok/);
  });
  test("CRLF and a wrong header are refused", () => {
    const text = toCsv(rows, columnsOf(exp));
    expect(() => parseCsv(text.replaceAll("\n", "\r\n"), exp.rowSchema, "t.csv")).toThrow(CsvError);
    expect(() => parseCsv(text.replace("maybe", "perhaps"), exp.rowSchema, "t.csv")).toThrow(
      /missing columns: maybe; unknown columns: perhaps/,
    );
  });
  test("a column the schema defaults may be absent (CSVs written before it existed)", () => {
    const schema = z.object({ a: z.number(), b: z.number(), added: z.number().default(0) });
    expect(parseCsv("a,b\n3,5\n", schema, "old.csv")).toEqual([{ a: 3, b: 5, added: 0 }]);
    expect(parseCsv("a,b,added\n3,5,4\n", schema, "new.csv")).toEqual([{ a: 3, b: 5, added: 4 }]);
    expect(() => parseCsv("b,added\n5,4\n", schema, "t.csv")).toThrow(/missing columns: a$/);
  });
});

describe("run, merge, claims", () => {
  const quiet = createProgress(0, { quiet: true });
  const exp = toy({ quick: { a: [0, 1, 2, 3, 4], b: ["x", "y"] }, full: { a: [1], b: ["x"] } });
  async function runShard(dir: string, index: number, count: number, seed = 1) {
    const plan = planExperiment(exp, { profile: "quick", shard: { index, count }, repeats: 2 });
    return runPlan(plan, {
      profile: "quick",
      seed,
      outDir: dir,
      shard: { index, count },
      signal: new AbortController().signal,
      progress: quiet,
    });
  }
  test(
    "shards merge back into the full run in grid order; duplicates and mixed runs are refused",
    async () => {
      const [d0, d1, d2, out] = [tmp(), tmp(), tmp(), tmp()];
      const m0 = await runShard(d0, 0, 2);
      const m1 = await runShard(d1, 1, 2);
      expect(m0.rows + m1.rows).toBe(20);
      expect(m0.interrupted).toBe(false);
      const s = mergeExperiment(exp, [d0, d1], out);
      expect(s.rows).toBe(20);
      expect(s.missingShards).toEqual([]);
      const merged = parseCsv(readFileSync(join(out, "toy.csv"), "utf8"), exp.rowSchema, "m");
      expect(merged.map((r) => [r.repeat, r.a, r.b])).toEqual(
        [0, 1].flatMap((rep) => [0, 1, 2, 3, 4].flatMap((a) => ["x", "y"].map((b) => [rep, a, b]))),
      );
      expect(mergeExperiment(exp, [d0], tmp()).missingShards).toEqual(["1/2"]);
      expect(() => mergeExperiment(exp, [d0, d1, d0], tmp())).toThrow(MergeError);
      expect(() => mergeExperiment(exp, [d0, d1, d0], tmp())).toThrow(/duplicate row/);
      await runShard(d2, 1, 2, 99);
      expect(() => mergeExperiment(exp, [d0, d2], tmp())).toThrow(/seed=99/);
    },
    SPAWN_TIMEOUT_MS,
  );
  test(
    "an aborted run keeps finished rows and says interrupted",
    async () => {
      const dir = tmp();
      const controller = new AbortController();
      let calls = 0;
      const stopping = {
        ...exp,
        run: async (p: Record<string, unknown>, ctx: Parameters<Experiment["run"]>[1]) => {
          if (++calls === 3) controller.abort();
          return exp.run(p, ctx);
        },
      } as Experiment;
      const plan = planExperiment(stopping, { profile: "quick", shard: null, repeats: 1 });
      const meta = await runPlan(plan, {
        profile: "quick",
        seed: 3,
        outDir: dir,
        shard: null,
        signal: controller.signal,
        progress: quiet,
      });
      expect(meta.interrupted).toBe(true);
      expect(meta.rows).toBe(2);
      expect(parseCsv(readFileSync(join(dir, "toy.csv"), "utf8"), exp.rowSchema, "i")).toHaveLength(
        2,
      );
    },
    SPAWN_TIMEOUT_MS,
  );
  test(
    "a ratio claim pairs repetitions by index and reports the paired interval",
    () => {
      const rows = [0, 1, 2].flatMap((repeat) => [
        { impl: "pool", repeat, opsPerS: 12 + repeat },
        { impl: "naive", repeat, opsPerS: 10 },
      ]);
      // A repetition measured on one side only is dropped, never paired with another.
      rows.push({ impl: "pool", repeat: 3, opsPerS: 1000 });
      const f = evaluateClaim(
        {
          id: "c",
          text: "t",
          source: "s",
          interpretation: "i",
          measured: {
            kind: "ratio",
            unit: "x",
            numerator: { column: "opsPerS", where: { impl: "pool" } },
            denominator: { column: "opsPerS", where: { impl: "naive" } },
          },
        },
        rows,
      );
      expect(f).toMatchObject({
        claimId: "c",
        median: 1.3,
        min: 1.2,
        max: 1.4,
        repetitions: 3,
        unit: "x",
      });
      // Geometric mean of 1.2, 1.3, 1.4; the bootstrap interval lies within the pairs' range.
      expect(f.interval!.estimate).toBeCloseTo(Math.cbrt(1.2 * 1.3 * 1.4), 12);
      expect(f.interval!.n).toBe(3);
      expect(f.interval!.lo).toBeGreaterThanOrEqual(1.2 - 1e-12);
      expect(f.interval!.hi).toBeLessThanOrEqual(1.4 + 1e-12);
      expect(f.interval!.lo).toBeLessThan(f.interval!.hi);
    },
    SPAWN_TIMEOUT_MS,
  );
});

/** Toy with one row per trial: `a` trials per repetition, trial t measuring v = 10a + t. */
function trialsToy(rowKey: ["trial"] | undefined, dupAt = -1): Experiment {
  return defineExperiment({
    name: "trials",
    description: "toy with one row per trial",
    module: import.meta.url,
    params: { a: z.number().int().min(1) },
    measured: { trial: z.number().int().min(0), v: z.number().max(1000) },
    grids: { quick: { a: [1, 2, 3] }, full: { a: [1] } },
    isolation: "inline",
    rowKey,
    async run(p) {
      return Array.from({ length: p.a }, (_, t) => ({
        trial: t === dupAt ? 0 : t,
        v: p.a === 3 && dupAt === -2 ? 5000 : 10 * p.a + t,
      }));
    },
  }) as unknown as Experiment;
}

describe("several rows per repetition (rowKey)", () => {
  const quiet = createProgress(0, { quiet: true });
  async function run(exp: Experiment, dir: string, shard: { index: number; count: number } | null) {
    const plan = planExperiment(exp, { profile: "quick", shard, repeats: 2 });
    return runPlan(plan, {
      profile: "quick",
      seed: 4,
      outDir: dir,
      shard,
      signal: new AbortController().signal,
      progress: quiet,
    });
  }
  const read = (exp: Experiment, dir: string) =>
    parseCsv(readFileSync(join(dir, `${exp.name}.csv`), "utf8"), exp.rowSchema, dir);

  test("each returned row becomes one validated CSV row with the point, repeat and seed", async () => {
    const exp = trialsToy(["trial"]);
    const dir = tmp();
    const meta = await run(exp, dir, null);
    expect(meta.failures).toEqual([]);
    expect(meta.rows).toBe(2 * (1 + 2 + 3));
    const rows = read(exp, dir);
    expect(rows.map((r) => [r.repeat, r.a, r.trial, r.v])).toEqual(
      [0, 1].flatMap((rep) =>
        [1, 2, 3].flatMap((a) => Array.from({ length: a }, (_, t) => [rep, a, t, 10 * a + t])),
      ),
    );
    // Every row of one repetition carries that repetition's seed.
    const seeds = rows.filter((r) => r.a === 3 && r.repeat === 1).map((r) => r.seed);
    expect(new Set(seeds)).toEqual(new Set([seedFor(4, "trials", 2, 1)]));
  });

  test("without a rowKey, with a repeated key or one bad row, the repetition fails whole", async () => {
    const noKey = await run(trialsToy(undefined), tmp(), null);
    expect(noKey.rows).toBe(0);
    expect(noKey.failures).toHaveLength(6);
    expect(noKey.failures[0]!.error).toContain("declares no rowKey");
    const dup = await run(trialsToy(["trial"], 1), tmp(), null);
    // a=1 has no trial 1: it passes; a=2 and a=3 repeat trial 0.
    expect(dup.rows).toBe(2);
    expect(dup.failures.map((f) => f.point.a)).toEqual([2, 3, 2, 3]);
    expect(dup.failures[0]!.error).toContain("share rowKey trial");
    const dir = tmp();
    const bad = await run(trialsToy(["trial"], -2), dir, null);
    // a=3's rows break the schema (v > 1000): none of its rows is written.
    expect(bad.rows).toBe(2 * 3);
    expect(bad.failures.map((f) => f.point.a)).toEqual([3, 3]);
    expect(bad.failures[0]!.error).toMatch(/row 0: measured column v/);
    expect(read(trialsToy(["trial"]), dir).some((r) => r.a === 3)).toBe(false);
    const noSuchColumn = { name: "k", params: {}, measured: { v: z.number() }, rowKey: ["trial"] };
    expect(() => defineExperiment(noSuchColumn as never)).toThrow(
      /rowKey column "trial" is not a measured column/,
    );
  });

  test("rowsOf refuses an array from a single-row experiment", () => {
    const single = toy({ quick: { a: [1], b: ["x"] }, full: { a: [1], b: ["x"] } });
    expect(rowsOf(single, { a: 1, b: "x" }, 0, 1, [{ v: 1, ok: true, maybe: null }])).toContain(
      "declares no rowKey",
    );
    expect(rowsOf(single, { a: 1, b: "x" }, 0, 1, { v: 1, ok: true, maybe: null })).toEqual([
      { a: 1, b: "x", repeat: 0, seed: 1, v: 1, ok: true, maybe: null },
    ]);
  });

  test("shards merge keyed on (point, repeat, trial): distinct trials kept, a repeated one refused", async () => {
    const exp = trialsToy(["trial"]);
    const [d0, d1, whole, out] = [tmp(), tmp(), tmp(), tmp()];
    await run(exp, d0, { index: 0, count: 2 });
    await run(exp, d1, { index: 1, count: 2 });
    await run(exp, whole, null);
    const s = mergeExperiment(exp, [d1, d0], out);
    expect(s.rows).toBe(12);
    expect(read(exp, out)).toEqual(read(exp, whole));
    expect(() => mergeExperiment(exp, [d0, d1, d0], tmp())).toThrow(
      /duplicate row for point \[1\] repeat 0 trial 0/,
    );
  });
});

describe("cli", () => {
  function cli(...args: string[]) {
    const r = Bun.spawnSync([process.execPath, CLI, ...args], { stdout: "pipe", stderr: "pipe" });
    return { code: r.exitCode, out: r.stdout.toString(), err: r.stderr.toString() };
  }
  test(
    "--help and --list exit 0",
    () => {
      const help = cli("--help");
      expect(help.code).toBe(0);
      expect(help.out).toContain("--shard i/n");
      const list = cli("--list");
      expect(list.code).toBe(0);
      expect(list.out).toContain("selftest");
    },
    SPAWN_TIMEOUT_MS,
  );
  test(
    "a bad flag, value or name exits 2 naming it and the choices",
    () => {
      const flag = cli("--frobnicate");
      expect(flag.code).toBe(2);
      expect(flag.err).toContain("unknown flag --frobnicate");
      const profile = cli("--profile", "huge");
      expect(profile.code).toBe(2);
      expect(profile.err).toContain("--profile must be one of quick, full");
      const shard = cli("--shard", "5/2");
      expect(shard.code).toBe(2);
      expect(shard.err).toContain("--shard 5/2");
      const name = cli("no-such-experiment");
      expect(name.code).toBe(2);
      expect(name.err).toMatch(
        /unknown experiment "no-such-experiment"; valid choices: .*selftest/,
      );
      expect(cli("merge").code).toBe(2);
    },
    SPAWN_TIMEOUT_MS,
  );
  test(
    "a tiny real run writes a valid CSV and meta (worker isolation), and shards merge",
    () => {
      const dir = tmp();
      const r = cli("selftest", "--seed", "42", "--out", dir, "--quiet");
      expect(r.err).toBe("");
      expect(r.code).toBe(0);
      expect(r.out).toContain("seed 42");
      const rows = readResults("selftest", dir);
      expect(rows).toHaveLength(10);
      const meta = readMeta("selftest", dir);
      expect(meta).toMatchObject({
        seed: 42,
        profile: "quick",
        repeats: 2,
        interrupted: false,
        rows: 10,
      });
      expect(meta.host.bunVersion).toBe(Bun.version);
      const [s0, s1, merged] = [tmp(), tmp(), tmp()];
      expect(cli("selftest", "--seed", "42", "--out", s0, "--shard", "0/2", "--quiet").code).toBe(
        0,
      );
      expect(cli("selftest", "--seed", "42", "--out", s1, "--shard", "1/2", "--quiet").code).toBe(
        0,
      );
      expect(cli("merge", s0, s1, "--out", merged).code).toBe(0);
      // Same seed, same derived per-point seeds: the merged shards equal the whole run.
      const key = (r: Record<string, unknown>) =>
        `${r.n} ${r.flavor} ${r.repeat} ${r.seed} ${r.firstU32}`;
      expect(readResults("selftest", merged).map(key)).toEqual(rows.map(key));
    },
    SPAWN_TIMEOUT_MS,
  );
  test(
    "Ctrl-C (SIGINT) keeps finished rows, marks the meta interrupted and exits 130",
    async () => {
      const dir = tmp();
      const proc = Bun.spawn(
        [
          process.execPath,
          CLI,
          "selftest",
          "--profile",
          "full",
          "--repeat",
          "200",
          "--out",
          dir,
          "--seed",
          "1",
        ],
        { stdout: "pipe", stderr: "pipe" },
      );
      const csv = join(dir, "selftest.csv");
      // Wait (bounded) until a few rows are on disk, then interrupt.
      for (let i = 0; i < 200; i++) {
        await Bun.sleep(50);
        const text = await Bun.file(csv)
          .text()
          .catch(() => "");
        if (text.split("\n").length > 4) break;
      }
      proc.kill("SIGINT");
      expect(await proc.exited).toBe(130);
      const meta = readMeta("selftest", dir);
      expect(meta.interrupted).toBe(true);
      const rows = readResults("selftest", dir);
      expect(rows.length).toBeGreaterThanOrEqual(3);
      expect(rows.length).toBeLessThan(6 * 200);
      expect(meta.rows).toBe(rows.length);
    },
    SPAWN_TIMEOUT_MS,
  );
  test(
    "process isolation runs the point in a child bun and returns its row",
    async () => {
      const dir = tmp();
      const proc = { ...(selftest as unknown as Experiment), isolation: "process" as const };
      const plan = planExperiment(proc, {
        profile: "quick",
        shard: { index: 0, count: 5 },
        repeats: 1,
      });
      const meta = await runPlan(plan, {
        profile: "quick",
        seed: 9,
        outDir: dir,
        shard: { index: 0, count: 5 },
        signal: new AbortController().signal,
        progress: createProgress(0, { quiet: true }),
      });
      expect(meta.failures).toEqual([]);
      expect(meta.rows).toBe(1);
      expect(readResults("selftest", dir)[0]).toMatchObject({ n: 100, flavor: "plain", repeat: 0 });
    },
    SPAWN_TIMEOUT_MS,
  );
});
