/**
 * `mutex`: a ring of records under a futex mutex, with condition variables
 * "not empty" and "not full" (impl/queue/futex.ts). Multi-producer and
 * multi-consumer correct. This is the JS form of the C++ dispatcher's
 * "mutex + condition variable + deque" that the SPSC ring replaced.
 *
 * Byte map: impl/queue/mutex-layout.ts. All ring indices live on the lock's
 * cache line and are touched only while holding the mutex (through Atomics,
 * house style); record bytes are copied with plain stores under the mutex,
 * published to the next holder by the unlock.
 *
 * Copies: impl/queue/copy.ts (a u32 word loop for small copies, one
 * TypedArray.set per contiguous run for large batches; no allocation per
 * record, at most two subarray views per batch).
 *
 * Waiting (pushBatch on a full ring, popBatch on an empty one), per the
 * queue's waitStrategy: `spin` polls the fill count without the lock until
 * the deadline and never parks; `spin-then-park` polls it for spinUs, then
 * parks on the condition variable (release the mutex, Atomics.wait on the
 * sequence cell, reacquire); `park` goes straight to the condition variable.
 *
 * Threads: each producer end and each consumer end belongs to the thread that
 * opened it. Any number of consumer ends may be opened from the one consumer
 * handle (multiConsumer).
 */
import { assert, assertIntInRange } from "../core/assert.ts";
import {
  END_OF_STREAM,
  type QueueConfig,
  type QueueConsumer,
  type QueueEndHandle,
  type QueueEnds,
  type QueueProducer,
} from "../core/contracts.ts";
import { type QueueRegistration, register } from "../core/registry.ts";
import { RecordCopier } from "./copy.ts";
import { CondVar, lockMutex, unlockMutex } from "./futex.ts";
import * as L from "./mutex-layout.ts";
import { checkSpan } from "./span-check.ts";
import { Waiter } from "./wait.ts";

export const MUTEX_QUEUE_NAME = "mutex";
/** How span errors name this queue ("mutex queue push: ..."). */
const MUTEX_SPAN_KIND = "mutex queue";

/** One end's view of the shared state: cells, ring copier, condition variables, wait settings. */
class MutexRing {
  readonly cells: Int32Array;
  private readonly copier: RecordCopier;
  readonly capacitySlots: number;
  readonly recordBytes: number;
  readonly producers: number;
  readonly notEmpty: CondVar;
  readonly notFull: CondVar;
  /** How long a blocking call spins, without the lock, before parking on a condition variable: Infinity for `spin`, spinUs for `spin-then-park`, 0 for `park`. */
  readonly spinMs: number;
  private readonly spinner = new Waiter("spin", 0);
  /** Made once so waiting allocates nothing: lock-free peeks for the spin phase. */
  readonly hasDataOrEnded = (): boolean =>
    Atomics.load(this.cells, L.COUNT) > 0 || Atomics.load(this.cells, L.CLOSED) === this.producers;
  readonly hasSpace = (): boolean => Atomics.load(this.cells, L.COUNT) < this.capacitySlots;

  constructor(sab: SharedArrayBuffer, config: QueueConfig) {
    this.capacitySlots = config.capacitySlots;
    this.recordBytes = config.recordBytes;
    this.producers = config.producers;
    const bytes = L.mutexQueueBytes(this.capacitySlots, this.recordBytes);
    assert(
      sab instanceof SharedArrayBuffer && sab.byteLength === bytes,
      () =>
        `mutex queue: handle's buffer is not the ${bytes}-byte SharedArrayBuffer its config implies`,
    );
    this.cells = new Int32Array(sab, 0, L.CONTROL_BYTES >>> 2);
    this.copier = new RecordCopier(sab);
    const strategy = config.waitStrategy;
    this.spinMs =
      strategy === "spin" ? Infinity : strategy === "spin-then-park" ? config.spinUs / 1000 : 0;
    // The condition variables only park: the spin phase happens before, without the lock (spinThenLock).
    const waiter = new Waiter(strategy === "spin" ? "spin" : "park", 0);
    const c = this.cells;
    this.notEmpty = new CondVar(
      c,
      L.LOCK,
      L.NOT_EMPTY_WAITERS,
      L.NOT_EMPTY_SEQ,
      L.NOT_EMPTY_SLEEPERS,
      waiter,
    );
    this.notFull = new CondVar(
      c,
      L.LOCK,
      L.NOT_FULL_WAITERS,
      L.NOT_FULL_SEQ,
      L.NOT_FULL_SLEEPERS,
      waiter,
    );
  }

  /**
   * Caller holds the mutex. Releases it, spins on `ready` (a lock-free peek at
   * COUNT/CLOSED) for up to `ms`, and reacquires it. Spinning with loads only
   * never takes the lock from the other side, and needs no signal from it (a
   * parked waiter does: see CondVar). `alsoWake` gets its pending notify sent
   * once the lock is released.
   */
  spinThenLock(ready: () => boolean, ms: number, alsoWake: CondVar | null): void {
    unlockMutex(this.cells, L.LOCK);
    alsoWake?.wakeAfterUnlock();
    this.spinner.waitFor(this.cells, L.COUNT, L.COUNT, ready, ms);
    lockMutex(this.cells, L.LOCK);
  }

