/**
 * bun run scripts/raft-node-floor.ts [--virtual-s S] [--warmup-s S] [--seed N] [--repeats N] [--help]
 *
 * How fast could the simulator be with the Raft node it runs? Each repeat
 * measures the whole simulator (measureSimSpeed) and then the node alone
 * (impl/raft/sim/node-floor.ts: the node calls of the same load replayed
 * into bare nodes) in one process, and prints both with the node's share.
 */
import { z } from "zod";
import {
  type FlagSpec,
  helpText,
  parseFlags,
  UsageError,
  validateOptions,
} from "../impl/core/cli-args.ts";
import { measureNodeFloor } from "../impl/raft/sim/node-floor.ts";
import { measureSimSpeed, SIM_SPEED_WARMUP_VIRTUAL_MS } from "../impl/raft/sim/speed.ts";

const DEFAULT_WARMUP_S = SIM_SPEED_WARMUP_VIRTUAL_MS / 1000;

const Options = z
  .object({
    virtualS: z.number().int().min(1).default(600),
    warmupS: z.number().int().min(1).default(DEFAULT_WARMUP_S),
    seed: z.number().int().min(0).max(0xffffffff).default(1),
    repeats: z.number().int().min(1).default(3),
  })
  .strict();

const FLAGS: FlagSpec[] = [
  {
    flag: "virtual-s",
    key: "virtualS",
    kind: "int",
    help: "measured virtual seconds, >= 1 (default 600)",
  },
  {
    flag: "warmup-s",
    key: "warmupS",
    kind: "int",
    help: `warm-up virtual seconds before them, >= 1 (default ${DEFAULT_WARMUP_S})`,
  },
  { flag: "seed", key: "seed", kind: "int", help: "cluster seed (default 1)" },
  {
    flag: "repeats",
    key: "repeats",
    kind: "int",
    help: "repeats, each a fresh run and recording, >= 1 (default 3)",
  },
];

const USAGE = `bun run scripts/raft-node-floor.ts [options]

Replays the node calls of the simulator-speed load (5 nodes, 8 KV clients)
into bare nodes (no engine, checker, trace, state machine or clients) and
prints the speed that leaves, next to the whole simulator's.`;

function parseArgs(argv: string[]): z.output<typeof Options> {
  if (argv.includes("--help") || argv.includes("-h")) {
    console.log(helpText(USAGE, FLAGS));
    process.exit(0);
  }
  try {
    return validateOptions(Options, parseFlags(argv, FLAGS), FLAGS);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    console.error(`raft-node-floor: ${e.message}`);
    process.exit(2);
  }
}

const a = parseArgs(process.argv.slice(2));
const warmupMs = a.warmupS * 1000;
const measureMs = a.virtualS * 1000;
console.log(
  `node floor: 5 nodes, 8 KV clients, ${a.virtualS} virtual s after ${a.warmupS} s warm-up, seed ${a.seed}, ${a.repeats} repeats (shared machine: noisy)`,
);
for (let r = 1; r <= a.repeats; r++) {
  const whole = measureSimSpeed({
    seed: a.seed,
    warmupVirtualMs: warmupMs,
    measureVirtualMs: measureMs,
  });
  const f = measureNodeFloor(a.seed, warmupMs, measureMs);
  const wholeText = `whole simulator ${whole.virtualPerWall.toFixed(0)}x real time (${whole.virtualPerCpu.toFixed(0)}x CPU)`;
  if (f.nodeWallMs <= 0 || f.nodeCpuMs <= 0) {
    // The loop's own time, subtracted, swamped a replay this short (a pause on a shared machine).
    console.log(
      `  repeat ${r}: ${wholeText}; node alone too short to time (loop ${f.loopMs.toFixed(1)} ms, replay minus loop ${f.nodeWallMs.toFixed(1)} ms): use a longer --virtual-s`,
    );
    continue;
  }
  const nodeX = measureMs / f.nodeWallMs;
  const nodeCpuX = measureMs / f.nodeCpuMs;
  console.log(
    `  repeat ${r}: ${wholeText}; ` +
      `node alone ${nodeX.toFixed(0)}x real time (${nodeCpuX.toFixed(0)}x CPU), ` +
      `${((f.nodeWallMs * 1000) / f.windowEvents).toFixed(3)} us per event ` +
      `(${f.windowEvents} events, ${f.windowCalls} node calls; replay loop's own ${f.loopMs.toFixed(0)} ms subtracted); ` +
      `node share of the simulator: ${((100 * whole.virtualPerWall) / nodeX).toFixed(0)}% of wall, ${((100 * whole.virtualPerCpu) / nodeCpuX).toFixed(0)}% of CPU time`,
  );
}
