/**
 * bun run raft:election [--trials N] [--seed S] [--out DIR] [--timer-rule R] [--help]
 *
 * Reproduces Figure 16 of the Raft paper (§9.3) on the deterministic
 * simulator (impl/raft/sim/election-trial.ts): for each line of timeouts, N
 * trials of crashing the leader of a 5-server cluster, with pre-vote off and
 * on, under both election-timer rules (etcd, paper) unless --timer-rule picks
 * one. Writes DIR/raft-election.csv (one row per trial) and
 * DIR/raft-election.meta.json, and prints a summary beside the paper's
 * stated figures.
 */
import { execSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { availableParallelism, cpus } from "node:os";
import { join } from "node:path";
import cliProgress from "cli-progress";
import Papa from "papaparse";
import { type ElectionLineResult, runElectionLine } from "../impl/raft/sim/election-trial.ts";
import { ELECTION_TIMER_RESETS, type ElectionTimerReset } from "../impl/raft/types.ts";

const HELP = `bun run raft:election [options]

Raft paper Figure 16 (leader election after a leader crash, 5 servers) in virtual time.

  --trials N   trials per line (default 1000; 100 for a quick look)
  --seed S     seed (default 1); every trial's own seed is in the CSV
  --out DIR    output directory (default results)
  --delay-ms LO,HI  one-way network delay range (default 7,8: a 15 ms round trip, 1 ms jitter)
  --sync-ms MS  disk latency before a server sends what it had to fsync (default 0)
  --timer-rule etcd|paper|both  when election timers restart (default both):
               etcd = on every term change (etcd-raft); paper = Figure 2 (only on
               AppendEntries from the current leader, granting a vote, starting an election)
  --help       this text

Lines: top 150-150, 150-151, 150-155, 150-175, 150-200, 150-300 ms;
bottom 12-24, 25-50, 50-100, 100-200, 150-300 ms; each with pre-vote off and on
and each timer rule. The CSV column timerRule names the rule of each row.
A trial with no leader after 10 s of virtual time is recorded as censored.`;

const TOP: Array<[number, number]> = [
  [150, 150],
  [150, 151],
  [150, 155],
  [150, 175],
  [150, 200],
  [150, 300],
];
const BOTTOM: Array<[number, number]> = [
  [12, 24],
  [25, 50],
  [50, 100],
  [100, 200],
  [150, 300],
];
const CAP_MS = 10_000;

/** The paper's statements (§9.3), keyed by line. */
const PAPER: Record<string, string> = {
  "150-150": "no randomness: > 10 s (split votes; 100 trials)",
  "150-155": "5 ms randomness: median 287 ms",
  "150-200": "worst of 1000: 513 ms",
  "12-24": "mean 35 ms, worst 152 ms",
};

interface Args {
  trials: number;
  seed: number;
  out: string;
  delayMs: [number, number];
  syncMs: number;
  timerRules: ElectionTimerReset[];
}

function parseArgs(argv: string[]): Args {
  const a: Args = {
    trials: 1000,
    seed: 1,
    out: "results",
    delayMs: [7, 8],
    syncMs: 0,
    timerRules: [...ELECTION_TIMER_RESETS],
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!;
    if (flag === "--help" || flag === "-h") {
      console.log(HELP);
      process.exit(0);
    }
    if (!["--out", "--trials", "--seed", "--delay-ms", "--sync-ms", "--timer-rule"].includes(flag))
      fail(`unknown option ${flag} (see --help)`);
    const raw = argv[++i];
    if (raw === undefined) fail(`${flag} needs a value`);
    if (flag === "--out") a.out = raw;
    else if (flag === "--timer-rule") {
      if (raw === "both") a.timerRules = [...ELECTION_TIMER_RESETS];
      else if ((ELECTION_TIMER_RESETS as readonly string[]).includes(raw))
        a.timerRules = [raw as ElectionTimerReset];
      else fail(`--timer-rule needs etcd, paper or both, got ${raw}`);
    } else if (flag === "--sync-ms") {
      const v = Number(raw);
      if (!(v >= 0) || raw.trim() === "") fail(`--sync-ms needs a number >= 0, got ${raw}`);
      a.syncMs = v;
    } else if (flag === "--delay-ms") {
      const parts = raw.split(",").map(Number);
      const [lo, hi] = parts;
      if (parts.length !== 2 || lo === undefined || hi === undefined || !(lo >= 0 && hi >= lo)) {
        fail(`--delay-ms needs LO,HI with 0 <= LO <= HI, got ${raw}`);
      }
      a.delayMs = [lo, hi];
    } else if (flag === "--trials" || flag === "--seed") {
      const v = Number(raw);
      if (!Number.isInteger(v) || v < (flag === "--trials" ? 1 : 0))
        fail(`${flag} needs an integer${flag === "--trials" ? " >= 1" : " >= 0"}, got ${raw}`);
      if (flag === "--trials") a.trials = v;
      else a.seed = v;
    }
  }
  return a;
}

function fail(msg: string): never {
  console.error(`raft:election: ${msg}`);
  process.exit(2);
}

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!;
}

function gitSha(): string {
  try {
    return execSync("git rev-parse HEAD", { encoding: "utf8" }).trim();
  } catch {
    return "unknown";
  }
}