  /** Without the mutex: the fill count at some instant during the call. Lets a try-push on a full ring or a try-pop on an empty one return without taking the lock. */
  fillNow(): number {
    return Atomics.load(this.cells, L.COUNT);
  }

  /** Caller holds the mutex. Copies up to `count` records in; returns how many. */
  pushLocked(src: Uint8Array, srcOffset: number, count: number): number {
    const c = this.cells;
    const cap = this.capacitySlots;
    const n = Math.min(count, cap - Atomics.load(c, L.COUNT));
    if (n <= 0) return 0;
    const slot = Atomics.load(c, L.TAIL_SLOT);
    const rb = this.recordBytes;
    const first = Math.min(n, cap - slot);
    this.copier.toRing(src, srcOffset, L.RING_OFFSET_BYTES + slot * rb, first * rb);
    if (n > first)
      this.copier.toRing(src, srcOffset + first * rb, L.RING_OFFSET_BYTES, (n - first) * rb);
    Atomics.store(c, L.TAIL_SLOT, slot + n >= cap ? slot + n - cap : slot + n);
    Atomics.add(c, L.COUNT, n); // published to consumers by the unlock
    return n;
  }

  /** Caller holds the mutex. Copies up to `max` records out; returns how many (pushLocked's mirror: other cells, other copy direction). */
  popLocked(dst: Uint8Array, dstOffset: number, max: number): number {
    const c = this.cells;
    const cap = this.capacitySlots;
    const n = Math.min(max, Atomics.load(c, L.COUNT));
    if (n <= 0) return 0;
    const slot = Atomics.load(c, L.HEAD_SLOT);
    const rb = this.recordBytes;
    const first = Math.min(n, cap - slot);
    this.copier.fromRing(L.RING_OFFSET_BYTES + slot * rb, dst, dstOffset, first * rb);
    if (n > first)
      this.copier.fromRing(L.RING_OFFSET_BYTES, dst, dstOffset + first * rb, (n - first) * rb);
    Atomics.store(c, L.HEAD_SLOT, slot + n >= cap ? slot + n - cap : slot + n);
    Atomics.sub(c, L.COUNT, n); // frees the slots for producers, published by the unlock
    return n;
  }

  /** Caller holds the mutex. True once every producer closed and the ring is empty. */
  endedLocked(): boolean {
    const c = this.cells;
    return Atomics.load(c, L.CLOSED) === this.producers && Atomics.load(c, L.COUNT) === 0;
  }
}

class MutexProducer implements QueueProducer {
  readonly recordBytes: number;
  private readonly ring: MutexRing;
  private closed = false;

  constructor(sab: SharedArrayBuffer, config: QueueConfig) {
    this.ring = new MutexRing(sab, config);
    this.recordBytes = config.recordBytes;
  }

  tryPush(src: Uint8Array, srcOffset: number): boolean {
    return this.tryPushBatch(src, srcOffset, 1) === 1;
  }

  tryPushBatch(src: Uint8Array, srcOffset: number, count: number): number {
    const r = this.ring;
    checkSpan(MUTEX_SPAN_KIND, "push", src, srcOffset, count, r.recordBytes);
    assert(!this.closed, "mutex queue: push after close()");
    if (r.fillNow() === r.capacitySlots) return 0;
    lockMutex(r.cells, L.LOCK);
    const n = r.pushLocked(src, srcOffset, count);
    if (n > 0) r.notEmpty.signalLocked();
    unlockMutex(r.cells, L.LOCK);
    r.notEmpty.wakeAfterUnlock();
    return n;
  }

  pushBatch(src: Uint8Array, srcOffset: number, count: number, timeoutMs: number): number {
    const r = this.ring;
    checkSpan(MUTEX_SPAN_KIND, "push", src, srcOffset, count, r.recordBytes);
    assert(!this.closed, "mutex queue: push after close()");
    const deadlineMs = performance.now() + timeoutMs;
    let pushed = 0;
    let spinLeft = r.spinMs > 0;
    lockMutex(r.cells, L.LOCK);
    for (;;) {
      const n = r.pushLocked(src, srcOffset + pushed * this.recordBytes, count - pushed);
      if (n > 0) r.notEmpty.signalLocked();
      pushed += n;
      if (pushed === count) break;
      const remainingMs = deadlineMs - performance.now();
      if (!(remainingMs > 0)) break;
      if (spinLeft) {
        spinLeft = r.spinMs === Infinity; // spin-then-park spins once per call
        r.spinThenLock(r.hasSpace, Math.min(remainingMs, r.spinMs), r.notEmpty);
      } else r.notFull.wait(remainingMs, r.notEmpty);
    }
    unlockMutex(r.cells, L.LOCK);
    r.notEmpty.wakeAfterUnlock();
    return pushed;
  }

