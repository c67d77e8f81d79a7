/**
 * bun run raft:fuzz [--seeds N] [--from S] [--fault-ms MS] [--heal-ms MS]
 *                   [--family F] [--stop-on-fail] [--no-speed] [--help]
 *
 * Runs the Raft fuzzer (impl/raft/sim/fuzz.ts) over seeds S .. S+N-1: one
 * fault schedule family per seed (round robin), safety checked after every
 * event, client histories checked for linearizability, liveness after
 * healing, each seed under an event and a virtual-time budget. Shows a
 * progress bar (a line every few seconds when stdout is not a terminal),
 * prints each failing seed with its family, the invariant that fired and the
 * command that replays it, and exits 1 on any failure. Ends with the
 * simulator's speed for the reference load (impl/raft/sim/speed.ts).
 */
import cliProgress from "cli-progress";
import {
  FUZZ_ELECTION_TIMEOUT_MS,
  FUZZ_MAX_EVENTS,
  type FuzzResult,
  runFuzzSeed,
} from "../impl/raft/sim/fuzz.ts";
import { FAULT_FAMILIES, type FaultFamily } from "../impl/raft/sim/fuzz-schedules.ts";
import { measureSimSpeed, SIM_SPEED_TARGET_X } from "../impl/raft/sim/speed.ts";

const HELP = `bun run raft:fuzz [options]

Randomized fault schedules over many seeds on the deterministic Raft simulator.

  --seeds N      number of seeds to run, >= 1 (default 1000)
  --from S       first seed, >= 0 (default 1)
  --fault-ms MS  virtual ms of faults per seed, >= 0 (default 3000)
  --heal-ms MS   virtual ms allowed to recover after healing, >= ${FUZZ_ELECTION_TIMEOUT_MS[1]} (default 5000)
  --family F     run every seed with fault family F instead of the seed's own
                 (${FAULT_FAMILIES.join(", ")})
  --stop-on-fail stop at the first failing seed
  --no-speed     skip the closing simulator speed measurement (600 virtual s)
  --help         this text

Each seed runs under a budget of ${FUZZ_MAX_EVENTS} events and fault-ms + 2 x heal-ms + 15000
virtual ms; exceeding either fails the seed. A failing seed is printed with its
fault family, the invariant that fired and the exact command that replays it.`;

interface Args {
  seeds: number;
  from: number;
  faultMs: number;
  healMs: number;
  family: FaultFamily | undefined;
  stopOnFail: boolean;
  speed: boolean;
}

/** Each numeric flag's key and the least value it takes (one source for the check and its message). */
const FLAGS: Record<string, { key: "seeds" | "from" | "faultMs" | "healMs"; min: number }> = {
  "--seeds": { key: "seeds", min: 1 },
  "--from": { key: "from", min: 0 },
  "--fault-ms": { key: "faultMs", min: 0 },
  // a shorter heal window than the longest election timeout can never elect a leader
  "--heal-ms": { key: "healMs", min: FUZZ_ELECTION_TIMEOUT_MS[1] },
};

function parseArgs(argv: string[]): Args {
  const args: Args = {
    seeds: 1000,
    from: 1,
    faultMs: 3000,
    healMs: 5000,
    family: undefined,
    stopOnFail: false,
    speed: true,
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === "--help" || a === "-h") {
      console.log(HELP);
      process.exit(0);
    }
    if (a === "--stop-on-fail") {
      args.stopOnFail = true;
      continue;
    }
    if (a === "--no-speed") {
      args.speed = false;
      continue;
    }
    if (a === "--family") {
      const f = argv[++i];
      if (!FAULT_FAMILIES.includes(f as FaultFamily))
        fail(`--family needs one of ${FAULT_FAMILIES.join(", ")}, got ${f ?? "nothing"}`);
      args.family = f as FaultFamily;
      continue;
    }
    const flag = FLAGS[a];
    if (flag === undefined) fail(`unknown option ${a} (see --help)`);
    const raw = argv[++i];
    const v = Number(raw);
    if (raw === undefined || raw.trim() === "" || !Number.isInteger(v) || v < flag.min)
      fail(`${a} needs an integer >= ${flag.min}, got ${raw ?? "nothing"}`);
    args[flag.key] = v;
  }
  return args;
}