function main(): void {
  const a = parseArgs(process.argv.slice(2));
  const lines = [
    ...TOP.map((t) => ({ figure: "top", t })),
    ...BOTTOM.map((t) => ({ figure: "bottom", t })),
  ];
  console.log(
    `raft:election seed ${a.seed}, ${a.trials} trials per line, ${lines.length} lines x pre-vote off/on x timer rule ${a.timerRules.join("/")}`,
  );
  const total = lines.length * 2 * a.timerRules.length * a.trials;
  const tty = process.stdout.isTTY === true;
  const bar = tty
    ? new cliProgress.SingleBar(
        { format: "election [{bar}] {value}/{total} trials | {line} | {eta_formatted} left" },
        cliProgress.Presets.shades_classic,
      )
    : null;
  bar?.start(total, 0, { line: "" });
  const t0 = performance.now();
  let lastLine = t0;
  let done = 0;
  const cache = new Map<string, ElectionLineResult>();
  const rows: Record<string, string | number | boolean>[] = [];
  const results: Array<{ figure: string; line: ElectionLineResult }> = [];
  for (const { figure, t } of lines) {
    for (const [preVote, rule] of [false, true].flatMap((pv) =>
      a.timerRules.map((r) => [pv, r] as const),
    )) {
      const what = `${t[0]}-${t[1]} ms, pre-vote ${preVote ? "on" : "off"}, ${rule} timers`;
      const key = `${t[0]}-${t[1]}-${preVote}-${rule}`;
      let line = cache.get(key);
      if (line === undefined) {
        line = runElectionLine({
          timeoutMs: t,
          trials: a.trials,
          seed: a.seed,
          preVote,
          electionTimerReset: rule,
          capMs: CAP_MS,
          oneWayDelayMs: a.delayMs,
          syncDelayMs: a.syncMs,
          onTrial: () => {
            done++;
            bar?.update(done, { line: what });
            const now = performance.now();
            if (!bar && now - lastLine > 3000) {
              lastLine = now;
              console.log(
                `election ${done}/${total} trials (${what}), ${((now - t0) / 1000).toFixed(0)} s`,
              );
            }
          },
        });
        cache.set(key, line);
      } else {
        done += a.trials; // 150-300 appears in both graphs: same seed, same trials
        bar?.update(done);
      }
      results.push({ figure, line });
      line.trials.forEach((r, trial) => {
        rows.push({
          figure,
          timeoutMinMs: t[0],
          timeoutMaxMs: t[1],
          preVote,
          trial,
          timeWithoutLeaderMs: Number(r.timeWithoutLeaderMs.toFixed(3)),
          censored: r.censored,
          seed: r.seed,
          electionTerms: r.electionTerms,
          crashOffsetMs: Number(r.crashOffsetMs.toFixed(3)),
          timerRule: rule, // added last so older readers keep their column positions
        });
      });
    }
  }
  bar?.stop();
  const wallS = (performance.now() - t0) / 1000;
  mkdirSync(a.out, { recursive: true });
  const csvPath = join(a.out, "raft-election.csv");
  writeFileSync(csvPath, `${Papa.unparse(rows, { newline: "\n" })}\n`);
  const meta = {
    experiment: "raft-election",
    paper:
      "Ongaro and Ousterhout 2014, In Search of an Understandable Consensus Algorithm (Extended Version), section 9.3, Figure 16",
    command: `bun run raft:election --trials ${a.trials} --seed ${a.seed} --out ${a.out} --delay-ms ${a.delayMs.join(",")} --sync-ms ${a.syncMs} --timer-rule ${a.timerRules.length > 1 ? "both" : a.timerRules[0]}`,
    seed: a.seed,
    trialsPerLine: a.trials,
    profile: a.trials >= 1000 ? "full" : "quick",
    model: {
      servers: 5,
      heartbeatMs: "min election timeout / 2",
      oneWayDelayMs: a.delayMs,
      syncDelayMs: a.syncMs,
      setup:
        "first leader elected on a 0.1-0.2 ms network, then 3 heartbeat broadcasts on the trial's network before the crash window",
      timerRules: a.timerRules,
      tickMs: 0.1,
      capMs: CAP_MS,
      laggards: "2 of the 4 survivors lack the last committed entry",
      crash: "uniform in the heartbeat interval after a heartbeat broadcast",
      note: "timerRule etcd: election timer restarts on any term change (etcd-raft); paper: only on AppendEntries from the current leader, a granted vote or starting an election (Figure 2)",
    },
    gitSha: gitSha(),
    bunVersion: Bun.version,
    cpu: cpus()[0]?.model ?? "unknown",
    cores: availableParallelism(),
    wallSeconds: Number(wallS.toFixed(1)),
    createdAt: new Date().toISOString(),
  };
  writeFileSync(join(a.out, "raft-election.meta.json"), `${JSON.stringify(meta, null, 2)}\n`);
  printSummary(results);
  console.log(
    `\nwrote ${csvPath} (${rows.length} rows) and raft-election.meta.json in ${wallS.toFixed(1)} s`,
  );
}

function printSummary(results: Array<{ figure: string; line: ElectionLineResult }>): void {
  const table = results.map(({ figure, line }) => {
    const xs = line.trials.map((r) => r.timeWithoutLeaderMs).sort((x, y) => x - y);
    const censored = line.trials.filter((r) => r.censored).length;
    const name = `${line.timeoutMinMs}-${line.timeoutMaxMs}`;
    return {
      figure,
      timeoutMs: name,
      preVote: line.preVote ? "on" : "off",
      timerRule: line.electionTimerReset,
      trials: xs.length,
      censored,
      medianMs: quantile(xs, 0.5).toFixed(1),
      meanMs: (xs.reduce((s, x) => s + x, 0) / xs.length).toFixed(1),
      p99Ms: quantile(xs, 0.99).toFixed(1),
      maxMs: xs[xs.length - 1]!.toFixed(1),
      paper: PAPER[name] ?? "",
    };
  });
  console.log("\nTime without leader (virtual ms; censored trials count as 10,000 ms):");
  console.table(table);
}

main();
