/**
 * bun run scripts/raft-sim-speed.ts [--base REF] [--rounds N] [--virtual-s S] [--seed N] [--help]
 *
 * Simulator speed (impl/raft/sim/speed.ts: 5 nodes, 8 KV clients, checker
 * on, measured after warm-up) of this tree, and with --base of another
 * commit's impl/ (extracted with git archive into a temporary directory,
 * given this tree's speed.ts, which uses only SimCluster's public API). Each
 * round runs both in fresh processes in random order, so the shared
 * machine's load hits both alike; prints each run and the head/base ratio per
 * round with its median and min-max over rounds.
 */
import { execSync, spawnSync } from "node:child_process";
import { cpSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Rng } from "../impl/core/rng.ts";
import { SIM_SPEED_WARMUP_VIRTUAL_MS } from "../impl/raft/sim/speed.ts";

const ROOT = join(import.meta.dir, "..");
const HELP = `bun run scripts/raft-sim-speed.ts [options]

  --base REF     also measure REF's impl/ (e.g. main), interleaved with this tree
  --rounds N     rounds (default 3)
  --virtual-s S  measured virtual seconds per run, after ${SIM_SPEED_WARMUP_VIRTUAL_MS / 1000} s warm-up (default 600)
  --seed N       cluster seed (default 1)
  --help         this text`;

function fail(msg: string): never {
  console.error(`raft-sim-speed: ${msg}`);
  process.exit(2);
}

function parseArgs(argv: string[]) {
  const a = { base: null as string | null, rounds: 3, virtualS: 600, seed: 1 };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!;
    if (flag === "--help" || flag === "-h") {
      console.log(HELP);
      process.exit(0);
    }
    const v = argv[++i];
    if (v === undefined) fail(`${flag} needs a value`);
    if (flag === "--base") a.base = v;
    else if (flag === "--rounds" || flag === "--virtual-s" || flag === "--seed") {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 1) fail(`${flag} needs a positive integer, got ${v}`);
      if (flag === "--rounds") a.rounds = n;
      else if (flag === "--virtual-s") a.virtualS = n;
      else a.seed = n;
    } else fail(`unknown option ${flag} (see --help)`);
  }
  return a;
}

/** A temporary tree holding REF's impl/ with this tree's speed.ts. */
function baseTree(ref: string): string {
  const dir = mkdtempSync(join(tmpdir(), "raft-sim-base-"));
  try {
    execSync(`git archive ${JSON.stringify(ref)} impl | tar -x -C ${JSON.stringify(dir)}`, {
      cwd: ROOT,
      stdio: ["ignore", "ignore", "pipe"],
    });
  } catch {
    rmSync(dir, { recursive: true, force: true });
    fail(`cannot read impl/ at ${ref} (git archive failed)`);
  }
  cpSync(join(ROOT, "impl/raft/sim/speed.ts"), join(dir, "impl/raft/sim/speed.ts"));
  symlinkSync(join(ROOT, "node_modules"), join(dir, "node_modules"));
  return dir;
}

interface Speed {
  wall: number;
  cpu: number;
}

/** Runs one measurement in a fresh process; returns virtual time per wall and per CPU time. */
function measure(tree: string, virtualS: number, seed: number, runner: string): Speed {
  const r = spawnSync("bun", [runner, tree, String(virtualS * 1000), String(seed)], {
    encoding: "utf8",
  });
  const m = /virtualPerWall=([\d.]+) virtualPerCpu=([\d.]+)/.exec(r.stdout ?? "");
  if (!m) fail(`measurement in ${tree} failed: ${r.stderr || r.stdout}`);
  return { wall: Number(m[1]), cpu: Number(m[2]) };
}

function main(): void {
  const a = parseArgs(process.argv.slice(2));
  const work = mkdtempSync(join(tmpdir(), "raft-sim-speed-"));
  const runner = join(work, "run.ts");
  writeFileSync(
    runner,
    `const [tree, ms, seed] = process.argv.slice(2);
const { measureSimSpeed } = await import(tree + "/impl/raft/sim/speed.ts");
const r = measureSimSpeed({ measureVirtualMs: Number(ms), seed: Number(seed) });
console.log("virtualPerWall=" + r.virtualPerWall + " virtualPerCpu=" + r.virtualPerCpu + " opsPerVirtualS=" + r.opsPerVirtualS);
`,
  );
  const base = a.base ? baseTree(a.base) : null;
  console.log(
    `simulator speed: 5 nodes, 8 KV clients, ${a.virtualS} virtual s after ${SIM_SPEED_WARMUP_VIRTUAL_MS / 1000} s warm-up, seed ${a.seed}, ${a.rounds} rounds${a.base ? `, head vs ${a.base} interleaved` : ""} (shared machine: noisy)`,
  );
  const rng = new Rng(a.seed);
  const ratios = { wall: [] as number[], cpu: [] as number[] };
  try {
    for (let r = 0; r < a.rounds; r++) {
      const order = base && rng.chance(0.5) ? ["base", "head"] : ["head", "base"];
      const got: Record<string, Speed> = {};
      for (const which of order) {
        if (which === "base" && !base) continue;
        got[which] = measure(which === "base" ? base! : ROOT, a.virtualS, a.seed, runner);
        const g = got[which]!;
        console.log(
          `  round ${r + 1} ${which}: ${g.wall.toFixed(1)}x real time, ${g.cpu.toFixed(1)}x CPU time`,
        );
      }
      if (base) {
        ratios.wall.push(got.head!.wall / got.base!.wall);
        ratios.cpu.push(got.head!.cpu / got.base!.cpu);
      }
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
    if (base) rmSync(base, { recursive: true, force: true });
  }
  for (const kind of ["wall", "cpu"] as const) {
    const s = [...ratios[kind]].sort((x, y) => x - y);
    if (s.length === 0) continue;
    console.log(
      `head/base speed ratio (${kind} time): median ${s[Math.floor(s.length / 2)]!.toFixed(2)}, min ${s[0]!.toFixed(2)}, max ${s[s.length - 1]!.toFixed(2)} over ${s.length} rounds`,
    );
  }
}

main();
