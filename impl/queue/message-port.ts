/**
 * `message-port`: the baseline a user would pick instead of a shared ring, in
 * its strongest form. Each producer has its own MessageChannel; it packs
 * records into an ArrayBuffer of min(batchRecords, capacitySlots) records and
 * transfers it (postMessage(buf, [buf]): ownership moves, bytes are not
 * copied). flush() posts a partial batch (trimmed with ArrayBuffer.transfer),
 * close() posts an end marker. The consumer receives synchronously with
 * receiveMessageOnPort and parks on a shared doorbell between polls; credits
 * bound the records in flight. Shared parts and the reasoning:
 * impl/queue/message-port-channel.ts.
 *
 * A producer allocates one ArrayBuffer per batch (the transfer hands the old
 * one to the consumer, which lets it go once drained): an allocation per
 * batch, none per record.
 *
 * Threads: each producer end and the single consumer end belong to the thread
 * that opened them. multiConsumer is false: the ports go to one consumer.
 */
import { assert } from "../core/assert.ts";
import type { QueueConsumer, QueueEndHandle, QueueProducer } from "../core/contracts.ts";
import { type QueueRegistration, register } from "../core/registry.ts";
import { wordsOver } from "./copy.ts";
import {
  PortInbox,
  PortSender,
  popBatchOrPark,
  portQueueRegistration,
  pushBatchWithCredit,
} from "./message-port-channel.ts";
import { checkSpan } from "./span-check.ts";

export const MESSAGE_PORT_QUEUE_NAME = "message-port";

/** Copies of at most this many bytes go word by word; longer ones through one TypedArray.set. */
const WORD_COPY_MAX_BYTES = 256;

/**
 * Copies `bytes` between two Uint8Arrays, word by word when both ends are
 * 4-byte aligned and the copy is small (no allocation), else with one
 * set(subarray). `u32` views are cached by the caller per buffer.
 */
class Copier {
  private userView: Uint8Array | null = null;
  private userU32: Uint32Array = new Uint32Array(0);

  private wordsOf(buf: Uint8Array): Uint32Array {
    // Compared by view identity: reading `.buffer` costs ~40 ns on Bun.
    if (buf !== this.userView) {
      this.userView = buf;
      this.userU32 = wordsOver(buf.buffer); // tracks a resizable buffer's length
    }
    return this.userU32;
  }

  /** From the caller's `src` into `batch` (whose u32 view is `batchU32`). */
  in(
    src: Uint8Array,
    srcOff: number,
    batch: Uint8Array,
    batchU32: Uint32Array,
    off: number,
    bytes: number,
  ): void {
    const abs = src.byteOffset + srcOff;
    if (bytes > WORD_COPY_MAX_BYTES || (abs & 3) !== 0) {
      batch.set(src.subarray(srcOff, srcOff + bytes), off);
      return;
    }
    const s = this.wordsOf(src);
    for (let i = abs >>> 2, d = off >>> 2, end = d + (bytes >>> 2); d < end; )
      batchU32[d++] = s[i++]!;
  }

  /** From `batch` into the caller's `dst` (in()'s mirror, kept apart like impl/queue/copy.ts's loops). */
  out(
    batch: Uint8Array,
    batchU32: Uint32Array,
    off: number,
    dst: Uint8Array,
    dstOff: number,
    bytes: number,
  ): void {
    const abs = dst.byteOffset + dstOff;
    if (bytes > WORD_COPY_MAX_BYTES || (abs & 3) !== 0) {
      dst.set(batch.subarray(off, off + bytes), dstOff);
      return;
    }
    const d = this.wordsOf(dst);
    for (let i = off >>> 2, j = abs >>> 2, end = i + (bytes >>> 2); i < end; )
      d[j++] = batchU32[i++]!;
  }
}

const EMPTY = new ArrayBuffer(0);

class BatchPortProducer implements QueueProducer {
  readonly recordBytes: number;
  private readonly sender: PortSender;
  private readonly batchSlots: number;
  private readonly copier = new Copier();
  private batch: ArrayBuffer = EMPTY;
  private batchU8 = new Uint8Array(0);
  private batchU32 = new Uint32Array(0);
  private batchCount = 0;

  constructor(h: QueueEndHandle) {
    this.recordBytes = h.config.recordBytes;
    this.batchSlots = Math.min(h.config.batchRecords, h.config.capacitySlots);
    this.sender = new PortSender(h);
  }

  tryPush(src: Uint8Array, srcOffset: number): boolean {
    return this.tryPushBatch(src, srcOffset, 1) === 1;
  }

