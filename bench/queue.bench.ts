/**
 * Queue microbenchmarks, for every registered queue:
 *
 * - group "queue-single-thread": tryPush+tryPop pairs in one thread (mitata's
 *   measure; each call runs PAIRS_PER_CALL pairs), ns per pair, 64 B records.
 * - group "queue-cross-worker": records/s from one producer Worker to one
 *   consumer Worker through runQueueWorkload (ids checked, payload checks and
 *   latency off; the first quarter of each run's events is an untimed lead-in,
 *   LEAD_IN_FRACTION), per record ("single") and in batches/spans of 16 and 256
 *   (message-port gets batchRecords = the same batch, so it transfers one
 *   ArrayBuffer per batch), 64 B and 32 B records. Each row's median/min/max
 *   are over `repeats` runs (quick: 3, else 5) after a discarded probe run that
 *   sizes the event count to about TARGET_RUN_S of work.
 * - group "queue-ratio": spsc / message-port at the same batch, spsc /
 *   message-port-object: for each pair of cross-Worker rows measured above, a
 *   comparison through the measurement core (bench/compare.ts): both run
 *   interleaved in seeded balanced blocks at the row's event count, after a
 *   checked warm-up, printed as the paired geometric-mean ratio with its 95%
 *   bootstrap interval.
 * - group "queue-target": the targets, each with params.hit (ratio
 *   targets: hit only when the interval's lower bound clears the target).
 *
 * A run with any loss, duplication, reordering, corruption or error is not
 * timed: it throws, so a broken queue cannot post a figure.
 */
import { do_not_optimize, measure } from "mitata";
import {
  createQueue,
  listImplementations,
  openConsumer,
  openProducer,
  type QueueRegistration,
} from "../impl/index.ts";
import { runQueueWorkload, type WorkloadOptions } from "../impl/queue/workload.ts";
import { compareRow } from "./compare.ts";
import type { BenchFile, BenchRow } from "./types.ts";

const PAIRS_PER_CALL = 64;
const WARMUP_CALLS = 2000;
const TARGET_RUN_S = 0.5;
const PROBE_EVENTS = 200_000;
const MIN_EVENTS = 100_000;
const MAX_EVENTS = 50_000_000;
const RUN_TIMEOUT_MS = 120_000;
const CAPACITY_SLOTS = 65536;
/**
 * Share of a cross-Worker run's events sent before its timed window opens
 * (runQueueWorkload's warmupEvents): fresh Workers start in the interpreter,
 * and without a lead-in a 0.5 s run times their start-up too (spsc at batch
 * 256: 38.9M records/s without, against compare's 119M after a lead-in).
 * The same share as compare's queue runs (experiments/compare/queue.ts).
 */
const LEAD_IN_FRACTION = 0.25;
/** Events per warm-up chunk of a comparison (one short run in fresh Workers). */
const WARMUP_CHUNK_EVENTS = 50_000;
/** A comparison's warm-up stops here even if not flat (named maximum; the row says steady: false). */
const MAX_WARMUP_CHUNKS = 40;

interface CrossVariant {
  mode: WorkloadOptions["mode"];
  batch: number;
  recordBytes: 32 | 64;
  /** queueOptions.publishEveryRecords (spsc/fan-in honour it; 1 = publish every record). */
  publishEvery: number;
}

/** The deferred-publication variant of per-record pushes (one push call per record, TAIL stored every 32). */
const PUBLISH_EVERY_VARIANT = 32;

function variantName(v: CrossVariant): string {
  const pub = v.publishEvery > 1 ? ` publishEvery=${v.publishEvery}` : "";
  return v.mode === "single"
    ? `single${pub} ${v.recordBytes}B`
    : `${v.mode}=${v.batch} ${v.recordBytes}B`;
}

