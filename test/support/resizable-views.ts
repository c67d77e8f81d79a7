/**
 * The caller-buffer cases of the queue contract (test/queue.contract.test.ts):
 * a push or pop through a Uint8Array that tracks the length of a resizable
 * ArrayBuffer or a growable SharedArrayBuffer, used once, then the buffer grown
 * (or shrunk) and used again beyond (or within) its old end, also through a
 * view that starts at a byte offset. Each round trip pushes pattern records
 * through one in-thread producer end, pops them through the consumer end and
 * compares every byte with what was pushed, so a copy that moves zeros (a
 * stale cached word view) fails. A span that no longer fits must be refused
 * with an error, never copied as zeros.
 */
import { expect } from "bun:test";
import {
  createQueue,
  openConsumer,
  openProducer,
  type QueueConsumer,
  type QueueProducer,
  RecordWords,
  writePatternRecord,
} from "../../impl/core/index.ts";

const RB = 64;
/** Records the growable buffers may hold at most (the queue's capacity is larger, so nothing waits). */
const MAX_RECORDS = 16;
const POP_TRIES_MAX = 50;

export type GrowableKind = "resizable ArrayBuffer" | "growable SharedArrayBuffer";
export const GROWABLE_KINDS: readonly GrowableKind[] = [
  "resizable ArrayBuffer",
  "growable SharedArrayBuffer",
];

interface Growable {
  readonly buffer: ArrayBuffer | SharedArrayBuffer;
  resizeRecords(records: number): void;
}

function growable(kind: GrowableKind, records: number): Growable {
  const opts = { maxByteLength: MAX_RECORDS * RB };
  if (kind === "resizable ArrayBuffer") {
    const buffer = new ArrayBuffer(records * RB, opts);
    return { buffer, resizeRecords: (n) => buffer.resize(n * RB) };
  }
  const buffer = new SharedArrayBuffer(records * RB, opts);
  return { buffer, resizeRecords: (n) => buffer.grow(n * RB) };
}

/** One queue's in-thread ends and a running sequence for the pattern records. */
class Ends {
  readonly p: QueueProducer;
  readonly c: QueueConsumer;
  private seq = 0;
  constructor(queue: string) {
    const q = createQueue(queue, { capacitySlots: 64, recordBytes: RB, waitStrategy: "park" });
    this.p = openProducer(q.producerHandle(0));
    this.c = openConsumer(q.consumerHandle());
  }

  /**
   * Pushes `count` pattern records from src[srcOff..] (one tryPush when count
   * is 1, else a batch), pops them into dst[dstOff..] (tryPop / batch alike)
   * and expects the bytes to arrive intact.
   */
  roundTrip(src: Uint8Array, srcOff: number, dst: Uint8Array, dstOff: number, count: number) {
    const expected = new Uint8Array(count * RB);
    const words = new RecordWords(expected.buffer);
    for (let i = 0; i < count; i++) writePatternRecord(words, i * RB, RB, 0, this.seq++, 0);
    src.set(expected, srcOff);
    dst.fill(0xee, dstOff, dstOff + count * RB);
    const pushed =
      count === 1
        ? Number(this.p.tryPush(src, srcOff))
        : this.p.pushBatch(src, srcOff, count, 1000);
    expect(pushed).toBe(count);
    this.p.flush();
    let got = 0;
    for (let t = 0; t < POP_TRIES_MAX && got < count; t++) {
      if (count === 1) got = Number(this.c.tryPop(dst, dstOff));
      else got += Math.max(0, this.c.popBatch(dst, dstOff + got * RB, count - got, 100));
    }
    expect(got).toBe(count);
    expect(Array.from(dst.subarray(dstOff, dstOff + count * RB))).toEqual(Array.from(expected));
  }
}

/**
 * Grows both buffers between calls and moves records beyond their old ends,
 * through whole views and through views starting one record in. The same view
 * is used last before and first after the growth, so a cache keyed on the view
 * is hit.
 */
export function checkGrownBuffers(queue: string, kind: GrowableKind): void {
  const ends = new Ends(queue);
  for (const startByte of [0, RB]) {
    const a = growable(kind, 3);
    const b = growable(kind, 3);
    const src = new Uint8Array(a.buffer, startByte); // length-tracking
    const dst = new Uint8Array(b.buffer, startByte);
    ends.roundTrip(src, RB, dst, RB, 1);
    ends.roundTrip(src, 0, dst, 0, 2); // first use: a copier may cache views of these buffers
    a.resizeRecords(MAX_RECORDS);
    b.resizeRecords(MAX_RECORDS);
    ends.roundTrip(src, 8 * RB, dst, 10 * RB, 4); // wholly beyond the old end
    ends.roundTrip(src, 2 * RB, dst, 2 * RB, 3); // straddles the old end
    ends.roundTrip(src, 12 * RB, dst, 13 * RB, 1);
    ends.roundTrip(src, 0, dst, 0, 1);
  }
}

/** Shrinks a resizable buffer between calls: spans inside still work, spans past the new end are refused. */
export function checkShrunkBuffers(queue: string): void {
  const ends = new Ends(queue);
  const a = growable("resizable ArrayBuffer", MAX_RECORDS);
  const b = growable("resizable ArrayBuffer", MAX_RECORDS);
  const src = new Uint8Array(a.buffer);
  const dst = new Uint8Array(b.buffer);
  ends.roundTrip(src, 12 * RB, dst, 12 * RB, 3);
  ends.roundTrip(src, 14 * RB, dst, 14 * RB, 1);
  a.resizeRecords(4);
  b.resizeRecords(4);
  ends.roundTrip(src, RB, dst, 2 * RB, 2);
  ends.roundTrip(src, 3 * RB, dst, 3 * RB, 1);
  expect(() => ends.p.tryPushBatch(src, 3 * RB, 2)).toThrow(/byte 192/);
  expect(() => ends.p.tryPush(src, 4 * RB)).toThrow(/byte 256/);
  expect(() => ends.c.tryPopBatch(dst, 3 * RB, 2)).toThrow(/byte 192/);
  ends.roundTrip(src, 0, dst, 0, 1); // refused calls left the ends usable
  ends.roundTrip(src, 0, dst, 0, 2);
  a.resizeRecords(2);
  b.resizeRecords(2);
  ends.roundTrip(src, 0, dst, 0, 2);
  ends.roundTrip(src, RB, dst, RB, 1);
}
