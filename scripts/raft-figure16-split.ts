/**
 * bun run scripts/raft-figure16-split.ts [--trials N] [--reps R] [--seed S] [--help]
 *
 * Where does Figure 16's ~15 ms broadcast time go? For each split of it into
 * a one-way wire delay [w, w+1] ms and a disk sync s = 14 - 2w ms (the
 * voter's fsync of its vote before it replies; with --candidate-syncs the
 * candidate also holds its vote requests for its own fsync of the new term,
 * otherwise it sends them while it syncs, as Raft allows), runs the paper's setting (no
 * pre-vote, Figure 2 timer rule) on the three lines the paper gives figures
 * for, R repetitions of N trials each (independent seeds), and prints each
 * statistic as the mean over repetitions with the min-max across them:
 * 150-155 median (paper 287 ms), 150-200 worst (513 ms), 12-24 mean (35 ms)
 * and worst (152 ms). The experiment (experiments/raft-election) still runs
 * the all-on-the-wire split; this is the sweep over splits.
 */
import { Rng } from "../impl/core/rng.ts";
import { runElectionLine } from "../impl/raft/sim/election-trial.ts";

const HELP = `bun run scripts/raft-figure16-split.ts [options]

  --trials N   trials per line per repetition (default 1000, the paper's count)
  --reps R     repetitions (default 3)
  --seed S     seed (default 1)
  --candidate-syncs  the candidate also waits for its own sync before asking for votes
  --help       this text`;

/** One-way wire delay minimums swept, ms; the sync is 14 - 2w so the round trip stays ~15 ms. */
const WIRE_MIN_MS = [7, 5, 4, 3, 2, 1];
const LINES = [
  { line: [150, 155] as [number, number], stat: "median", paper: 287 },
  { line: [150, 200] as [number, number], stat: "max", paper: 513 },
  { line: [12, 24] as [number, number], stat: "mean", paper: 35 },
  { line: [12, 24] as [number, number], stat: "max", paper: 152 },
] as const;

function fail(msg: string): never {
  console.error(`raft-figure16-split: ${msg}`);
  process.exit(2);
}

function parseArgs(argv: string[]) {
  const a = { trials: 1000, reps: 3, seed: 1, candidateSyncs: false };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!;
    if (flag === "--help" || flag === "-h") {
      console.log(HELP);
      process.exit(0);
    }
    if (flag === "--candidate-syncs") {
      a.candidateSyncs = true;
      continue;
    }
    const n = Number(argv[++i]);
    if (!Number.isInteger(n) || n < 1) fail(`${flag} needs a positive integer`);
    if (flag === "--trials") a.trials = n;
    else if (flag === "--reps") a.reps = n;
    else if (flag === "--seed") a.seed = n;
    else fail(`unknown option ${flag} (see --help)`);
  }
  return a;
}

function stat(xs: number[], kind: "median" | "max" | "mean"): number {
  const s = [...xs].sort((x, y) => x - y);
  if (kind === "median") return s[Math.floor(s.length / 2)]!;
  if (kind === "max") return s[s.length - 1]!;
  return s.reduce((x, y) => x + y, 0) / s.length;
}

function main(): void {
  const a = parseArgs(process.argv.slice(2));
  console.log(
    `Figure 16 split sweep: ${a.reps} reps x ${a.trials} trials per line, seed ${a.seed}, no pre-vote, timer rule paper, candidate ${a.candidateSyncs ? "syncs before asking" : "asks while it syncs"}`,
  );
  console.log(
    "| wire one-way ms | sync ms | 150-155 median (287) | 150-200 worst (513) | 12-24 mean (35) | 12-24 worst (152) |",
  );
  console.log("|---|---|---|---|---|---|");
  const seeds = new Rng(a.seed);
  for (const w of WIRE_MIN_MS) {
    const sync = 14 - 2 * w;
    const cells: string[] = [];
    const cache = new Map<string, number[][]>();
    for (const { line, stat: kind } of LINES) {
      const key = line.join("-");
      if (!cache.has(key)) {
        const reps: number[][] = [];
        for (let r = 0; r < a.reps; r++) {
          const res = runElectionLine({
            timeoutMs: line,
            trials: a.trials,
            seed: seeds.fork(r * 1000 + line[1]).seed,
            preVote: false,
            electionTimerReset: "paper",
            oneWayDelayMs: [w, w + 1],
            voterSyncMs: sync,
            candidateSyncMs: a.candidateSyncs ? sync : 0,
          });
          reps.push(res.trials.map((t) => t.timeWithoutLeaderMs));
        }
        cache.set(key, reps);
      }
      const per = cache.get(key)!.map((xs) => stat(xs, kind));
      const mean = per.reduce((x, y) => x + y, 0) / per.length;
      cells.push(
        `${mean.toFixed(0)} (${Math.min(...per).toFixed(0)}-${Math.max(...per).toFixed(0)})`,
      );
    }
    console.log(`| ${w}-${w + 1} | ${sync} | ${cells.join(" | ")} |`);
  }
}

main();
