/**
 * Allocator microbenchmarks (mitata's measure): per registered allocator,
 * acquire+release ns per pair at record sizes 32/64/256, acquire+write+release
 * at 64 B, and bursts of 64 acquires released in a seeded shuffled order.
 *
 * Each measured call runs OPS_PER_CALL pairs and mitata batches calls, so a
 * sample is the mean over thousands of pairs; the row's median/min/max are over
 * mitata's samples, divided by the pairs per call. Every acquired ref is passed
 * to do_not_optimize so it escapes, as it would into a queue: otherwise the JIT
 * may delete naive's allocation outright.
 *
 * Group "alloc-ratio": each allocator against the naive baseline on the
 * acquire+write+release 64 B loop, through the measurement core
 * (bench/compare.ts): interleaved seeded blocks of short trials after a
 * checked warm-up, printed as the paired speedup (naive ns/op over its ns/op,
 * > 1 = faster than naive) with its 95% bootstrap interval.
 */
import { do_not_optimize, measure } from "mitata";
import {
  type Allocator,
  createAllocator,
  listImplementations,
  newEventFields,
  payloadCapacity,
  type RecordBytes,
  Rng,
} from "../impl/index.ts";
import { callRate, compareRow } from "./compare.ts";
import type { BenchFile, BenchRow } from "./types.ts";

const OPS_PER_CALL = 64;
const WARMUP_CALLS = 2000;
const BURST_SIZE = 64;
const POOL_CAPACITY = 1024;
const PAIR_SIZES: readonly RecordBytes[] = [32, 64, 256];
/** Loop calls per warm-up chunk and per trial of a comparison (OPS_PER_CALL operations each). */
const COMPARE_CHUNK_CALLS = 500;
const COMPARE_TRIAL_CALLS = { quick: 5_000, full: 20_000 } as const;

type Loop = () => void;

/**
 * Each benchmark loop is compiled from source per allocator (new Function), so
 * the JIT's type feedback for a.acquire/a.release is not shared between
 * implementations measured in the same run: each gets the monomorphic code a
 * real caller would.
 */
function compile(body: string, ...names: string[]): (...args: unknown[]) => Loop {
  return new Function(...names, `return function loop() { ${body} };`) as (
    ...args: unknown[]
  ) => Loop;
}

const pairLoop = (): ((...a: unknown[]) => Loop) =>
  compile(
    `for (let i = 0; i < n; i++) { const r = a.acquire(); sink(r); a.release(r); }`,
    "a",
    "sink",
    "n",
  );
const writeLoop = (): ((...a: unknown[]) => Loop) =>
  compile(
    `for (let i = 0; i < n; i++) { const r = a.acquire(); sink(r); a.write(r, ev); a.release(r); }`,
    "a",
    "sink",
    "n",
    "ev",
  );
const burstLoop = (): ((...a: unknown[]) => Loop) =>
  compile(
    `for (let i = 0; i < n; i++) { const r = a.acquire(); sink(r); refs[i] = r; }
     for (let i = 0; i < n; i++) a.release(refs[order[i]]);`,
    "a",
    "sink",
    "n",
    "refs",
    "order",
  );

function shuffled(n: number, rng: Rng): Int32Array {
  const order = Int32Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  return order;
}

async function row(
  name: string,
  variant: string,
  loop: Loop,
  pairsPerCall: number,
  quick: boolean,
  params: BenchRow["params"],
): Promise<BenchRow> {
  // Warm up first so mitata's probe call sees optimised code and picks its batched mode
  // (each sample = mean of 4096 calls) for every row alike.
  for (let i = 0; i < WARMUP_CALLS; i++) loop();
  const stats = await measure(loop, { min_cpu_time: (quick ? 100 : 600) * 1e6 });
  return {
    group: "alloc",
    name: `${name} ${variant}`,
    metric: "nsPerOp",
    median: stats.p50 / pairsPerCall,
    min: stats.min / pairsPerCall,
    max: stats.max / pairsPerCall,
    repeats: stats.samples.length,
    params: { ...params, op: "acquire+release pair", pairsPerCall },
  };
}

