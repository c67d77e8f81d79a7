/**
 * The reusable cross-Worker queue workload: the contract tests, the bench, the
 * experiments and CI all measure a queue through runQueueWorkload.
 *
 * It creates the queue, starts one Worker per producer and one consumer Worker
 * (workload-worker.ts, each importing impl/index.ts and opening its end from a
 * handle), waits until every Worker reports ready, then releases them together
 * through a shared GO cell and starts the clock (the start barrier). The clock
 * stops when the consumer sees END_OF_STREAM. The consumer checks every record
 * (workload-check.ts). A run that does not finish within timeoutMs (counted
 * from the spawn) is stopped: the STOP cell is set, Workers get STOP_GRACE_MS
 * to report partial counts, then all are terminated; the result carries an
 * error instead of hanging the caller.
 *
 * CPU time is process.cpuUsage() of the whole process (all threads) between
 * the start barrier and the end, so it includes every Worker.
 */
import { assert } from "../core/assert.ts";
import { monoNowNs } from "../core/clock.ts";
import { handleTransferables, type QueueOptions, QueueOptionsSchema } from "../core/contracts.ts";
import { createQueue, lookup, type QueueRegistration, RegistryError } from "../core/registry.ts";
import type { CheckSummary } from "./workload-check.ts";
import {
  C_GO,
  C_STOP,
  CONTROL_BYTES,
  loadConduit,
  type WorkerInit,
  type WorkerReport,
} from "./workload-protocol.ts";
import "./index.ts"; // registers every queue, so opts.queue resolves in the calling thread

export interface WorkloadOptions {
  /** Registered queue name. */
  queue: string;
  /** Passed to createQueue; `producers` there sets the number of producer Workers. */
  queueOptions: QueueOptions;
  eventsPerProducer: number;
  /** single: one record per push/pop; batch: pushBatch/popBatch of batchRecords; span: reserve/commit, peek/release. */
  mode: "single" | "batch" | "span";
  /** Records per batch or span (ignored in single mode). */
  batchRecords: number;
  seed: number;
  timeoutMs: number;
  /** Pattern payloads written and checked (default true). Off: header only, ids still checked. */
  checkPayload?: boolean;
  /** Push-to-pop latency into an HDR histogram (default false). */
  recordLatency?: boolean;
  /**
   * With recordLatency: record the latency of every record whose sequence is a
   * multiple of this power of two (default 1: every record). Recording costs
   * ~100 ns a sample on Bun, which would otherwise cap the throughput measured
   * in the same run; sampling by sequence keeps the sample unbiased.
   */
  latencySampleEvery?: number;
  /**
   * Events the consumer receives before the timed window opens (default 0).
   * Fresh Workers start in the interpreter: on Bun the first ~1e5 records run
   * several times slower than after the JIT has tiered up, so a short run
   * measures the warm-up. Throughput and latency cover only what follows; CPU
   * figures still cover the whole run. Must be below the events sent.
   */
  warmupEvents?: number;
  /** Each producer batch/span size drawn from [1, batchRecords] by the seeded RNG (default false). */
  batchJitter?: boolean;
  /**
   * URL of a module exporting `conduit`, a queue-shaped object that is not in
   * the registry (the queue experiment's null conduit: the harness's own
   * ceiling). The run uses it instead of the registered `queue`; the Workers
   * import it by URL. Absent: the registered queue.
   */
  conduitModule?: string;
}

export interface WorkloadResult {
  producers: number;
  eventsSent: number;
  eventsReceived: number;
  lost: number;
  duplicated: number;
  reordered: number;
  corrupted: number;
  /** Length of the timed window (after warm-up), in ns. */
  elapsedNs: number;
  /** Events received inside the timed window (all of them without warm-up). */
  timedEvents: number;
  throughputEventsPerS: number;
  latencyNs: { p50: number; p99: number; p999: number; max: number } | null;
  /** Records whose latency is in latencyNs (timed window only; 1 in latencySampleEvery). */
  latencySamples: number;
  cpuUserUs: number;
  cpuSystemUs: number;
  errors: string[];
  /** True when the run hit timeoutMs and was stopped. */
  timedOut: boolean;
  seed: number;
}