function crossVariants(reg: QueueRegistration, quick: boolean): CrossVariant[] {
  const out: CrossVariant[] = [];
  for (const recordBytes of quick ? ([64] as const) : ([64, 32] as const)) {
    out.push({ mode: "single", batch: 1, recordBytes, publishEvery: 1 });
    if (reg.capabilities.deferredPublish)
      out.push({ mode: "single", batch: 1, recordBytes, publishEvery: PUBLISH_EVERY_VARIANT });
    for (const batch of [16, 256]) {
      out.push({ mode: "batch", batch, recordBytes, publishEvery: 1 });
      if (reg.capabilities.spans) out.push({ mode: "span", batch, recordBytes, publishEvery: 1 });
    }
  }
  return out;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

async function singleThreadRow(reg: QueueRegistration, quick: boolean): Promise<BenchRow> {
  const q = createQueue(reg.name, { capacitySlots: 1024, recordBytes: 64, batchRecords: 16 });
  const p = openProducer(q.producerHandle(0));
  const c = openConsumer(q.consumerHandle());
  const src = new Uint8Array(64);
  const dst = new Uint8Array(64);
  let popped = 0;
  const loop = (): void => {
    for (let i = 0; i < PAIRS_PER_CALL; i++) {
      p.tryPush(src, 0);
      p.flush();
      if (c.tryPop(dst, 0)) popped++;
    }
    do_not_optimize(dst);
  };
  for (let i = 0; i < WARMUP_CALLS; i++) loop();
  const before = popped;
  const stats = await measure(loop, { min_cpu_time: (quick ? 100 : 500) * 1e6 });
  if (popped === before)
    throw new Error(`${reg.name}: tryPop never returned a record pushed in the same thread`);
  return {
    group: "queue-single-thread",
    name: `${reg.name} push+pop 64B`,
    metric: "nsPerOp",
    median: stats.p50 / PAIRS_PER_CALL,
    min: stats.min / PAIRS_PER_CALL,
    max: stats.max / PAIRS_PER_CALL,
    repeats: stats.samples.length,
    params: { recordBytes: 64, pairsPerCall: PAIRS_PER_CALL, op: "tryPush+flush+tryPop" },
  };
}

async function crossRun(queue: string, v: CrossVariant, events: number, seed: number) {
  const r = await runQueueWorkload({
    queue,
    queueOptions: {
      capacitySlots: CAPACITY_SLOTS,
      recordBytes: v.recordBytes,
      producers: 1,
      batchRecords: v.batch,
      publishEveryRecords: v.publishEvery,
      waitStrategy: "spin-then-park",
    },
    eventsPerProducer: events,
    warmupEvents: Math.floor(events * LEAD_IN_FRACTION),
    mode: v.mode,
    batchRecords: v.batch,
    seed,
    timeoutMs: RUN_TIMEOUT_MS,
    checkPayload: false,
    recordLatency: false,
  });
  const bad = r.lost + r.duplicated + r.reordered + r.corrupted;
  if (r.errors.length > 0 || bad > 0 || r.eventsReceived !== r.eventsSent)
    throw new Error(
      `${queue} ${variantName(v)}: broken run (lost ${r.lost}, dup ${r.duplicated}, reordered ${r.reordered}, corrupted ${r.corrupted}; ${r.errors.join("; ")})`,
    );
  return r;
}

async function crossRow(
  reg: QueueRegistration,
  v: CrossVariant,
  quick: boolean,
  seed: number,
): Promise<BenchRow> {
  const probe = await crossRun(reg.name, v, PROBE_EVENTS, seed);
  const events = Math.round(
    Math.min(
      MAX_EVENTS,
      Math.max(MIN_EVENTS, probe.throughputEventsPerS * TARGET_RUN_S * (quick ? 0.4 : 1)),
    ),
  );
  const rates: number[] = [];
  let cpuUs = 0;
  for (let i = 0; i < (quick ? 3 : 5); i++) {
    const r = await crossRun(reg.name, v, events, seed + i);
    rates.push(r.throughputEventsPerS);
    cpuUs += r.cpuUserUs + r.cpuSystemUs;
  }
  return {
    group: "queue-cross-worker",
    name: `${reg.name} ${variantName(v)}`,
    metric: "recordsPerS",
    median: median(rates),
    min: Math.min(...rates),
    max: Math.max(...rates),
    repeats: rates.length,
    params: {
      queue: reg.name,
      mode: v.mode,
      batch: v.batch,
      recordBytes: v.recordBytes,
      publishEveryRecords: v.publishEvery,
      producers: 1,
      eventsPerRun: events,
      capacitySlots: CAPACITY_SLOTS,
      cpuUsPerMRecords: Math.round(cpuUs / ((events * rates.length) / 1e6)),
    },
  };
}

/** The cross-Worker row's run, as a contender of an interleaved comparison. */
function contender(row: BenchRow, seed: number) {
  const queue = String(row.params.queue);
  const v: CrossVariant = {
    mode: row.params.mode as CrossVariant["mode"],
    batch: Number(row.params.batch),
    recordBytes: Number(row.params.recordBytes) as 32 | 64,
    publishEvery: Number(row.params.publishEveryRecords),
  };
  const events = Number(row.params.eventsPerRun);
  return {
    name: row.name,
    warmupChunk: async () =>
      (await crossRun(queue, v, WARMUP_CHUNK_EVENTS, seed)).throughputEventsPerS,
    trial: async (block: number) =>
      (await crossRun(queue, v, events, seed + block)).throughputEventsPerS,
  };
}

/** Ratio rows (interleaved comparisons) and target rows from the cross-Worker rows of this run. */
async function derivedRows(rows: BenchRow[], quick: boolean, seed: number): Promise<BenchRow[]> {
  const find = (name: string) =>
    rows.find((r) => r.group === "queue-cross-worker" && r.name === name);
  const out: BenchRow[] = [];
  const ratio = async (num: string, den: string, minRatio?: number) => {
    const a = find(num);
    const b = find(den);
    if (!a || !b) return;
    const row = await compareRow(
      {
        group: "queue-ratio",
        contender: contender(a, seed),
        baseline: contender(b, seed),
        higherIsBetter: true,
        minRatio,
        params: { numerator: num, denominator: den },
      },
      { quick, seed, warmup: { maxChunks: MAX_WARMUP_CHUNKS } },
    );
    console.log(
      `bench: ${row.name}: ${row.median.toPrecision(3)}x (95% CI ${row.min.toPrecision(3)}-${row.max.toPrecision(3)}, ${row.repeats} pairs, ${row.params.mode}${row.params.steady ? "" : ", warm-up not steady"})`,
    );
    out.push(row);
  };
  for (const rb of [64, 32]) {
    for (const b of [16, 256]) {
      await ratio(`spsc batch=${b} ${rb}B`, `message-port batch=${b} ${rb}B`, 2);
      await ratio(`spsc span=${b} ${rb}B`, `message-port batch=${b} ${rb}B`);
    }
    await ratio(`spsc single ${rb}B`, `message-port-object single ${rb}B`);
    await ratio(`spsc span=256 ${rb}B`, `message-port-object single ${rb}B`, 50);
  }
  const best = (queue: string, modes: string[]) =>
    rows
      .filter((r) => r.group === "queue-cross-worker" && r.params.queue === queue)
      .filter((r) => modes.includes(String(r.params.mode)))
      .reduce<BenchRow | null>((m, r) => (!m || r.median > m.median ? r : m), null);
  const target = (
    label: string,
    row: BenchRow | null | undefined,
    value: number | undefined,
    goal: number,
    metric = row?.metric ?? "recordsPerS",
  ) => {
    if (!row || value === undefined) return;
    out.push({
      group: "queue-target",
      name: label,
      metric,
      median: value,
      min: value,
      max: value,
      repeats: row.repeats,
      params: { target: goal, hit: value >= goal, from: row.name },
    });
  };
  const spscSingle = find("spsc single 64B");
  const spscBatch = best("spsc", ["batch", "span"]);
  target("spsc per-record >= 30M/s", spscSingle, spscSingle?.median, 30e6);
  target("spsc batches/spans >= 100M/s", spscBatch, spscBatch?.median, 100e6);
  // Ratio targets are decided on the interval: hit only when its lower bound clears the target.
  const ratioTarget = (label: string, name: string, goal: number) => {
    const r = out.find((x) => x.name === name);
    if (!r) return;
    out.push({
      group: "queue-target",
      name: label,
      metric: "ratio",
      median: r.median,
      min: r.min,
      max: r.max,
      repeats: r.repeats,
      ...(r.interval ? { interval: r.interval } : {}),
      params: {
        target: goal,
        hit: r.params.verdict === "holds",
        verdict: String(r.params.verdict),
        from: r.name,
      },
    });
  };
  // like for like: both sides copy records in and out (the span ratio is a row of its own)
  for (const b of [16, 256])
    ratioTarget(
      `spsc >= 2x message-port at batch ${b}`,
      `spsc batch=${b} 64B / message-port batch=${b} 64B`,
      2,
    );
  ratioTarget(
    "spsc >= 50x message-port-object",
    "spsc span=256 64B / message-port-object single 64B",
    50,
  );
  const mutex = best("mutex", ["single"]);
  target("mutex 1P/1C per-record >= 3.5M/s", mutex, mutex?.median, 3.5e6);
  return out;
}

const benchQueue: BenchFile = async ({ quick, seed, filter }) => {
  const rows: BenchRow[] = [];
  for (const reg of listImplementations("queue")) {
    const wanted = (name: string) => !filter || name.includes(filter) || "queue".includes(filter);
    if (wanted(`${reg.name} push+pop 64B`)) rows.push(await singleThreadRow(reg, quick));
    for (const v of crossVariants(reg, quick)) {
      if (!wanted(`${reg.name} ${variantName(v)}`)) continue;
      rows.push(await crossRow(reg, v, quick, seed));
    }
  }
  rows.push(...(await derivedRows(rows, quick, seed)));
  for (const r of rows.filter((x) => x.group === "queue-target"))
    console.log(
      `target ${r.params.hit ? "HIT " : "MISS"} ${r.name}: ${r.median.toPrecision(3)} (${r.params.from})`,
    );
  return rows;
};

export default benchQueue;