function fail(msg: string): never {
  console.error(`raft:fuzz: ${msg}`);
  process.exit(2);
}

function replayCommand(seed: number, a: Args): string {
  const extra = `${a.faultMs !== 3000 ? ` --fault-ms ${a.faultMs}` : ""}${a.healMs !== 5000 ? ` --heal-ms ${a.healMs}` : ""}${a.family ? ` --family ${a.family}` : ""}`;
  return `bun run raft:fuzz --from ${seed} --seeds 1${extra}`;
}

function main(): void {
  const a = parseArgs(process.argv.slice(2));
  console.log(
    `raft:fuzz seeds ${a.from}..${a.from + a.seeds - 1} (fault ${a.faultMs} ms, heal ${a.healMs} ms per seed)`,
  );
  const tty = process.stdout.isTTY === true;
  const bar = tty
    ? new cliProgress.SingleBar(
        {
          format: "fuzz [{bar}] {value}/{total} seeds | failures {failures} | {eta_formatted} left",
          hideCursor: true,
        },
        cliProgress.Presets.shades_classic,
      )
    : null;
  bar?.start(a.seeds, 0, { failures: 0 });
  const failures: FuzzResult[] = [];
  let seedsRun = a.seeds;
  let virtualMs = 0;
  let ops = 0;
  const t0 = performance.now();
  let lastLine = t0;
  for (let k = 0; k < a.seeds; k++) {
    const seed = a.from + k;
    const r = runFuzzSeed(seed, { faultMs: a.faultMs, healMs: a.healMs, family: a.family });
    virtualMs += r.virtualMs;
    ops += r.opsCompleted;
    if (!r.ok) {
      failures.push(r);
      const text = `FAIL seed ${seed} (family ${r.family}, invariant ${r.invariant}): ${r.error}\n  replay: ${replayCommand(seed, a)}`;
      if (bar) bar.stop();
      console.log(text);
      if (bar) bar.start(a.seeds, k + 1, { failures: failures.length });
    }
    bar?.update(k + 1, { failures: failures.length });
    if (a.stopOnFail && failures.length > 0) {
      seedsRun = k + 1;
      break;
    }
    const now = performance.now();
    if (!bar && (now - lastLine > 3000 || k + 1 === a.seeds)) {
      lastLine = now;
      console.log(
        `fuzz ${k + 1}/${a.seeds} seeds, ${failures.length} failures, ${((now - t0) / 1000).toFixed(1)} s`,
      );
    }
  }
  bar?.stop();
  const wallS = (performance.now() - t0) / 1000;
  console.log(
    `\n${seedsRun} seeds, ${failures.length} failing, ${ops} client ops, ${(virtualMs / 1000).toFixed(0)} simulated s in ${wallS.toFixed(1)} wall s (${(virtualMs / 1000 / wallS).toFixed(0)}x)`,
  );
  if (a.speed) {
    const speed = measureSimSpeed();
    console.log(
      `simulator speed, 5 nodes, 8 KV clients (${speed.opsPerVirtualS.toFixed(0)} ops/virtual s), ${speed.measureVirtualMs / 1000} virtual s after warm-up: ${speed.virtualPerWall.toFixed(0)}x real time, ${speed.virtualPerCpu.toFixed(0)}x CPU time (${(speed.eventsPerWallS / 1e6).toFixed(2)}M events/s; target ${SIM_SPEED_TARGET_X}x; shared machine, noisy)`,
    );
  }
  if (failures.length > 0) {
    console.log(`\nfailing seeds: ${failures.map((f) => f.seed).join(", ")}`);
    for (const f of failures.slice(0, 20)) console.log(`  ${replayCommand(f.seed, a)}`);
    process.exit(1);
  }
}

main();