const benchAlloc: BenchFile = async ({ quick, seed, filter }) => {
  const rng = new Rng(seed);
  const rows: BenchRow[] = [];
  for (const reg of listImplementations("allocator")) {
    const name = reg.name;
    const wanted = (variant: string) =>
      !filter || `${name} ${variant}`.includes(filter) || "alloc".includes(filter);
    for (const recordBytes of quick ? ([64] as const) : PAIR_SIZES) {
      const variant = `acquire+release ${recordBytes}B`;
      if (!wanted(variant)) continue;
      const a = createAllocator(name, {
        capacity: POOL_CAPACITY,
        recordBytes,
      });
      rows.push(
        await row(
          name,
          variant,
          pairLoop()(a, do_not_optimize, OPS_PER_CALL),
          OPS_PER_CALL,
          quick,
          { recordBytes },
        ),
      );
      checkDrained(a);
    }
    const recordBytes: RecordBytes = 64;
    if (wanted("acquire+write+release 64B")) {
      const a = createAllocator(name, {
        capacity: POOL_CAPACITY,
        recordBytes,
      });
      const ev = newEventFields(recordBytes);
      ev.payloadLength = payloadCapacity(recordBytes);
      rng.fill(ev.payload);
      const loop = writeLoop()(a, do_not_optimize, OPS_PER_CALL, ev);
      rows.push(
        await row(name, "acquire+write+release 64B", loop, OPS_PER_CALL, quick, {
          recordBytes,
          write: true,
        }),
      );
      checkDrained(a);
    }
    if (wanted(`burst${BURST_SIZE} shuffled release 64B`)) {
      const a = createAllocator(name, {
        capacity: POOL_CAPACITY,
        recordBytes,
      });
      const loop = burstLoop()(
        a,
        do_not_optimize,
        BURST_SIZE,
        new Array(BURST_SIZE),
        shuffled(BURST_SIZE, rng),
      );
      rows.push(
        await row(name, `burst${BURST_SIZE} shuffled release 64B`, loop, BURST_SIZE, quick, {
          recordBytes,
          burst: BURST_SIZE,
        }),
      );
      checkDrained(a);
    }
  }
  rows.push(...(await ratioRows(quick, seed, filter)));
  return rows;
};

/** One allocator's write loop at 64 B as a contender: warm-up chunks in calls/s, trials in ns/op. */
function writeContender(name: string, rng: Rng, quick: boolean) {
  const recordBytes: RecordBytes = 64;
  const a = createAllocator(name, { capacity: POOL_CAPACITY, recordBytes });
  const ev = newEventFields(recordBytes);
  ev.payloadLength = payloadCapacity(recordBytes);
  rng.fill(ev.payload);
  const loop = writeLoop()(a, do_not_optimize, OPS_PER_CALL, ev);
  const calls = quick ? COMPARE_TRIAL_CALLS.quick : COMPARE_TRIAL_CALLS.full;
  return {
    name,
    warmupChunk: () => callRate(loop, COMPARE_CHUNK_CALLS),
    trial: () => {
      const t0 = performance.now();
      for (let i = 0; i < calls; i++) loop();
      const ns = ((performance.now() - t0) * 1e6) / (calls * OPS_PER_CALL);
      checkDrained(a);
      return ns;
    },
  };
}

async function ratioRows(quick: boolean, seed: number, filter?: string): Promise<BenchRow[]> {
  const names = listImplementations("allocator").map((r) => r.name);
  if (!names.includes("naive")) return [];
  const rows: BenchRow[] = [];
  for (const name of names.filter((n) => n !== "naive")) {
    const label = `${name} / naive acquire+write+release 64B`;
    if (filter && !label.includes(filter) && !"alloc-ratio".includes(filter)) continue;
    const rng = new Rng(seed);
    const row = await compareRow(
      {
        group: "alloc-ratio",
        name: label,
        contender: writeContender(name, rng, quick),
        baseline: writeContender("naive", rng, quick),
        higherIsBetter: false,
        params: { recordBytes: 64, op: "acquire+write+release", baseline: "naive" },
      },
      { quick, seed },
    );
    console.log(
      `bench: ${row.name}: speedup ${row.median.toPrecision(3)}x (95% CI ${row.min.toPrecision(3)}-${row.max.toPrecision(3)}, ${row.repeats} pairs, ${row.params.mode}${row.params.steady ? "" : ", warm-up not steady"})`,
    );
    rows.push(row);
  }
  return rows;
}

/** A benchmark that leaks refs measured something other than it says. */
function checkDrained(a: Allocator): void {
  if (a.live() !== 0)
    throw new Error(`bench alloc: ${a.name} has ${a.live()} refs live after its loop`);
}

export default benchAlloc;
