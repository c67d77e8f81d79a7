/**
 * The two ends of one lock-free SPSC ring (layout: spsc-layout.ts). Used by
 * `spsc` (one ring) and `fan-in` (one ring per producer).
 *
 * Ordering: record bytes are written with plain typed-array stores, then the
 * producer publishes them with Atomics.store(TAIL) (sequentially consistent,
 * so no earlier write is reordered after it); the consumer reads TAIL with
 * Atomics.load before reading the records, and frees slots with
 * Atomics.store(HEAD) after it has copied them out.
 *
 * Each side caches the other's index (cachedHead / cachedTail) and re-reads the
 * shared one only when the cache says "full" / "empty", so a steady stream
 * touches the other side's cache line once per lap, not once per record.
 *
 * Publication: tryPushBatch/pushBatch publish once per call, commit once per
 * span, tryPush once every `publishEveryRecords` records (default 1: every
 * record); flush(), close(), a full ring and any wait publish what is pending,
 * so a producer never waits on space while holding unpublished records.
 * Release: the consumer stores HEAD once every RELEASE_EVERY records (at most
 * a quarter of the capacity, so a producer is never starved of space) and
 * always before it re-reads TAIL or waits, so the two sides exchange cache
 * lines once per batch of records, not once per record.
 *
 * Misuse (spsc with unsafe: true and producers > 1): several producer ends open
 * the same ring and each reloads TAIL before every push, as a C++ SPSC ring
 * shared by several threads would. Their stores race, so records are lost,
 * duplicated or torn, and TAIL may even move backwards. Both ends therefore
 * clamp occupancy to [0, capacity] (a backwards TAIL reads as "empty"), which
 * keeps every loop bounded: the consumer still ends once every producer has
 * closed (CLOSED_PRODUCERS, an Atomics.add per close) and TAIL - HEAD <= 0.
 */
import { AssertionError, assert } from "../core/assert.ts";
import type { QueueConfig, SpanConsumer, SpanProducer } from "../core/contracts.ts";
import { RecordCopier } from "./copy.ts";
import { popBatchOrWait } from "./ring-pop.ts";
import * as L from "./spsc-layout.ts";
import { ringDoorbell, Waiter } from "./wait.ts";

/** Most records the consumer takes before it stores HEAD (publishes freed slots). */
export const RELEASE_EVERY_MAX = 256;

/** Where a publisher rings to wake the consumer: a cell and its sleeper count. */
export interface Bell {
  readonly cells: Int32Array;
  readonly valueIdx: number;
  readonly sleepersIdx: number;
  readonly armedIdx: number;
}

/** Occupancy `tail - head` as a signed difference, clamped to [0, capacity]. */
function occupancy(tail: number, head: number, capacity: number): number {
  const used = (tail - head) | 0;
  return Math.min(Math.max(used, 0), capacity);
}

/** Fields both ends read from the ring header. */
class RingView {
  readonly c: Int32Array;
  readonly copier: RecordCopier;
  readonly spanBytes: Uint8Array;
  readonly recordBytes: number;
  readonly ringSlots: number;
  readonly mask: number;
  /** Records the ring holds at most (the user's capacitySlots, exact). */
  readonly capacitySlots: number;
  readonly dataBase: number;
  readonly producers: number;

  constructor(sab: SharedArrayBuffer, baseBytes: number) {
    this.c = new Int32Array(sab, baseBytes, L.RING_CONTROL_BYTES / 4);
    assert(
      Atomics.load(this.c, L.I_MAGIC) === L.SPSC_MAGIC,
      `no SPSC ring at byte ${baseBytes} of the shared buffer`,
    );
    this.ringSlots = this.c[L.I_RING_SLOTS]!;
    this.mask = this.ringSlots - 1;
    this.capacitySlots = this.c[L.I_CAPACITY_SLOTS]!;
    this.recordBytes = this.c[L.I_RECORD_BYTES]!;
    this.producers = this.c[L.I_PRODUCERS]!;
    this.dataBase = baseBytes + L.RING_CONTROL_BYTES;
    this.copier = new RecordCopier(sab, this.dataBase, this.ringSlots, this.recordBytes);
    this.spanBytes = new Uint8Array(sab);
  }