  /** Pushes are published at once; nothing is buffered locally. */
  flush(): void {}

  close(): void {
    if (this.closed) return;
    this.closed = true;
    const r = this.ring;
    lockMutex(r.cells, L.LOCK);
    const closed = Atomics.add(r.cells, L.CLOSED, 1) + 1;
    assert(
      closed <= r.producers,
      () => `mutex queue: ${closed} closes for ${r.producers} producers`,
    );
    if (closed === r.producers) r.notEmpty.signalLocked(); // waiting consumers must see end of stream
    unlockMutex(r.cells, L.LOCK);
    r.notEmpty.wakeAfterUnlock();
  }
}

// Mirrors MutexProducer on purpose: direction, fill test, condvar differ; merging needs a flag/callback.
class MutexConsumer implements QueueConsumer {
  readonly recordBytes: number;
  private readonly ring: MutexRing;

  constructor(sab: SharedArrayBuffer, config: QueueConfig) {
    this.ring = new MutexRing(sab, config);
    this.recordBytes = config.recordBytes;
  }

  tryPop(dst: Uint8Array, dstOffset: number): boolean {
    return this.tryPopBatch(dst, dstOffset, 1) === 1;
  }

  tryPopBatch(dst: Uint8Array, dstOffset: number, max: number): number {
    const r = this.ring;
    checkSpan(MUTEX_SPAN_KIND, "pop", dst, dstOffset, max, r.recordBytes);
    if (r.fillNow() === 0) return 0;
    lockMutex(r.cells, L.LOCK);
    const n = r.popLocked(dst, dstOffset, max);
    if (n > 0) r.notFull.signalLocked();
    unlockMutex(r.cells, L.LOCK);
    r.notFull.wakeAfterUnlock();
    return n;
  }

  popBatch(dst: Uint8Array, dstOffset: number, max: number, timeoutMs: number): number {
    const r = this.ring;
    checkSpan(MUTEX_SPAN_KIND, "pop", dst, dstOffset, max, r.recordBytes);
    assertIntInRange("popBatch max", max, 1, Number.MAX_SAFE_INTEGER);
    const deadlineMs = performance.now() + timeoutMs;
    let n = 0;
    let spinLeft = r.spinMs > 0;
    lockMutex(r.cells, L.LOCK);
    for (;;) {
      n = r.popLocked(dst, dstOffset, max);
      if (n > 0) {
        r.notFull.signalLocked();
        break;
      }
      if (r.endedLocked()) {
        n = END_OF_STREAM;
        break;
      }
      const remainingMs = deadlineMs - performance.now();
      if (!(remainingMs > 0)) break;
      if (spinLeft) {
        spinLeft = r.spinMs === Infinity; // spin-then-park spins once per call
        r.spinThenLock(r.hasDataOrEnded, Math.min(remainingMs, r.spinMs), null);
      } else r.notEmpty.wait(remainingMs, null);
    }
    unlockMutex(r.cells, L.LOCK);
    r.notFull.wakeAfterUnlock();
    return n;
  }

  ended(): boolean {
    const c = this.ring.cells;
    return Atomics.load(c, L.CLOSED) === this.ring.producers && Atomics.load(c, L.COUNT) === 0;
  }
}

function handle(
  role: "producer" | "consumer",
  producerIndex: number,
  config: QueueConfig,
  sab: SharedArrayBuffer,
): QueueEndHandle {
  return { kind: MUTEX_QUEUE_NAME, role, producerIndex, config, state: { sab } };
}

/** Allocates and initialises the shared buffer of a mutex queue. */
function createMutexQueue(config: QueueConfig): QueueEnds {
  const sab = new SharedArrayBuffer(L.mutexQueueBytes(config.capacitySlots, config.recordBytes));
  return {
    config,
    producerHandle(producerIndex: number): QueueEndHandle {
      assertIntInRange("producerIndex", producerIndex, 0, config.producers - 1);
      return handle("producer", producerIndex, config, sab);
    },
    consumerHandle: () => handle("consumer", 0, config, sab),
  };
}

function stateSab(h: QueueEndHandle): SharedArrayBuffer {
  const sab = h.state.sab;
  assert(
    sab instanceof SharedArrayBuffer,
    "mutex queue: handle.state.sab is not a SharedArrayBuffer",
  );
  return sab;
}

export const mutexQueue: QueueRegistration = {
  kind: "queue",
  name: MUTEX_QUEUE_NAME,
  description:
    "ring under a futex mutex (Atomics CAS + wait/notify) with not-empty/not-full condition variables; MPMC",
  capabilities: {
    multiProducer: true,
    multiConsumer: true,
    blocking: true,
    spans: false,
    deferredPublish: false,
  },
  create: createMutexQueue,
  openProducer: (h) => new MutexProducer(stateSab(h), h.config),
  openConsumer: (h) => new MutexConsumer(stateSab(h), h.config),
};

register(mutexQueue);
