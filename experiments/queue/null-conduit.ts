/**
 * The queue experiment's control: the harness's own ceiling. The same
 * workload driver (impl/queue/workload.ts: the same Workers, record writing,
 * batching and checks) moves its records through this conduit, which does
 * the least work that still hands each batch from one thread to the other:
 * one copy in, one copy out, one atomic load and one atomic store per batch
 * per side (plus one load of the other side's "waiting" flag), no spans, one
 * producer. Waiting follows the run's wait strategy (spin; spin for spinUs
 * then park; park), because on a shared 2-core machine a side that only spins
 * burns the time slice the other side needs: measured that way, the control
 * ran at 1-2M events/s where spsc ran at 8-15M. A real queue does at least
 * this much per batch, so its events/s over the control's is how far it sits
 * from what this harness can measure at all.
 *
 * It is deliberately NOT registered (impl/core/registry.ts): it would then
 * look like a queue to the contract suite, `bun run compare`, the pipeline
 * sweep and `listImplementations`. The workload driver loads it only when a
 * run names this module (WorkloadOptions.conduitModule), in the calling
 * thread and in its Workers.
 *
 * Shared layout (one SharedArrayBuffer, Int32 cells, each on its own 64-byte
 * line so the two sides do not share a cache line):
 *   byte 0    HEAD    records popped (free-running u32, written by the consumer)
 *   byte 64   TAIL    records pushed (free-running u32, written by the producer)
 *   byte 128  CLOSED  1 once the producer closed
 *   byte 144  C_WAIT  1 while the consumer is about to park; C_SIG: bumped to wake it
 *   byte 160  P_WAIT  1 while the producer is about to park; P_SIG: bumped to wake it
 *   byte 192  data    storageSlots x recordBytes (storageSlots: capacity rounded up to a power of two)
 */
import { assert } from "../../impl/core/assert.ts";
import {
  END_OF_STREAM,
  type QueueConfig,
  type QueueConsumer,
  type QueueEndHandle,
  type QueueEnds,
  type QueueProducer,
} from "../../impl/core/contracts.ts";
import type { QueueRegistration } from "../../impl/core/registry.ts";
import { sabOf, sabQueueEnds } from "../../impl/queue/sab-ends.ts";

export const NULL_CONDUIT_NAME = "null-conduit";
/** What WorkloadOptions.conduitModule takes to run the control. */
export const NULL_CONDUIT_MODULE = import.meta.url;

const HEAD = 0;
const TAIL = 16;
const CLOSED = 32;
const C_WAIT = 36;
const C_SIG = 37;
const P_WAIT = 40;
const P_SIG = 41;
const DATA_BYTES_OFFSET = 192;

function storageSlots(capacitySlots: number): number {
  let n = 1;
  while (n < capacitySlots) n *= 2;
  return n;
}

/** The two sides' shared view of the buffer. */
class Ring {
  readonly ctl: Int32Array;
  readonly data: Uint8Array;
  readonly mask: number;
  readonly capacity: number;
  readonly rb: number;
  readonly config: QueueConfig;
  constructor(sab: SharedArrayBuffer, config: QueueConfig) {
    this.config = config;
    this.ctl = new Int32Array(sab, 0, DATA_BYTES_OFFSET / 4);
    const slots = storageSlots(config.capacitySlots);
    this.data = new Uint8Array(sab, DATA_BYTES_OFFSET, slots * config.recordBytes);
    this.mask = slots - 1;
    this.capacity = config.capacitySlots;
    this.rb = config.recordBytes;
  }
}

/** Wakes the other side if it said it is parking (an eventcount: the bump makes its wait return). */
function wake(ctl: Int32Array, waitCell: number, sigCell: number): void {
  if (Atomics.load(ctl, waitCell) === 0) return;
  Atomics.store(ctl, waitCell, 0);
  Atomics.add(ctl, sigCell, 1);
  Atomics.notify(ctl, sigCell);
}

/**
 * Tries until `tryOnce` moves something, `done()` holds, or timeoutMs passes:
 * spinning first (per the wait strategy), then parking on `sigCell`. The
 * clock is read only while waiting.
 */
function waitFor(
  r: Ring,
  tryOnce: () => number,
  done: () => boolean,
  waitCell: number,
  sigCell: number,
  timeoutMs: number,
): number {
  const first = tryOnce();
  if (first !== 0 || done()) return first;
  const start = performance.now();
  const deadline = start + timeoutMs;
  const ws = r.config.waitStrategy;
  const spinUntil =
    ws === "spin" ? deadline : ws === "park" ? start : start + r.config.spinUs / 1000;
  for (;;) {
    const now = performance.now();
    if (now >= deadline) return 0;
    if (now >= spinUntil) {
      // Read the signal before announcing and re-checking, so a wake after the re-check is not lost.
      const sig = Atomics.load(r.ctl, sigCell);
      Atomics.store(r.ctl, waitCell, 1);
      const n = tryOnce();
      if (n !== 0 || done()) {
        Atomics.store(r.ctl, waitCell, 0);
        return n;
      }
      Atomics.wait(r.ctl, sigCell, sig, deadline - now);
    }
    const n = tryOnce();
    if (n !== 0 || done()) return n;
  }
}