  slotByte(index: number): number {
    return this.dataBase + (index & this.mask) * this.recordBytes;
  }
}

/** The producer end of one ring. Owner: one thread. */
export class RingProducer implements SpanProducer {
  readonly recordBytes: number;
  readonly spanBytes: Uint8Array;
  readonly capacitySlots: number;
  spanOffset = 0;
  private readonly r: RingView;
  private readonly bell: Bell;
  private readonly waiter: Waiter;
  private readonly sharedTail: boolean;
  private readonly publishEvery: number;
  /** Where the next record goes (published or not). */
  private tail: number;
  /** Records written past the last TAIL store. */
  private unpublished = 0;
  private cachedHead: number;
  private reserved = 0;
  private closed = false;
  /** Made once: the waiter's predicate "a slot is free". */
  private readonly spaceReady = (): boolean => this.freeSlots(1) > 0;

  constructor(sab: SharedArrayBuffer, baseBytes: number, config: QueueConfig, bell?: Bell) {
    this.r = new RingView(sab, baseBytes);
    this.recordBytes = this.r.recordBytes;
    this.spanBytes = this.r.spanBytes;
    this.capacitySlots = this.r.capacitySlots;
    this.bell = bell ?? {
      cells: this.r.c,
      valueIdx: L.I_CONSUMER_BELL,
      sleepersIdx: L.I_CONSUMER_SLEEPERS,
      armedIdx: L.I_CONSUMER_ARMED,
    };
    this.waiter = new Waiter(config.waitStrategy, config.spinUs);
    this.sharedTail = this.r.producers > 1;
    // Racing producers (unsafe) re-read TAIL per push, so they cannot defer its store.
    this.publishEvery = this.sharedTail ? 1 : config.publishEveryRecords;
    this.tail = Atomics.load(this.r.c, L.I_TAIL) >>> 0;
    this.cachedHead = Atomics.load(this.r.c, L.I_HEAD) >>> 0;
  }

  /** Free slots, re-reading HEAD only when the cached one shows fewer than `want`. */
  private freeSlots(want: number): number {
    const r = this.r;
    if (this.sharedTail) this.tail = Atomics.load(r.c, L.I_TAIL) >>> 0;
    let free = r.capacitySlots - occupancy(this.tail, this.cachedHead, r.capacitySlots);
    if (free < want) {
      this.cachedHead = Atomics.load(r.c, L.I_HEAD) >>> 0;
      free = r.capacitySlots - occupancy(this.tail, this.cachedHead, r.capacitySlots);
    }
    return free;
  }

  /** Stores TAIL if records are pending, then rings the consumer's bell. */
  private publish(): void {
    if (this.unpublished === 0) return;
    this.unpublished = 0;
    Atomics.store(this.r.c, L.I_TAIL, this.tail); // publishing store: records before tail are readable
    ringDoorbell(this.bell.cells, this.bell.valueIdx, this.bell.sleepersIdx, this.bell.armedIdx);
  }

  private advance(count: number): void {
    this.tail = (this.tail + count) >>> 0;
    this.unpublished += count;
  }

  /** Boundary check without a per-call closure (this is the hot path). */
  private check(src: Uint8Array, srcOffset: number, count: number): void {
    if (this.closed) throw new AssertionError("push after close()");
    if (!(srcOffset >= 0 && srcOffset + count * this.recordBytes <= src.length))
      throw new AssertionError(
        `push: ${count} records at byte ${srcOffset} overrun a ${src.length}-byte buffer`,
      );
  }

  tryPush(src: Uint8Array, srcOffset: number): boolean {
    this.check(src, srcOffset, 1);
    if (this.freeSlots(1) < 1) {
      this.publish(); // full: let the consumer see everything so it can free slots
      return false;
    }
    this.r.copier.toRing(src, srcOffset, this.r.slotByte(this.tail), this.recordBytes);
    this.advance(1);
    if (this.unpublished >= this.publishEvery) this.publish();
    return true;
  }

