/**
 * File WAL sync benchmark: `bun run bench/wal-sync.ts [--quick] [--seed N] [--dir DIR]`.
 *
 * 1. fsync latency on this disk: one 64-byte entry + one sync(), repeated;
 *    percentiles over every sync (FileStorage's onSyncNs hook, ns).
 * 2. Group commit: entries/s when each sync() covers 1, 16 or 256 appended
 *    64-byte entries plus a hard state (one Ready). Rounds run the three batch
 *    sizes in seeded random order (interleaved, so drift hits all alike);
 *    each trial lasts TRIAL_S in a fresh directory. Ratios batch/1 are formed
 *    per round and reported as a mean with a 95% bootstrap interval.
 * 3. For reference, the same with fsync: false (page cache only).
 * The directory defaults to the OS temp dir (same disk as the repo here).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Rng } from "../impl/core/rng.ts";
import type { Entry } from "../impl/raft/types.ts";
import { openFileStorage } from "../impl/raft/wal/index.ts";

const HELP = `usage: bun run bench/wal-sync.ts [--quick] [--seed N] [--dir DIR]

Measures fsync latency (p50/p99) of the file WAL on this disk and entries/s
with group commit of 1, 16 and 256 entries per sync.

options:
  --quick     shorter trials and fewer rounds
  --seed N    seed for the trial order and the bootstrap (default 1; printed)
  --dir DIR   where to write (default: the OS temp dir)
  --help      this text
`;

const RECORD_BYTES = 64;
const BATCHES = [1, 16, 256] as const;
const BOOTSTRAP_RESAMPLES = 2000;

interface Args {
  quick: boolean;
  seed: number;
  dir: string;
}

function parseArgs(argv: string[]): Args {
  const a: Args = { quick: false, seed: 1, dir: tmpdir() };
  for (let i = 0; i < argv.length; i++) {
    const f = argv[i]!;
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${f} needs a value`);
      return v;
    };
    if (f === "--help" || f === "-h") {
      process.stdout.write(HELP);
      process.exit(0);
    } else if (f === "--quick") a.quick = true;
    else if (f === "--seed") {
      a.seed = Number(value());
      if (!Number.isInteger(a.seed)) throw new Error("--seed must be an integer");
    } else if (f === "--dir") a.dir = value();
    else throw new Error(`unknown option ${f} (see --help)`);
  }
  return a;
}

function entries(from: number, n: number, term: number): Entry[] {
  const out: Entry[] = [];
  for (let i = 0; i < n; i++)
    out.push({ index: from + i, term, type: 0, data: new Uint8Array(RECORD_BYTES).fill(i & 0xff) });
  return out;
}

interface Trial {
  entriesPerS: number;
  syncsPerS: number;
  syncNs: number[];
}

/** Appends `batch` entries + a hard state, then one sync, for `seconds`; a fresh dir each time. */
function trial(base: string, batch: number, seconds: number, fsync: boolean): Trial {
  const dir = mkdtempSync(join(base, "eventlab-walbench-"));
  const syncNs: number[] = [];
  try {
    const { storage } = openFileStorage(dir, {
      peers: [1],
      fsync,
      onSyncNs: (ns) => syncNs.push(ns),
    });
    syncNs.length = 0; // drop the segment creation
    let next = 1;
    let syncs = 0;
    const t0 = performance.now();
    const deadline = t0 + seconds * 1000;
    while (performance.now() < deadline) {
      storage.append(entries(next, batch, 1));
      next += batch;
      storage.setHardState({ term: 1, vote: 1, commit: next - 1 });
      storage.sync();
      syncs++;
    }
    const s = (performance.now() - t0) / 1000;
    storage.close();
    return { entriesPerS: (next - 1) / s, syncsPerS: syncs / s, syncNs };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

function median(xs: number[]): number {
  return pct(
    [...xs].sort((a, b) => a - b),
    50,
  );
}

/** Mean of xs with a 95% percentile-bootstrap interval. */
function meanCi(xs: number[], rng: Rng): [number, number, number] {
  const mean = (v: number[]): number => v.reduce((a, b) => a + b, 0) / v.length;
  const means: number[] = [];
  for (let r = 0; r < BOOTSTRAP_RESAMPLES; r++) {
    const sample = xs.map(() => xs[rng.int(xs.length)]!);
    means.push(mean(sample));
  }
  means.sort((a, b) => a - b);
  return [mean(xs), pct(means, 2.5), pct(means, 97.5)];
}

function main(): void {
  const args = parseArgs(process.argv.slice(2));
  const rng = new Rng(args.seed);
  const rounds = args.quick ? 3 : 8;
  const trialS = args.quick ? 0.3 : 1;
  const latencyS = args.quick ? 1 : 4;
  console.log(
    `wal-sync bench seed=${args.seed} dir=${args.dir} rounds=${rounds} trial=${trialS}s record=${RECORD_BYTES}B`,
  );

  const lat = trial(args.dir, 1, latencyS, true);
  const ns = [...lat.syncNs].sort((a, b) => a - b);
  const us = (x: number): string => (x / 1000).toFixed(0);
  console.log(
    `fsync latency (fdatasync, 1 entry/sync, n=${ns.length}): p50 ${us(pct(ns, 50))} us, p90 ${us(pct(ns, 90))} us, p99 ${us(pct(ns, 99))} us, p99.9 ${us(pct(ns, 99.9))} us, max ${us(ns.at(-1)!)} us`,
  );

  for (const fsync of [true, false]) {
    const perBatch = new Map<number, Trial[]>(BATCHES.map((b) => [b, []]));
    for (let r = 0; r < rounds; r++) {
      const order = [...BATCHES];
      for (let i = order.length - 1; i > 0; i--) {
        const j = rng.int(i + 1);
        [order[i], order[j]] = [order[j]!, order[i]!];
      }
      for (const b of order) perBatch.get(b)!.push(trial(args.dir, b, trialS, fsync));
    }
    console.log(`\ngroup commit, fsync ${fsync ? "on" : "OFF (page cache only)"}:`);
    console.log(
      "entries/sync  entries/s (median, min..max)   syncs/s   sync p50/p99 us   ratio vs 1 (mean, 95% CI)",
    );
    const one = perBatch.get(1)!;
    for (const b of BATCHES) {
      const ts = perBatch.get(b)!;
      const eps = ts.map((t) => t.entriesPerS);
      const all = ts.flatMap((t) => t.syncNs).sort((a, c) => a - c);
      const [m, lo, hi] = meanCi(
        ts.map((t, i) => t.entriesPerS / one[i]!.entriesPerS),
        rng,
      );
      console.log(
        `${String(b).padStart(12)}  ${median(eps).toFixed(0).padStart(10)} (${Math.min(...eps).toFixed(0)}..${Math.max(...eps).toFixed(0)})`.padEnd(
          47,
        ) +
          `${median(ts.map((t) => t.syncsPerS))
            .toFixed(0)
            .padStart(7)}   ${us(pct(all, 50))}/${us(pct(all, 99))}`.padEnd(28) +
          (b === 1 ? "1" : `${m.toFixed(1)} [${lo.toFixed(1)}, ${hi.toFixed(1)}]`),
      );
    }
  }
}

main();
