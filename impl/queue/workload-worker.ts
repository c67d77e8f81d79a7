/**
 * The Worker side of the cross-Worker queue workload (driver: workload.ts).
 * One Worker per producer end and one for the consumer end. Each opens its end
 * from the handle, reports "ready", waits on the shared GO cell (the start
 * barrier), runs, and reports "done" with its counts. It stops early, and still
 * reports, when the driver sets the STOP cell (timeout or another Worker's error).
 *
 * Producers write records with ids (producerIndex, 0..eventsPerProducer-1):
 * full pattern records when checkPayload, else only the header words.
 * ingestNs is read from the shared monotonic clock once per push call when
 * recordLatency (once per record in "single" mode), else once at the start.
 */

// Registers every queue, so this Worker opens its end by name (queues only: no allocator is used here).
import "./index.ts";
import { monoNowNs } from "../core/clock.ts";
import {
  END_OF_STREAM,
  isSpanConsumer,
  isSpanProducer,
  type QueueConsumer,
  type QueueProducer,
} from "../core/contracts.ts";
import { HEADER_BYTES, RecordWords, writePatternRecord } from "../core/record.ts";
import { openConsumer, openProducer, type QueueRegistration } from "../core/registry.ts";
import { Rng } from "../core/rng.ts";
import { TWO_POW_32 } from "../core/words.ts";
import { WorkloadChecker } from "./workload-check.ts";
import {
  C_GO,
  C_STOP,
  loadConduit,
  WORKER_SLICE_MS,
  type WorkerInit,
  type WorkerReport,
} from "./workload-protocol.ts";

declare const self: Worker;

interface SpanWaits {
  waitForSpace?(timeoutMs: number): boolean;
  waitForData?(timeoutMs: number): boolean;
}

let control: Int32Array;
const stopped = (): boolean => Atomics.load(control, C_STOP) !== 0;

function awaitGo(): void {
  while (Atomics.load(control, C_GO) === 0 && !stopped()) {
    Atomics.wait(control, C_GO, 0, WORKER_SLICE_MS);
  }
}

function runProducer(init: WorkerInit, conduit: QueueRegistration | null): void {
  const { opts, handle } = init;
  const p = conduit ? conduit.openProducer(handle) : openProducer(handle);
  const rb = p.recordBytes;
  const pid = handle.producerIndex;
  const maxBatch = opts.mode === "single" ? 1 : opts.batchRecords;
  const staging = new Uint8Array(maxBatch * rb);
  const stagingWords = new RecordWords(staging.buffer);
  const sp = opts.mode === "span" && isSpanProducer(p) ? p : null;
  const spanWords = sp
    ? new RecordWords(sp.spanBytes.buffer, sp.spanBytes.byteOffset, sp.spanBytes.byteLength)
    : null;
  const rng = new Rng(opts.seed).fork(pid);
  const total = opts.eventsPerProducer;
  const payloadLength = rb - HEADER_BYTES;
  /** Writes `count` records with sequences seq.. at byte `off`; header-only is a bare u32 loop. */
  const fill = (words: RecordWords, off: number, count: number, seq: number, ts: number): void => {
    if (opts.checkPayload) {
      for (let i = 0; i < count; i++) writePatternRecord(words, off + i * rb, rb, pid, seq + i, ts);
      return;
    }
    const u32 = words.u32;
    const tsLo = ts % TWO_POW_32;
    const tsHi = Math.floor(ts / TWO_POW_32);
    const stride = rb >>> 2;
    let w = off >>> 2;
    for (let i = 0; i < count; i++, w += stride) {
      const s = seq + i;
      u32[w] = pid;
      u32[w + 1] = s;
      u32[w + 2] = tsLo;
      u32[w + 3] = tsHi;
      u32[w + 4] = (s % 3) | ((s & 0xff) << 8) | (payloadLength << 16); // lane | type | length
    }
  };
  self.postMessage({ type: "ready" } satisfies WorkerReport);
  awaitGo();
  const startTs = monoNowNs();
  let seq = 0;
  while (seq < total && !stopped()) {
    const want = Math.min(total - seq, opts.batchJitter ? rng.intBetween(1, maxBatch) : maxBatch);
    const ts = opts.recordLatency ? monoNowNs() : startTs;
    if (sp && spanWords) {
      const n = sp.reserve(want);
      if (n === 0) {
        waitForSpace(sp as QueueProducer & SpanWaits);
        continue;
      }
      fill(spanWords, sp.spanOffset, n, seq, ts);
      sp.commit(n);
      seq += n;
    } else if (want === 1) {
      fill(stagingWords, 0, 1, seq, ts);
      if (!p.tryPush(staging, 0)) pushAll(p, staging, 1);
      seq++;
    } else {
      fill(stagingWords, 0, want, seq, ts);
      seq += pushAll(p, staging, want);
    }
  }
  p.close();
  self.postMessage({
    type: "producer-done",
    producerIndex: pid,
    sent: seq,
    stopped: seq < total,
  } satisfies WorkerReport);
}