  tryPushBatch(src: Uint8Array, srcOffset: number, count: number): number {
    this.check(src, srcOffset, count);
    const r = this.r;
    const n = Math.min(count, this.freeSlots(count));
    if (n > 0) {
      const start = this.tail & r.mask;
      const first = Math.min(n, r.ringSlots - start);
      const rb = r.recordBytes;
      r.copier.toRing(src, srcOffset, r.dataBase + start * rb, first * rb);
      if (n > first) r.copier.toRing(src, srcOffset + first * rb, r.dataBase, (n - first) * rb);
      this.advance(n);
    }
    this.publish();
    return Math.max(n, 0);
  }

  pushBatch(src: Uint8Array, srcOffset: number, count: number, timeoutMs: number): number {
    let done = this.tryPushBatch(src, srcOffset, count);
    if (done >= count) return done; // the common case reads no clock
    const deadlineMs = performance.now() + timeoutMs;
    for (;;) {
      const leftMs = deadlineMs - performance.now();
      if (!(leftMs > 0)) return done;
      this.waitForSpace(leftMs);
      done += this.tryPushBatch(src, srcOffset + done * this.recordBytes, count - done);
      if (done >= count) return done;
    }
  }

  /** Publishes what is pending, then waits per the wait strategy until a slot is free; false on timeout. */
  waitForSpace(timeoutMs: number): boolean {
    this.publish();
    return this.waiter.waitFor(
      this.r.c,
      L.I_PRODUCER_BELL,
      L.I_PRODUCER_SLEEPERS,
      this.spaceReady,
      timeoutMs,
      L.I_PRODUCER_ARMED,
    );
  }

  reserve(max: number): number {
    if (this.closed) throw new AssertionError("reserve after close()");
    const r = this.r;
    const free = this.freeSlots(max); // first: reloads TAIL when several producers share it
    const start = this.tail & r.mask;
    const n = Math.min(max, free, r.ringSlots - start);
    this.spanOffset = r.dataBase + start * r.recordBytes;
    this.reserved = Math.max(n, 0);
    if (this.reserved === 0) this.publish();
    return this.reserved;
  }

  commit(count: number): void {
    if (!(count >= 0 && count <= this.reserved))
      throw new AssertionError(`commit(${count}) exceeds the ${this.reserved} reserved slots`);
    this.reserved = 0;
    this.advance(count);
    this.publish();
  }

  flush(): void {
    this.publish();
  }

  close(): void {
    if (this.closed) return;
    this.publish();
    this.closed = true;
    Atomics.add(this.r.c, L.I_CLOSED_PRODUCERS, 1); // after the last publishing store
    ringDoorbell(this.bell.cells, this.bell.valueIdx, this.bell.sleepersIdx, this.bell.armedIdx);
  }
}

/** The consumer end of one ring. Owner: one thread. */
export class RingConsumer implements SpanConsumer {
  readonly recordBytes: number;
  readonly spanBytes: Uint8Array;
  readonly capacitySlots: number;
  spanOffset = 0;
  private readonly r: RingView;
  private readonly waiter: Waiter;
  private readonly releaseEvery: number;
  /** The next record to read (released or not). */
  private head: number;
  /** Records read past the last HEAD store. */
  private unreleased = 0;
  private cachedTail: number;
  private peeked = 0;
  /** Made once: the waiter's predicate "a record is ready, or every producer closed". */
  private readonly dataReady = (): boolean => this.available(1) > 0 || this.allClosed();

