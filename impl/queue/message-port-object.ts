/**
 * `message-port-object`: the naive MessagePort form users write, kept as a
 * baseline next to the batched `message-port`. Each record becomes one event
 * object ({producerId, sequence, ingestNs, lane, type, payloadLength,
 * payload}, decoded with impl/core/record.ts) posted alone and structured-
 * cloned by postMessage; the consumer encodes each object back into the
 * caller's buffer. One allocation and one message per event is the point of
 * this baseline. Channels, credits (capacitySlots per producer), fair
 * draining and the doorbell are shared with `message-port`
 * (impl/queue/message-port-channel.ts).
 *
 * Threads: each producer end and the single consumer end belong to the thread
 * that opened them.
 */
import { assert } from "../core/assert.ts";
import type { QueueConsumer, QueueEndHandle, QueueProducer } from "../core/contracts.ts";
import { decodeRecord, type EventFields, encodeRecord } from "../core/record.ts";
import { type QueueRegistration, register } from "../core/registry.ts";
import {
  PortInbox,
  PortSender,
  popBatchOrPark,
  portQueueRegistration,
  pushBatchWithCredit,
} from "./message-port-channel.ts";
import { checkSpan } from "./span-check.ts";

export const MESSAGE_PORT_OBJECT_QUEUE_NAME = "message-port-object";
const NAME = MESSAGE_PORT_OBJECT_QUEUE_NAME;

// No base class shared with message-port.ts on purpose: tryPush/tryPop stay monomorphic per record.
class ObjectPortProducer implements QueueProducer {
  readonly recordBytes: number;
  private readonly sender: PortSender;

  constructor(h: QueueEndHandle) {
    this.recordBytes = h.config.recordBytes;
    this.sender = new PortSender(h);
  }

  tryPush(src: Uint8Array, srcOffset: number): boolean {
    return this.tryPushBatch(src, srcOffset, 1) === 1;
  }

  tryPushBatch(src: Uint8Array, srcOffset: number, count: number): number {
    checkSpan(NAME, "push", src, srcOffset, count, this.recordBytes);
    assert(!this.sender.closed, `${NAME}: push after close()`);
    const n = this.sender.take(count);
    for (let i = 0; i < n; i++) {
      const ev = decodeRecord(src, srcOffset + i * this.recordBytes, this.recordBytes);
      ev.payload = ev.payload.slice(0, ev.payloadLength); // what a user sends: just the bytes
      this.sender.post(ev, null);
    }
    return n;
  }

  pushBatch(src: Uint8Array, srcOffset: number, count: number, timeoutMs: number): number {
    return pushBatchWithCredit(this, this.sender, src, srcOffset, count, timeoutMs);
  }

  /** Every push is posted at once. */
  flush(): void {}

  close(): void {
    if (!this.sender.closed) this.sender.end();
  }
}

function isEvent(m: unknown): m is EventFields {
  return typeof m === "object" && m !== null && (m as EventFields).payload instanceof Uint8Array;
}

class ObjectPortConsumer implements QueueConsumer {
  readonly recordBytes: number;
  private readonly inbox: PortInbox;
  /** A received event not yet popped (null when none). */
  private pending: EventFields | null = null;
  private pendingProducer = -1;
  /** Made once so waiting allocates nothing. */
  private readonly readyOrEnded = (): boolean =>
    this.pending !== null || this.receive() || this.inbox.allEnded();

  constructor(h: QueueEndHandle) {
    this.recordBytes = h.config.recordBytes;
    this.inbox = new PortInbox(h);
  }

  tryPop(dst: Uint8Array, dstOffset: number): boolean {
    return this.tryPopBatch(dst, dstOffset, 1) === 1;
  }

  tryPopBatch(dst: Uint8Array, dstOffset: number, max: number): number {
    checkSpan(NAME, "pop", dst, dstOffset, max, this.recordBytes);
    let popped = 0;
    while (popped < max && (this.pending !== null || this.receive())) {
      const ev = this.pending!;
      encodeRecord(dst, dstOffset + popped * this.recordBytes, this.recordBytes, ev);
      this.pending = null;
      this.inbox.returnCredits(this.pendingProducer, 1);
      popped++;
    }
    return popped;
  }

  popBatch(dst: Uint8Array, dstOffset: number, max: number, timeoutMs: number): number {
    return popBatchOrPark(this, this.inbox, this.readyOrEnded, dst, dstOffset, max, timeoutMs);
  }

  ended(): boolean {
    return this.pending === null && this.inbox.allEnded();
  }

  private receive(): boolean {
    if (!this.inbox.receive()) return false;
    const m = this.inbox.message;
    assert(isEvent(m), `${NAME}: received a message that is not an event object`);
    m.payloadLength = m.payload.length;
    this.pending = m;
    this.pendingProducer = this.inbox.producer;
    return true;
  }
}

export const messagePortObjectQueue: QueueRegistration = portQueueRegistration(
  NAME,
  "naive baseline: a MessageChannel per producer, one structured-cloned event object per message, credit-bounded",
  (h) => new ObjectPortProducer(h),
  (h) => new ObjectPortConsumer(h),
);

register(messagePortObjectQueue);
