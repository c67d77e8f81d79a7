/**
 * The Raft simulator's speed (impl/raft/sim/speed.ts): virtual time per wall
 * time and per CPU time for 5 nodes with 8 closed-loop KV clients (about
 * 200 ops per virtual second), safety checker on, measured over 600 virtual
 * seconds after the warm-up SIM_SPEED_WARMUP_VIRTUAL_MS (--quick: 60 s measured), three repeats in fresh
 * clusters. The goal is 1000x real time; raft:fuzz prints the same
 * figure, and scripts/raft-sim-speed.ts compares it with a base commit.
 */
import { measureSimSpeed } from "../impl/raft/sim/speed.ts";
import type { BenchFile, BenchRow } from "./types.ts";

const REPEATS = 3;

const benchRaftSim: BenchFile = async (opts) => {
  const measureVirtualMs = opts.quick ? 60_000 : 600_000;
  const wall: number[] = [];
  const cpu: number[] = [];
  let ops = 0;
  for (let r = 0; r < REPEATS; r++) {
    const s = measureSimSpeed({ seed: opts.seed + r, measureVirtualMs });
    wall.push(s.virtualPerWall);
    cpu.push(s.virtualPerCpu);
    ops = s.opsPerVirtualS;
  }
  const params = {
    nodes: 5,
    clients: 8,
    virtualS: measureVirtualMs / 1000,
    opsPerVirtualS: Math.round(ops),
  };
  return [row("virtualPerWall", wall, params), row("virtualPerCpu", cpu, params)];
};

function row(metric: string, xs: number[], params: BenchRow["params"]): BenchRow {
  const s = [...xs].sort((a, b) => a - b);
  return {
    group: "raft-sim",
    name: "5 nodes, 8 KV clients, checker on",
    metric,
    median: s[Math.floor(s.length / 2)]!,
    min: s[0]!,
    max: s[s.length - 1]!,
    repeats: s.length,
    params,
  };
}

export default benchRaftSim;