class NullProducer implements QueueProducer {
  readonly recordBytes: number;
  private readonly r: Ring;
  private tail: number;
  constructor(handle: QueueEndHandle) {
    this.r = new Ring(sabOf(handle), handle.config);
    this.recordBytes = this.r.rb;
    this.tail = Atomics.load(this.r.ctl, TAIL) >>> 0;
  }
  tryPushBatch(src: Uint8Array, srcOffset: number, count: number): number {
    const r = this.r;
    const head = Atomics.load(r.ctl, HEAD) >>> 0;
    const n = Math.min(count, r.capacity - ((this.tail - head) >>> 0));
    if (n <= 0) return 0;
    const at = this.tail & r.mask;
    const first = Math.min(n, r.mask + 1 - at);
    r.data.set(src.subarray(srcOffset, srcOffset + first * r.rb), at * r.rb);
    if (n > first) r.data.set(src.subarray(srcOffset + first * r.rb, srcOffset + n * r.rb), 0);
    this.tail = (this.tail + n) >>> 0;
    Atomics.store(r.ctl, TAIL, this.tail | 0);
    wake(r.ctl, C_WAIT, C_SIG);
    return n;
  }
  tryPush(src: Uint8Array, srcOffset: number): boolean {
    return this.tryPushBatch(src, srcOffset, 1) === 1;
  }
  pushBatch(src: Uint8Array, srcOffset: number, count: number, timeoutMs: number): number {
    if (count === 0) return 0;
    const push = () => this.tryPushBatch(src, srcOffset, count);
    return waitFor(this.r, push, () => false, P_WAIT, P_SIG, timeoutMs);
  }
  flush(): void {}
  close(): void {
    Atomics.store(this.r.ctl, CLOSED, 1);
    Atomics.store(this.r.ctl, C_WAIT, 1); // force the wake: the consumer must see CLOSED now
    wake(this.r.ctl, C_WAIT, C_SIG);
  }
}

class NullConsumer implements QueueConsumer {
  readonly recordBytes: number;
  private readonly r: Ring;
  private head: number;
  constructor(handle: QueueEndHandle) {
    this.r = new Ring(sabOf(handle), handle.config);
    this.recordBytes = this.r.rb;
    this.head = Atomics.load(this.r.ctl, HEAD) >>> 0;
  }
  tryPopBatch(dst: Uint8Array, dstOffset: number, max: number): number {
    const r = this.r;
    const tail = Atomics.load(r.ctl, TAIL) >>> 0;
    const n = Math.min(max, (tail - this.head) >>> 0);
    if (n <= 0) return 0;
    const at = this.head & r.mask;
    const first = Math.min(n, r.mask + 1 - at);
    dst.set(r.data.subarray(at * r.rb, (at + first) * r.rb), dstOffset);
    if (n > first) dst.set(r.data.subarray(0, (n - first) * r.rb), dstOffset + first * r.rb);
    this.head = (this.head + n) >>> 0;
    Atomics.store(r.ctl, HEAD, this.head | 0);
    wake(r.ctl, P_WAIT, P_SIG);
    return n;
  }
  tryPop(dst: Uint8Array, dstOffset: number): boolean {
    return this.tryPopBatch(dst, dstOffset, 1) === 1;
  }
  popBatch(dst: Uint8Array, dstOffset: number, max: number, timeoutMs: number): number {
    const pop = () => this.tryPopBatch(dst, dstOffset, max);
    const n = waitFor(this.r, pop, () => this.closed(), C_WAIT, C_SIG, timeoutMs);
    if (n !== 0 || !this.closed()) return n;
    // Closed: the producer stored its last TAIL before CLOSED, so one more look drains it.
    const last = this.tryPopBatch(dst, dstOffset, max);
    return last !== 0 ? last : END_OF_STREAM;
  }
  ended(): boolean {
    return this.closed() && Atomics.load(this.r.ctl, TAIL) >>> 0 === this.head;
  }
  private closed(): boolean {
    return Atomics.load(this.r.ctl, CLOSED) === 1;
  }
}

function createNullConduit(config: QueueConfig): QueueEnds {
  assert(
    config.producers === 1,
    () => `${NULL_CONDUIT_NAME} has one producer, got ${config.producers}`,
  );
  const slots = storageSlots(config.capacitySlots);
  const sab = new SharedArrayBuffer(DATA_BYTES_OFFSET + slots * config.recordBytes);
  return sabQueueEnds(NULL_CONDUIT_NAME, config, sab);
}

/** Shaped like a registration so the workload driver can use it; never passed to register(). */
export const conduit: QueueRegistration = {
  kind: "queue",
  name: NULL_CONDUIT_NAME,
  description:
    "the queue experiment's control (not a queue for use): one copy in, one copy out, one atomic store per batch per side, spinning; the harness's ceiling",
  capabilities: {
    multiProducer: false,
    multiConsumer: false,
    blocking: true,
    spans: false,
    deferredPublish: false,
  },
  create: createNullConduit,
  openProducer: (h) => new NullProducer(h),
  openConsumer: (h) => new NullConsumer(h),
};