  constructor(sab: SharedArrayBuffer, baseBytes: number, config: QueueConfig) {
    this.r = new RingView(sab, baseBytes);
    this.recordBytes = this.r.recordBytes;
    this.spanBytes = this.r.spanBytes;
    this.capacitySlots = this.r.capacitySlots;
    this.waiter = new Waiter(config.waitStrategy, config.spinUs);
    this.releaseEvery = Math.max(1, Math.min(RELEASE_EVERY_MAX, this.r.capacitySlots >>> 2));
    this.head = Atomics.load(this.r.c, L.I_HEAD) >>> 0;
    this.cachedTail = Atomics.load(this.r.c, L.I_TAIL) >>> 0;
  }

  /**
   * Readable records. Re-reads TAIL only when the cached one shows fewer than
   * `want`, and publishes freed slots first, so a producer waiting for space
   * always sees them before the consumer can run dry.
   */
  available(want: number): number {
    const r = this.r;
    let n = occupancy(this.cachedTail, this.head, r.capacitySlots);
    if (n < want) {
      this.releasePending();
      this.cachedTail = Atomics.load(r.c, L.I_TAIL) >>> 0;
      n = occupancy(this.cachedTail, this.head, r.capacitySlots);
    }
    return n;
  }

  allClosed(): boolean {
    return Atomics.load(this.r.c, L.I_CLOSED_PRODUCERS) >= this.r.producers;
  }

  private releasePending(): void {
    if (this.unreleased === 0) return;
    this.unreleased = 0;
    Atomics.store(this.r.c, L.I_HEAD, this.head); // publishing store: slots before head are free
    ringDoorbell(this.r.c, L.I_PRODUCER_BELL, L.I_PRODUCER_SLEEPERS, L.I_PRODUCER_ARMED);
  }

  private consume(count: number): void {
    this.head = (this.head + count) >>> 0;
    this.unreleased += count;
    if (this.unreleased >= this.releaseEvery) this.releasePending();
  }

  tryPop(dst: Uint8Array, dstOffset: number): boolean {
    return this.tryPopBatch(dst, dstOffset, 1) === 1;
  }

  tryPopBatch(dst: Uint8Array, dstOffset: number, max: number): number {
    const r = this.r;
    const rb = r.recordBytes;
    if (!(dstOffset >= 0 && dstOffset + max * rb <= dst.length))
      throw new AssertionError(
        `pop: ${max} records at byte ${dstOffset} overrun a ${dst.length}-byte buffer`,
      );
    const n = Math.min(max, this.available(max));
    if (n <= 0) return 0;
    const start = this.head & r.mask;
    const first = Math.min(n, r.ringSlots - start);
    r.copier.fromRing(r.dataBase + start * rb, dst, dstOffset, first * rb);
    if (n > first) r.copier.fromRing(r.dataBase, dst, dstOffset + first * rb, (n - first) * rb);
    this.consume(n);
    return n;
  }

  popBatch(dst: Uint8Array, dstOffset: number, max: number, timeoutMs: number): number {
    return popBatchOrWait(this, dst, dstOffset, max, timeoutMs);
  }

  /** Frees what it holds, then waits per the wait strategy until a record is ready or every producer closed; false on timeout. */
  waitForData(timeoutMs: number): boolean {
    this.releasePending();
    return this.waiter.waitFor(
      this.r.c,
      L.I_CONSUMER_BELL,
      L.I_CONSUMER_SLEEPERS,
      this.dataReady,
      timeoutMs,
      L.I_CONSUMER_ARMED,
    );
  }

  /** CLOSED_PRODUCERS is read before TAIL: every close follows its producer's last publish. */
  ended(): boolean {
    return this.allClosed() && this.available(1) === 0;
  }

  peek(max: number): number {
    const r = this.r;
    const n = Math.min(max, this.available(max), r.ringSlots - (this.head & r.mask));
    this.spanOffset = r.dataBase + (this.head & r.mask) * r.recordBytes;
    this.peeked = Math.max(n, 0);
    return this.peeked;
  }

  release(count: number): void {
    if (!(count >= 0 && count <= this.peeked))
      throw new AssertionError(`release(${count}) exceeds the ${this.peeked} peeked records`);
    this.peeked = 0;
    this.consume(count);
  }
}
