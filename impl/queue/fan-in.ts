/**
 * `fan-in`: the correct multi-producer design. Each producer owns one SPSC
 * ring (spsc-ring.ts) in a shared buffer (fan-in-layout.ts), so no two threads
 * ever store the same index; one consumer drains the rings round-robin,
 * taking at most FAN_IN_RING_BATCH_CAP records from a ring before moving on,
 * and starting each call one ring further so no producer is starved.
 *
 * capacitySlots is per producer ring (the queue holds producers x capacitySlots).
 * A blocked consumer sleeps on one shared bell cell that every producer rings
 * after publishing (only when a sleeper is registered). END_OF_STREAM comes once
 * every producer has closed and every ring is drained.
 *
 * Spans: the producer's are its ring's; the consumer's peek picks the next
 * non-empty ring (all rings share one buffer, so spanBytes never changes).
 */
import { assert } from "../core/assert.ts";
import type { QueueConfig, QueueEndHandle, QueueEnds, SpanConsumer } from "../core/contracts.ts";
import { register } from "../core/registry.ts";
import * as F from "./fan-in-layout.ts";
import { popBatchOrWait } from "./ring-pop.ts";
import { sabOf, sabQueueEnds } from "./sab-ends.ts";
import { type Bell, RingConsumer, RingProducer } from "./spsc-ring.ts";
import { Waiter } from "./wait.ts";

export const FAN_IN_NAME = "fan-in";
/** Most records taken from one ring before the consumer moves to the next. */
export const FAN_IN_RING_BATCH_CAP = 256;

function headerOf(handle: QueueEndHandle): Int32Array {
  const h = new Int32Array(sabOf(handle), 0, F.FAN_IN_HEADER_BYTES / 4);
  assert(Atomics.load(h, F.FI_MAGIC) === F.FAN_IN_MAGIC, "not a fan-in queue buffer");
  return h;
}

/** The consumer end: drains every producer's ring. Owner: one thread. */
export class FanInConsumer implements SpanConsumer {
  readonly recordBytes: number;
  readonly spanBytes: Uint8Array;
  spanOffset = 0;
  private readonly rings: RingConsumer[];
  private readonly header: Int32Array;
  private readonly waiter: Waiter;
  private cursor = 0;
  private peekedRing = -1;
  /** Made once: the waiter's predicate "some ring has a record, or every producer closed". */
  private readonly dataReady = (): boolean => this.anyAvailable() || this.allClosed();

  constructor(handle: QueueEndHandle) {
    this.header = headerOf(handle);
    const sab = handle.state.sab as SharedArrayBuffer;
    const producers = this.header[F.FI_PRODUCERS]!;
    const stride = this.header[F.FI_RING_STRIDE_BYTES]!;
    this.rings = [];
    for (let i = 0; i < producers; i++)
      this.rings.push(new RingConsumer(sab, F.fanInRingBase(i, stride), handle.config));
    this.recordBytes = handle.config.recordBytes;
    this.spanBytes = this.rings[0]!.spanBytes;
    this.waiter = new Waiter(handle.config.waitStrategy, handle.config.spinUs);
  }

  private anyAvailable(): boolean {
    for (let i = 0; i < this.rings.length; i++) if (this.rings[i]!.available(1) > 0) return true;
    return false;
  }

  private allClosed(): boolean {
    for (let i = 0; i < this.rings.length; i++) if (!this.rings[i]!.allClosed()) return false;
    return true;
  }

  private advance(): number {
    const start = this.cursor;
    this.cursor = start + 1 === this.rings.length ? 0 : start + 1;
    return start;
  }

  tryPop(dst: Uint8Array, dstOffset: number): boolean {
    return this.tryPopBatch(dst, dstOffset, 1) === 1;
  }

  tryPopBatch(dst: Uint8Array, dstOffset: number, max: number): number {
    const n = this.rings.length;
    let i = this.advance();
    let got = 0;
    for (let visited = 0; visited < n && got < max; visited++) {
      const take = Math.min(FAN_IN_RING_BATCH_CAP, max - got);
      got += this.rings[i]!.tryPopBatch(dst, dstOffset + got * this.recordBytes, take);
      i = i + 1 === n ? 0 : i + 1;
    }
    return got;
  }

  popBatch(dst: Uint8Array, dstOffset: number, max: number, timeoutMs: number): number {
    return popBatchOrWait(this, dst, dstOffset, max, timeoutMs);
  }

  /** Waits per the wait strategy on the shared bell; false on timeout. */
  waitForData(timeoutMs: number): boolean {
    return this.waiter.waitFor(
      this.header,
      F.FI_CONSUMER_BELL,
      F.FI_CONSUMER_SLEEPERS,
      this.dataReady,
      timeoutMs,
      F.FI_CONSUMER_ARMED,
    );
  }

  /** Every ring closed and drained (each ring has one producer, so a drained closed ring stays so). */
  ended(): boolean {
    for (let i = 0; i < this.rings.length; i++) if (!this.rings[i]!.ended()) return false;
    return true;
  }

  peek(max: number): number {
    const n = this.rings.length;
    let i = this.advance();
    for (let visited = 0; visited < n; visited++) {
      const ring = this.rings[i]!;
      const got = ring.peek(Math.min(max, FAN_IN_RING_BATCH_CAP));
      if (got > 0) {
        this.peekedRing = i;
        this.spanOffset = ring.spanOffset;
        return got;
      }
      i = i + 1 === n ? 0 : i + 1;
    }
    this.peekedRing = -1;
    return 0;
  }

  release(count: number): void {
    if (this.peekedRing < 0) {
      assert(count === 0, () => `release(${count}) without a peeked span`);
      return;
    }
    this.rings[this.peekedRing]!.release(count);
    this.peekedRing = -1;
  }
}

function openFanInProducer(handle: QueueEndHandle): RingProducer {
  const h = headerOf(handle);
  const producers = h[F.FI_PRODUCERS]!;
  assert(
    handle.producerIndex >= 0 && handle.producerIndex < producers,
    () => `fan-in producerIndex ${handle.producerIndex} outside [0, ${producers})`,
  );
  const bell: Bell = {
    cells: h,
    valueIdx: F.FI_CONSUMER_BELL,
    sleepersIdx: F.FI_CONSUMER_SLEEPERS,
    armedIdx: F.FI_CONSUMER_ARMED,
  };
  const base = F.fanInRingBase(handle.producerIndex, h[F.FI_RING_STRIDE_BYTES]!);
  return new RingProducer(handle.state.sab as SharedArrayBuffer, base, handle.config, bell);
}

export function createFanIn(config: QueueConfig): QueueEnds {
  const sab = F.createFanInBuffer(
    config.producers,
    config.capacitySlots,
    config.recordBytes,
    config.initialSequence,
  );
  return sabQueueEnds(FAN_IN_NAME, config, sab);
}

register({
  kind: "queue",
  name: FAN_IN_NAME,
  description:
    "one lock-free SPSC ring per producer, drained round-robin by one consumer; capacitySlots is per producer",
  capabilities: {
    multiProducer: true,
    multiConsumer: false,
    blocking: true,
    spans: true,
    deferredPublish: true,
  },
  create: createFanIn,
  openProducer: openFanInProducer,
  openConsumer: (h) => new FanInConsumer(h),
});
