/**
 * Test worker: slab consumer. Receives handle batches from each producer's
 * MessagePort, checks every record's pattern payload, counts duplicates, gaps
 * and order per producer, and returns handles through the slab's return rings:
 * some at once (releaseBatch), some held back and released later in a seeded
 * random order, so returns come out of order. Reports once every producer ended.
 */

import { openSlabConsumer, type SlabHandle } from "../../impl/alloc/slab.ts";
import { checkPatternRecord } from "../../impl/core/record.ts";
import { Rng } from "../../impl/core/rng.ts";

declare const self: Worker;

export interface ConsumerStart {
  type: "start";
  handle: SlabHandle;
  events: number;
  seed: number;
  ports: MessagePort[];
}

export interface ConsumerResult {
  type: "result";
  received: number[];
  duplicates: number;
  outOfOrder: number;
  missing: number;
  firstError: string | null;
}

/** Handles held back at most, to release out of order later. */
const MAX_HELD = 8;
const HOLD_P = 0.3;

self.onmessage = (e: MessageEvent) => {
  const msg = e.data as ConsumerStart;
  try {
    start(msg);
  } catch (err) {
    self.postMessage({ type: "error", message: String((err as Error).stack ?? err) });
  }
};

function start(msg: ConsumerStart): void {
  const c = openSlabConsumer(msg.handle);
  const rng = new Rng(msg.seed);
  const rb = msg.handle.recordBytes;
  const producers = msg.ports.length;
  const seen = Array.from({ length: producers }, () => new Uint8Array(msg.events));
  const received = new Array<number>(producers).fill(0);
  const lastSeq = new Array<number>(producers).fill(-1);
  // Never hold a whole share, or its producer could wait forever.
  const maxHeld = Math.min(MAX_HELD, msg.handle.slotsPerProducer - 1);
  const held = new Uint32Array(MAX_HELD);
  let heldCount = 0;
  let ended = 0;
  let duplicates = 0;
  let outOfOrder = 0;
  let firstError: string | null = null;
  const fail = (s: string) => {
    firstError ??= s;
  };
  const releaseHeld = (all: boolean) => {
    while (heldCount > (all ? 0 : rng.int(heldCount + 1))) {
      const k = rng.int(heldCount);
      const h = held[k]!;
      held[k] = held[--heldCount]!;
      c.release(h);
    }
  };
  const onBatch = (from: number, handles: Uint32Array) => {
    const keep = new Uint32Array(handles.length);
    let kept = 0;
    for (const h of handles) {
      if (h >>> 24 !== from)
        fail(`handle 0x${h.toString(16)} names producer ${h >>> 24}, came from ${from}`);
      const off = c.offsetOf(h);
      const bad = checkPatternRecord(c.words, off, rb);
      if (bad) fail(bad);
      const p = c.words.producerId(off);
      const seq = c.words.sequence(off);
      if (p !== from || seq >= msg.events) fail(`record ${p}/${seq} arrived from producer ${from}`);
      else {
        if (seen[p]![seq]) duplicates++;
        seen[p]![seq] = 1;
        if (seq <= lastSeq[p]!) outOfOrder++;
        lastSeq[p] = seq;
        received[p]!++;
      }
      if (heldCount < maxHeld && rng.chance(HOLD_P)) held[heldCount++] = h;
      else keep[kept++] = h;
    }
    c.releaseBatch(keep, kept);
    releaseHeld(false);
  };
  msg.ports.forEach((port, from) => {
    port.onmessage = (ev) => {
      try {
        if (ev.data instanceof Uint32Array) return onBatch(from, ev.data);
        ended++;
        if (ended < producers) return;
        releaseHeld(true);
        let missing = 0;
        for (const s of seen) for (const b of s) if (b === 0) missing++;
        const result: ConsumerResult = {
          type: "result",
          received,
          duplicates,
          outOfOrder,
          missing,
          firstError,
        };
        self.postMessage(result);
      } catch (err) {
        self.postMessage({ type: "error", message: String((err as Error).stack ?? err) });
      }
    };
  });
}
