/**
 * bun run scripts/raft-figure16-split.ts [--trials N] [--reps R] [--seed S] [--lagging K] [--candidate-syncs] [--help]
 *
 * Where does Figure 16's ~15 ms broadcast time go? A quick table of the
 * raft-election-split experiment's sweep (experiments/raft-election-split,
 * which holds the splits, the stated figures and runSplitLine: one source),
 * for the lines the paper gives figures for, R repetitions of N trials each:
 * each cell is the mean over repetitions with the min-max across them. The
 * registered experiment adds intervals, the other lines and a report
 * section; `--candidate-syncs` (the candidate also holds its vote requests
 * for its own sync) and `--lagging K` (how many survivors lack the last
 * committed entry; the paper gives no count, the experiments use 2) are
 * only here.
 */

import {
  runSplitLine,
  STATED,
  voterSyncFor,
  WIRE_MIN_MS,
} from "../experiments/raft-election-split/experiment.ts";
import { Rng } from "../impl/core/rng.ts";

const HELP = `bun run scripts/raft-figure16-split.ts [options]

  --trials N   trials per line per repetition (default 1000, the paper's count)
  --reps R     repetitions (default 3)
  --seed S     seed (default 1)
  --lagging K  survivors that lack the last committed entry and cannot win, 0-2 (default 2)
  --candidate-syncs  the candidate also waits for its own sync before asking for votes
  --help       this text`;

/** A named maximum on the work one invocation may ask for. */
const MAX_TRIALS = 100_000;
const MAX_REPS = 100;

function fail(msg: string): never {
  console.error(`raft-figure16-split: ${msg}`);
  process.exit(2);
}

function parseArgs(argv: string[]) {
  const a = { trials: 1000, reps: 3, seed: 1, lagging: 2, candidateSyncs: false };
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
    if (!["--trials", "--reps", "--seed", "--lagging"].includes(flag))
      fail(`unknown option ${flag} (see --help)`);
    const n = Number(argv[++i]);
    if (flag === "--lagging") {
      if (![0, 1, 2].includes(n)) fail("--lagging needs 0, 1 or 2");
      a.lagging = n;
      continue;
    }
    if (!Number.isInteger(n) || n < 1) fail(`${flag} needs a positive integer`);
    if (flag === "--trials") a.trials = Math.min(n, MAX_TRIALS);
    else if (flag === "--reps") a.reps = Math.min(n, MAX_REPS);
    else a.seed = n;
  }
  return a;
}

function main(): void {
  const a = parseArgs(process.argv.slice(2));
  console.log(
    `Figure 16 split sweep: ${a.reps} reps x ${a.trials} trials per line, seed ${a.seed}, no pre-vote, timer rule paper, candidate ${a.candidateSyncs ? "syncs before asking" : "asks while it syncs"}, ${a.lagging} survivors lack the last entry`,
  );
  const heads = STATED.map((s) => `${s.lo}-${s.hi} ${s.stat} (${s.paperMs})`);
  console.log(`| wire one-way ms | sync ms | ${heads.join(" | ")} |`);
  console.log(`|---|---|${heads.map(() => "---").join("|")}|`);
  const seeds = new Rng(a.seed);
  for (const w of WIRE_MIN_MS.full) {
    const sync = voterSyncFor(w);
    const byLine = new Map<string, ReturnType<typeof runSplitLine>[]>();
    const cells = STATED.map((s) => {
      const key = `${s.lo}-${s.hi}`;
      if (!byLine.has(key)) {
        const point = {
          timeoutMinMs: s.lo,
          timeoutMaxMs: s.hi,
          wireMinMs: w,
          voterSyncMs: sync,
          candidateSyncMs: a.candidateSyncs ? sync : 0,
          trials: a.trials,
          capMs: 10_000,
        };
        const reps = [];
        for (let r = 0; r < a.reps; r++)
          reps.push(runSplitLine(point, seeds.fork(r * 1000 + s.hi).seed, a.lagging));
        byLine.set(key, reps);
      }
      const per = byLine.get(key)!.map((x) => x[s.stat]);
      const m = per.reduce((x, y) => x + y, 0) / per.length;
      return `${m.toFixed(0)} (${Math.min(...per).toFixed(0)}-${Math.max(...per).toFixed(0)})`;
    });
    console.log(`| ${w}-${w + 1} | ${sync} | ${cells.join(" | ")} |`);
  }
}

main();