/** Named limits (house style 3). */
export const MAX_EVENTS_PER_PRODUCER = 2 ** 32 - 1;
export const MAX_BATCH_RECORDS = 65536;
/** Time Workers get to report partial counts after STOP. */
export const STOP_GRACE_MS = 2000;

const WORKER_URL = new URL("./workload-worker.ts", import.meta.url);

function normalize(opts: WorkloadOptions, conduit: QueueRegistration | null): WorkloadOptions {
  assert(
    Number.isInteger(opts.eventsPerProducer) &&
      opts.eventsPerProducer >= 0 &&
      opts.eventsPerProducer <= MAX_EVENTS_PER_PRODUCER,
    () => `eventsPerProducer must be an integer in [0, 2^32-1], got ${opts.eventsPerProducer}`,
  );
  assert(
    Number.isInteger(opts.batchRecords) &&
      opts.batchRecords >= 1 &&
      opts.batchRecords <= MAX_BATCH_RECORDS,
    () => `batchRecords must be an integer in [1, ${MAX_BATCH_RECORDS}], got ${opts.batchRecords}`,
  );
  const sampleEvery = opts.latencySampleEvery ?? 1;
  assert(
    Number.isInteger(sampleEvery) &&
      sampleEvery >= 1 &&
      sampleEvery <= 65536 &&
      (sampleEvery & (sampleEvery - 1)) === 0,
    () => `latencySampleEvery must be a power of two in [1, 65536], got ${opts.latencySampleEvery}`,
  );
  const warmup = opts.warmupEvents ?? 0;
  assert(
    Number.isInteger(warmup) &&
      (warmup === 0 || warmup < opts.eventsPerProducer * (opts.queueOptions.producers ?? 1)),
    () => `warmupEvents must be 0 or an integer below the events sent, got ${opts.warmupEvents}`,
  );
  assert(opts.timeoutMs > 0, () => `timeoutMs must be > 0, got ${opts.timeoutMs}`);
  assert(["single", "batch", "span"].includes(opts.mode), () => `unknown mode "${opts.mode}"`);
  const reg = conduit ?? (lookup(opts.queue, "queue") as QueueRegistration);
  if (opts.mode === "span" && !reg.capabilities.spans)
    throw new RegistryError(`queue "${opts.queue}" offers no spans; use mode "batch" or "single"`);
  return {
    ...opts,
    checkPayload: opts.checkPayload ?? true,
    recordLatency: opts.recordLatency ?? false,
    latencySampleEvery: sampleEvery,
    warmupEvents: warmup,
    batchJitter: opts.batchJitter ?? false,
  };
}

interface RunState {
  sent: (number | null)[];
  summary: CheckSummary | null;
  endNs: number;
  startNs: number;
  /** When the consumer passed warmupEvents, and how many it had then (0, 0 without warm-up). */
  warmNs: number;
  warmEvents: number;
  cpu0: NodeJS.CpuUsage | null;
  errors: string[];
  timedOut: boolean;
}

