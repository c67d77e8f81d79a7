/**
 * Queue microbenchmarks, for every registered queue:
 *
 * - group "queue-single-thread": tryPush+tryPop pairs in one thread (mitata's
 *   measure; each call runs PAIRS_PER_CALL pairs), ns per pair, 64 B records.
 * - group "queue-cross-worker": records/s from one producer Worker to one
 *   consumer Worker through runQueueWorkload (ids checked, payload checks and
 *   latency off), per record ("single") and in batches/spans of 16 and 256
 *   (message-port gets batchRecords = the same batch, so it transfers one
 *   ArrayBuffer per batch), 64 B and 32 B records. Each row's median/min/max
 *   are over `repeats` runs (quick: 3, else 5) after a discarded probe run that
 *   sizes the event count to about TARGET_RUN_S of work.
 * - group "queue-ratio": spsc / message-port at the same batch, spsc /
 *   message-port-object, from rows measured in this same run.
 * - group "queue-target": the targets, each with params.hit.
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
import type { BenchFile, BenchRow } from "./types.ts";

const PAIRS_PER_CALL = 64;
const WARMUP_CALLS = 2000;
const TARGET_RUN_S = 0.5;
const PROBE_EVENTS = 200_000;
const MIN_EVENTS = 100_000;
const MAX_EVENTS = 50_000_000;
const RUN_TIMEOUT_MS = 120_000;
const CAPACITY_SLOTS = 65536;

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

/** Ratio rows and target rows from the cross-Worker rows of this run. */
function derivedRows(rows: BenchRow[]): BenchRow[] {
  const find = (name: string) =>
    rows.find((r) => r.group === "queue-cross-worker" && r.name === name);
  const out: BenchRow[] = [];
  const ratio = (num: string, den: string) => {
    const a = find(num);
    const b = find(den);
    if (!a || !b) return;
    out.push({
      group: "queue-ratio",
      name: `${num} / ${den}`,
      metric: "ratio",
      median: a.median / b.median,
      min: a.min / b.max,
      max: a.max / b.min,
      repeats: Math.min(a.repeats, b.repeats),
      params: { numerator: num, denominator: den },
    });
  };
  for (const rb of [64, 32]) {
    for (const b of [16, 256]) {
      ratio(`spsc batch=${b} ${rb}B`, `message-port batch=${b} ${rb}B`);
      ratio(`spsc span=${b} ${rb}B`, `message-port batch=${b} ${rb}B`);
    }
    ratio(`spsc single ${rb}B`, `message-port-object single ${rb}B`);
    ratio(`spsc span=256 ${rb}B`, `message-port-object single ${rb}B`);
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
  for (const b of [16, 256]) {
    // like for like: both sides copy records in and out (the span ratio is a row of its own)
    const r = out.find((x) => x.name === `spsc batch=${b} 64B / message-port batch=${b} 64B`);
    target(`spsc >= 2x message-port at batch ${b}`, r, r?.median, 2);
  }
  const mpo = find("message-port-object single 64B");
  if (spscBatch && mpo)
    target(
      "spsc >= 50x message-port-object",
      spscBatch,
      spscBatch.median / mpo.median,
      50,
      "ratio",
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
  rows.push(...derivedRows(rows));
  for (const r of rows.filter((x) => x.group === "queue-target"))
    console.log(
      `target ${r.params.hit ? "HIT " : "MISS"} ${r.name}: ${r.median.toPrecision(3)} (${r.params.from})`,
    );
  return rows;
};

export default benchQueue;
