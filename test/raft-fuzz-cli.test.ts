/**
 * `bun run raft:fuzz` flag checking, as a child process: each flag's error
 * message states the least value the flag takes, and the behaviour agrees:
 * a value below it exits 2 with that message, the least value itself runs
 * (--from 0 --fault-ms 0 and --heal-ms at the longest election timeout, with
 * --seeds 1; seed 0 is deterministic and passes, exit 0), and
 * --help lists the same minimum for every flag.
 */
import { expect, test } from "bun:test";
import { join } from "node:path";
import { FUZZ_ELECTION_TIMEOUT_MS } from "../impl/raft/sim/fuzz.ts";

const ROOT = join(import.meta.dir, "..");
const FUZZ = join(ROOT, "scripts/raft-fuzz.ts");

async function run(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const p = Bun.spawn(["bun", FUZZ, ...args], { cwd: ROOT, stdout: "pipe", stderr: "pipe" });
  const [out, err, code] = await Promise.all([
    new Response(p.stdout).text(),
    new Response(p.stderr).text(),
    p.exited,
  ]);
  return { code, out, err };
}

/** --heal-ms: a window shorter than the longest election timeout can never elect a leader. */
const MINIMA = {
  "--seeds": 1,
  "--from": 0,
  "--fault-ms": 0,
  "--heal-ms": FUZZ_ELECTION_TIMEOUT_MS[1],
} as const;

test("a value below a flag's minimum exits 2 with a message stating that minimum", async () => {
  for (const [flag, min] of Object.entries(MINIMA)) {
    for (const bad of [min - 1, -5]) {
      const r = await run([flag, String(bad)]);
      expect(r.code).toBe(2);
      expect(r.err.trim()).toBe(`raft:fuzz: ${flag} needs an integer >= ${min}, got ${bad}`);
    }
  }
  const frac = await run(["--seeds", "1.5"]);
  expect(frac.code).toBe(2);
  expect(frac.err).toContain("--seeds needs an integer >= 1, got 1.5");
});

test("each flag's minimum itself is accepted and runs", async () => {
  const heal = String(MINIMA["--heal-ms"]);
  const r = await run(["--seeds", "1", "--from", "0", "--fault-ms", "0", "--heal-ms", heal]);
  expect(r.err).toBe("");
  expect(r.code).toBe(0);
  expect(r.out).toContain("1 seeds, 0 failing");
});

test("--help states the same minimum for every flag", async () => {
  const r = await run(["--help"]);
  expect(r.code).toBe(0);
  for (const [flag, min] of Object.entries(MINIMA)) {
    const line = r.out.split("\n").find((l) => l.trimStart().startsWith(flag));
    expect(line, flag).toContain(`>= ${min}`);
  }
});