/** Pushes `count` staged records, blocking per the wait strategy in slices; returns how many went in. */
function pushAll(p: QueueProducer, staging: Uint8Array, count: number): number {
  let done = 0;
  while (done < count) {
    done += p.pushBatch(staging, done * p.recordBytes, count - done, WORKER_SLICE_MS);
    if (done < count && stopped()) break;
  }
  return done;
}

function waitForSpace(p: QueueProducer & SpanWaits): void {
  if (p.waitForSpace) p.waitForSpace(WORKER_SLICE_MS);
  else Atomics.wait(control, C_STOP, 0, 1); // no blocking span wait offered: back off 1 ms
}

function runConsumer(init: WorkerInit, conduit: QueueRegistration | null): void {
  const { opts, handle } = init;
  const c = conduit ? conduit.openConsumer(handle) : openConsumer(handle);
  const rb = c.recordBytes;
  const maxBatch = opts.mode === "single" ? 1 : opts.batchRecords;
  const dst = new Uint8Array(maxBatch * rb);
  const dstWords = new RecordWords(dst.buffer);
  const sc = opts.mode === "span" && isSpanConsumer(c) ? c : null;
  const spanWords = sc
    ? new RecordWords(sc.spanBytes.buffer, sc.spanBytes.byteOffset, sc.spanBytes.byteLength)
    : null;
  const checker = new WorkloadChecker(
    init.producers,
    opts.eventsPerProducer,
    rb,
    opts.checkPayload ?? true,
    opts.recordLatency ?? false,
    opts.latencySampleEvery ?? 1,
  );
  const warmupEvents = opts.warmupEvents ?? 0;
  let warmNs = 0;
  let warmEvents = 0;
  /** Checks a popped run of records; opens the timed window once the warm-up has arrived. */
  const check = (words: RecordWords, off: number, n: number): void => {
    checker.checkRecords(words, off, n);
    if (warmNs === 0 && warmupEvents > 0 && checker.eventsReceived >= warmupEvents) {
      warmNs = monoNowNs();
      warmEvents = checker.eventsReceived;
      checker.resetLatency(); // latency, like throughput, covers the timed window only
    }
  };
  self.postMessage({ type: "ready" } satisfies WorkerReport);
  awaitGo();
  let stop = false;
  for (;;) {
    if (sc && spanWords) {
      const n = sc.peek(maxBatch);
      if (n > 0) {
        check(spanWords, sc.spanOffset, n);
        sc.release(n);
        continue;
      }
      if (sc.ended()) break;
    } else if (maxBatch === 1 && c.tryPop(dst, 0)) {
      check(dstWords, 0, 1);
      continue;
    }
    const n = popSlice(c as QueueConsumer & SpanWaits, dst, maxBatch, sc !== null);
    if (n === END_OF_STREAM) break;
    if (n > 0) check(dstWords, 0, n);
    else if (stopped()) {
      stop = true;
      break;
    }
  }
  const endNs = monoNowNs();
  self.postMessage({
    type: "consumer-done",
    endNs,
    warmNs,
    warmEvents,
    stopped: stop,
    summary: checker.summary(),
  } satisfies WorkerReport);
}

/** One bounded blocking step: in span mode waits for data (if offered), else pops into `dst`. */
function popSlice(
  c: QueueConsumer & SpanWaits,
  dst: Uint8Array,
  max: number,
  spans: boolean,
): number {
  if (spans && c.waitForData) {
    c.waitForData(WORKER_SLICE_MS);
    return 0;
  }
  return c.popBatch(dst, 0, max, WORKER_SLICE_MS);
}

self.onmessage = async (e: MessageEvent<WorkerInit>) => {
  const init = e.data;
  control = new Int32Array(init.control);
  try {
    const conduit = init.opts.conduitModule ? await loadConduit(init.opts.conduitModule) : null;
    if (init.role === "producer") runProducer(init, conduit);
    else runConsumer(init, conduit);
  } catch (err) {
    const message = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
    self.postMessage({ type: "error", role: init.role, message } satisfies WorkerReport);
  }
};