  tryPushBatch(src: Uint8Array, srcOffset: number, count: number): number {
    checkSpan(MESSAGE_PORT_QUEUE_NAME, "push", src, srcOffset, count, this.recordBytes);
    assert(!this.sender.closed, "message-port: push after close()");
    const rb = this.recordBytes;
    let pushed = 0;
    while (pushed < count) {
      const k = this.sender.take(Math.min(count - pushed, this.batchSlots - this.batchCount));
      if (k === 0) {
        this.flush(); // the unsent records hold credit: send them so it can come back
        break;
      }
      if (this.batchCount === 0) this.newBatch();
      this.copier.in(
        src,
        srcOffset + pushed * rb,
        this.batchU8,
        this.batchU32,
        this.batchCount * rb,
        k * rb,
      );
      this.batchCount += k;
      pushed += k;
      if (this.batchCount === this.batchSlots) this.send();
    }
    return pushed;
  }

  pushBatch(src: Uint8Array, srcOffset: number, count: number, timeoutMs: number): number {
    return pushBatchWithCredit(this, this.sender, src, srcOffset, count, timeoutMs);
  }

  flush(): void {
    if (this.batchCount > 0) this.send();
  }

  close(): void {
    if (this.sender.closed) return;
    this.flush();
    this.sender.end();
  }

  private newBatch(): void {
    this.batch = new ArrayBuffer(this.batchSlots * this.recordBytes);
    this.batchU8 = new Uint8Array(this.batch);
    this.batchU32 = new Uint32Array(this.batch);
  }

  /** Transfers the batch (trimmed to its records) to the consumer. */
  private send(): void {
    const bytes = this.batchCount * this.recordBytes;
    const buf = bytes === this.batch.byteLength ? this.batch : this.batch.transfer(bytes);
    this.sender.post(buf, [buf]);
    this.batch = EMPTY;
    this.batchCount = 0;
  }
}

class BatchPortConsumer implements QueueConsumer {
  readonly recordBytes: number;
  private readonly inbox: PortInbox;
  private readonly copier = new Copier();
  private cur = new Uint8Array(0);
  private curU32 = new Uint32Array(0);
  /** Byte positions in `cur`: next record, end. */
  private curPos = 0;
  private curEnd = 0;
  private curProducer = -1;
  /** Made once so waiting allocates nothing. */
  private readonly readyOrEnded = (): boolean =>
    this.curPos < this.curEnd || this.nextBatch() || this.inbox.allEnded();

  constructor(h: QueueEndHandle) {
    this.recordBytes = h.config.recordBytes;
    this.inbox = new PortInbox(h);
  }

  tryPop(dst: Uint8Array, dstOffset: number): boolean {
    return this.tryPopBatch(dst, dstOffset, 1) === 1;
  }

  tryPopBatch(dst: Uint8Array, dstOffset: number, max: number): number {
    checkSpan(MESSAGE_PORT_QUEUE_NAME, "pop", dst, dstOffset, max, this.recordBytes);
    const rb = this.recordBytes;
    let popped = 0;
    while (popped < max) {
      if (this.curPos === this.curEnd && !this.nextBatch()) break;
      const bytes = Math.min((max - popped) * rb, this.curEnd - this.curPos);
      this.copier.out(this.cur, this.curU32, this.curPos, dst, dstOffset + popped * rb, bytes);
      this.curPos += bytes;
      popped += bytes / rb;
      this.inbox.returnCredits(this.curProducer, bytes / rb);
    }
    return popped;
  }

  popBatch(dst: Uint8Array, dstOffset: number, max: number, timeoutMs: number): number {
    return popBatchOrPark(this, this.inbox, this.readyOrEnded, dst, dstOffset, max, timeoutMs);
  }

  ended(): boolean {
    return this.curPos === this.curEnd && this.inbox.allEnded();
  }

  /** Makes the next received batch current; false when none is waiting. */
  private nextBatch(): boolean {
    if (!this.inbox.receive()) return false;
    const buf = this.inbox.message;
    assert(
      buf instanceof ArrayBuffer && buf.byteLength > 0 && buf.byteLength % this.recordBytes === 0,
      "message-port: received a message that is not a batch of whole records",
    );
    this.cur = new Uint8Array(buf);
    this.curU32 = new Uint32Array(buf);
    this.curPos = 0;
    this.curEnd = buf.byteLength;
    this.curProducer = this.inbox.producer;
    return true;
  }
}

export const messagePortQueue: QueueRegistration = portQueueRegistration(
  MESSAGE_PORT_QUEUE_NAME,
  "baseline: a MessageChannel per producer, batches of records in transferred ArrayBuffers, credit-bounded, drained fairly",
  (h) => new BatchPortProducer(h),
  (h) => new BatchPortConsumer(h),
);

register(messagePortQueue);
