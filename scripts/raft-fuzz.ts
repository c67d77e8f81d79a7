/**
 * bun run raft:fuzz [--seeds N] [--from S] [--fault-ms MS] [--heal-ms MS] [--help]
 *
 * Runs the Raft fuzzer (impl/raft/sim/fuzz.ts) over seeds S .. S+N-1: random
 * fault schedules, safety checked after every event, client histories
 * checked for linearizability, liveness after healing. Shows a progress bar
 * (a line every few seconds when stdout is not a terminal), prints each
 * failing seed with the command that replays it, and exits 1 on any failure.
 * Ends with the simulator's speed: simulated seconds per wall second for a
 * 5-node cluster under client load.
 */
import cliProgress from "cli-progress";
import { SimCluster } from "../impl/raft/sim/cluster.ts";
import { FUZZ_ELECTION_TIMEOUT_MS, type FuzzResult, runFuzzSeed } from "../impl/raft/sim/fuzz.ts";
import { KvClients, KvStore } from "../impl/raft/sim/kv.ts";

const HELP = `bun run raft:fuzz [options]

Randomized fault schedules over many seeds on the deterministic Raft simulator.

  --seeds N      number of seeds to run, >= 1 (default 1000)
  --from S       first seed, >= 0 (default 1)
  --fault-ms MS  virtual ms of faults per seed, >= 0 (default 3000)
  --heal-ms MS   virtual ms allowed to recover after healing, >= ${FUZZ_ELECTION_TIMEOUT_MS[1]} (default 5000)
  --help         this text

A failing seed is printed with the exact command that replays it.`;

interface Args {
  seeds: number;
  from: number;
  faultMs: number;
  healMs: number;
}

/** Each flag's key and the least value it takes (one source for the check and its message). */
const FLAGS: Record<string, { key: keyof Args; min: number }> = {
  "--seeds": { key: "seeds", min: 1 },
  "--from": { key: "from", min: 0 },
  "--fault-ms": { key: "faultMs", min: 0 },
  // a shorter heal window than the longest election timeout can never elect a leader
  "--heal-ms": { key: "healMs", min: FUZZ_ELECTION_TIMEOUT_MS[1] },
};

function parseArgs(argv: string[]): Args {
  const args: Args = { seeds: 1000, from: 1, faultMs: 3000, healMs: 5000 };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === "--help" || a === "-h") {
      console.log(HELP);
      process.exit(0);
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
  const extra = `${a.faultMs !== 3000 ? ` --fault-ms ${a.faultMs}` : ""}${a.healMs !== 5000 ? ` --heal-ms ${a.healMs}` : ""}`;
  return `bun run raft:fuzz --from ${seed} --seeds 1${extra}`;
}

/** Simulated seconds per wall second: 5 nodes, 8 busy KV clients, no faults. */
function measureSpeed(): { simSecondsPerWallSecond: number; opsPerVirtualSecond: number } {
  const c = new SimCluster({
    nodes: 5,
    seed: 1,
    electionTimeoutMs: [150, 300],
    heartbeatMs: 50,
    stateMachine: () => new KvStore(),
  });
  const virtualMs = 20_000;
  const clients = new KvClients(c, { clients: 8, keys: 4, seed: 1, thinkMs: 1 });
  clients.start(virtualMs);
  const t0 = performance.now();
  c.runFor(virtualMs);
  const wallMs = performance.now() - t0;
  return {
    simSecondsPerWallSecond: virtualMs / wallMs,
    opsPerVirtualSecond: clients.completed / (virtualMs / 1000),
  };
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
  let virtualMs = 0;
  let ops = 0;
  const t0 = performance.now();
  let lastLine = t0;
  for (let k = 0; k < a.seeds; k++) {
    const seed = a.from + k;
    const r = runFuzzSeed(seed, { faultMs: a.faultMs, healMs: a.healMs });
    virtualMs += r.virtualMs;
    ops += r.opsCompleted;
    if (!r.ok) {
      failures.push(r);
      const text = `FAIL seed ${seed}: ${r.error}\n  replay: ${replayCommand(seed, a)}`;
      if (bar) bar.stop();
      console.log(text);
      if (bar) bar.start(a.seeds, k + 1, { failures: failures.length });
    }
    bar?.update(k + 1, { failures: failures.length });
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
    `\n${a.seeds} seeds, ${failures.length} failing, ${ops} client ops, ${(virtualMs / 1000).toFixed(0)} simulated s in ${wallS.toFixed(1)} wall s (${(virtualMs / 1000 / wallS).toFixed(0)}x)`,
  );
  const speed = measureSpeed();
  console.log(
    `simulator speed, 5 nodes under load (${speed.opsPerVirtualSecond.toFixed(0)} KV ops/simulated s): ${speed.simSecondsPerWallSecond.toFixed(1)} simulated s per wall s`,
  );
  if (failures.length > 0) {
    console.log(`\nfailing seeds: ${failures.map((f) => f.seed).join(", ")}`);
    for (const f of failures.slice(0, 20)) console.log(`  ${replayCommand(f.seed, a)}`);
    process.exit(1);
  }
}

main();