/** Runs one workload; never rejects for a failed run (errors go in the result), only for bad options. */
export async function runQueueWorkload(options: WorkloadOptions): Promise<WorkloadResult> {
  const conduit = options.conduitModule ? await loadConduit(options.conduitModule) : null;
  const opts = normalize(options, conduit);
  const ends = conduit
    ? conduit.create(QueueOptionsSchema.parse(opts.queueOptions))
    : createQueue(opts.queue, opts.queueOptions);
  const producers = ends.config.producers;
  const control = new SharedArrayBuffer(CONTROL_BYTES);
  const cells = new Int32Array(control);
  const st: RunState = {
    sent: new Array(producers).fill(null),
    summary: null,
    endNs: 0,
    startNs: 0,
    warmNs: 0,
    warmEvents: 0,
    cpu0: null,
    errors: [],
    timedOut: false,
  };
  const workers: Worker[] = [];
  let readyCount = 0;

  await new Promise<void>((resolve) => {
    let finished = false;
    let graceTimer: ReturnType<typeof setTimeout> | undefined;
    const finish = () => {
      if (finished) return;
      finished = true;
      clearTimeout(timeoutTimer);
      clearTimeout(graceTimer);
      resolve();
    };
    const abort = (why: string) => {
      st.errors.push(why);
      if (Atomics.load(cells, C_STOP) !== 0) return;
      Atomics.store(cells, C_STOP, 1); // every Worker re-checks STOP at least every WORKER_SLICE_MS
      Atomics.notify(cells, C_GO);
      graceTimer = setTimeout(finish, STOP_GRACE_MS);
    };
    const maybeDone = () => {
      if (st.summary && st.sent.every((s) => s !== null)) finish();
    };
    const onReport = (r: WorkerReport) => {
      if (r.type === "ready") {
        if (++readyCount === producers + 1) {
          st.cpu0 = process.cpuUsage();
          st.startNs = monoNowNs();
          Atomics.store(cells, C_GO, 1); // the start barrier: every Worker is open and waiting
          Atomics.notify(cells, C_GO);
        }
      } else if (r.type === "producer-done") {
        st.sent[r.producerIndex] = r.sent;
        maybeDone();
      } else if (r.type === "consumer-done") {
        st.summary = r.summary;
        st.endNs = r.endNs;
        st.warmNs = r.warmNs;
        st.warmEvents = r.warmEvents;
        maybeDone();
      } else {
        abort(`${r.role} worker: ${r.message}`);
      }
    };
    const timeoutTimer = setTimeout(() => {
      st.timedOut = true;
      abort(
        `timeout: run not finished after ${opts.timeoutMs} ms (queue ${opts.queue}, seed ${opts.seed})`,
      );
    }, opts.timeoutMs);
    const spawn = (init: Omit<WorkerInit, "opts" | "producers" | "control">) => {
      const w = new Worker(WORKER_URL);
      workers.push(w);
      w.onmessage = (e: MessageEvent<WorkerReport>) => onReport(e.data);
      w.onerror = (e: ErrorEvent) => abort(`${init.role} worker crashed: ${e.message}`);
      const msg: WorkerInit = { ...init, opts, producers, control };
      w.postMessage(msg, handleTransferables(init.handle));
    };
    spawn({ role: "consumer", handle: ends.consumerHandle() });
    for (let i = 0; i < producers; i++) spawn({ role: "producer", handle: ends.producerHandle(i) });
  });

  for (const w of workers) {
    w.terminate();
    w.unref(); // a Worker stuck in a native wait must not keep the process alive either
  }
  return summarize(opts, producers, st);
}

function summarize(opts: WorkloadOptions, producers: number, st: RunState): WorkloadResult {
  const cpu = st.cpu0 ? process.cpuUsage(st.cpu0) : { user: 0, system: 0 };
  const s = st.summary;
  const eventsSent = st.sent.reduce<number>((a, b) => a + (b ?? 0), 0);
  st.sent.forEach((v, i) => {
    if (v === null) st.errors.push(`producer ${i} never reported how many events it sent`);
  });
  if (!s) st.errors.push("the consumer never reported");
  const distinct = s ? s.distinctPerProducer.reduce((a, b) => a + b, 0) : 0;
  const eventsReceived = s?.eventsReceived ?? 0;
  // The timed window opens at the start barrier, or once the warm-up events have arrived.
  const openNs = st.warmNs > 0 ? st.warmNs : st.startNs;
  const elapsedNs = s && openNs > 0 ? st.endNs - openNs : 0;
  const timedEvents = eventsReceived - st.warmEvents;
  return {
    producers,
    eventsSent,
    eventsReceived,
    lost: Math.max(0, eventsSent - distinct),
    duplicated: s?.duplicated ?? 0,
    reordered: s?.reordered ?? 0,
    corrupted: s?.corrupted ?? 0,
    elapsedNs,
    timedEvents,
    throughputEventsPerS: elapsedNs > 0 ? timedEvents / (elapsedNs / 1e9) : 0,
    latencyNs: s?.latencyNs ?? null,
    latencySamples: s?.latencySamples ?? 0,
    cpuUserUs: cpu.user,
    cpuSystemUs: cpu.system,
    errors: [...st.errors, ...(s?.errors ?? [])],
    timedOut: st.timedOut,
    seed: opts.seed,
  };
}
