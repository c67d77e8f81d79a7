/**
 * Test worker: slab producer. Acquires handles from its share, writes pattern
 * records, sends handles in seeded random batches (Uint32Array) to the
 * consumer over a MessagePort, and waits for returns when its share runs dry.
 * Also cancels a few events with releaseOwn. On "report" it answers with its
 * live() count.
 */

import { openSlabProducer, type SlabHandle } from "../../impl/alloc/slab.ts";
import { NO_HANDLE } from "../../impl/alloc/slab-layout.ts";
import { monoNowNs } from "../../impl/core/clock.ts";
import { writePatternRecord } from "../../impl/core/record.ts";
import { Rng } from "../../impl/core/rng.ts";

declare const self: Worker;

export interface ProducerStart {
  type: "start";
  handle: SlabHandle;
  producerIndex: number;
  events: number;
  seed: number;
  port: MessagePort;
}

const MAX_BATCH = 32;
const CANCEL_P = 0.02;
/** Longest wait for one handle to come back before the test fails. */
const MAX_WAIT_FOR_RETURN_MS = 10_000;
const WAIT_SLICE_MS = 20;

let producer: ReturnType<typeof openSlabProducer> | undefined;
let waits = 0;

function acquireWaiting(flush: () => void): number {
  const p = producer!;
  let h = p.tryAcquire();
  if (h !== NO_HANDLE) return h;
  flush();
  const deadline = performance.now() + MAX_WAIT_FOR_RETURN_MS;
  while ((h = p.tryAcquire()) === NO_HANDLE) {
    if (performance.now() > deadline)
      throw new Error(
        `producer ${p.producerIndex}: no handle returned in ${MAX_WAIT_FOR_RETURN_MS} ms`,
      );
    waits++;
    p.waitForReturns(WAIT_SLICE_MS);
  }
  return h;
}

function run(msg: ProducerStart): { sent: number; cancelled: number } {
  const p = (producer = openSlabProducer(msg.handle, msg.producerIndex));
  const rng = new Rng(msg.seed);
  const rb = msg.handle.recordBytes;
  let batch = new Uint32Array(MAX_BATCH);
  let n = 0;
  let target = rng.intBetween(1, MAX_BATCH);
  const flush = () => {
    if (n === 0) return;
    // The copy of the handle array goes to the consumer; the records stay in the slab.
    msg.port.postMessage(batch.subarray(0, n).slice());
    n = 0;
    target = rng.intBetween(1, MAX_BATCH);
  };
  let cancelled = 0;
  for (let seq = 0; seq < msg.events; seq++) {
    if (rng.chance(CANCEL_P)) {
      const c = acquireWaiting(flush);
      writePatternRecord(p.words, p.offsetOf(c), rb, 0xdead, seq, 1);
      p.releaseOwn(c);
      cancelled++;
    }
    const h = acquireWaiting(flush);
    writePatternRecord(p.words, p.offsetOf(h), rb, msg.producerIndex, seq, monoNowNs());
    batch[n++] = h;
    if (n >= target) flush();
  }
  flush();
  batch = new Uint32Array(0);
  msg.port.postMessage({ type: "end", producerIndex: msg.producerIndex, sent: msg.events });
  return { sent: msg.events, cancelled };
}

self.onmessage = (e: MessageEvent) => {
  const msg = e.data as ProducerStart | { type: "report" };
  try {
    if (msg.type === "start") {
      const r = run(msg);
      self.postMessage({ type: "sent", ...r, waits });
    } else {
      self.postMessage({ type: "report", live: producer!.live(), waits });
    }
  } catch (err) {
    self.postMessage({ type: "error", message: String((err as Error).stack ?? err) });
  }
};
