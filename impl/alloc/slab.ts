/**
 * "slab": event records in one SharedArrayBuffer, handed out as u32 handles
 * that cross threads (through a queue, or postMessage). The JS form of the
 * pooled EventPtr of the C++ system this harness studies: the record never
 * moves, only its 4-byte handle does.
 *
 * Ownership (byte map in slab-layout.ts):
 * - The slab is split into `producers` equal shares. Producer p owns its share
 *   and a free stack of it that only p's thread touches (a local Int32Array).
 * - A handle is (p << 24) | slot: whoever holds it can find the owner.
 * - The consumer gives handles back to their owner through a lock-free SPSC
 *   return ring per producer in the slab (consumer writes returnHead, producer
 *   writes returnTail, on separate cache lines). The producer drains its ring
 *   when its free stack is empty, and whenever it calls drainReturns().
 * - One byte of state per slot (free/live), flipped with Atomics, catches a
 *   double release and a handle that was never handed out, whichever thread
 *   releases it.
 *
 * Threads: open each producer view once (openSlabProducer claims it) and one
 * consumer view (openSlabConsumer claims it), each in any thread; pass the
 * SlabHandle (plain data) with postMessage. Limits: one consumer view per slab
 * (the return rings are single-producer on the consumer side); a handle from a
 * different slab whose numbers happen to be valid and live here is not caught.
 */
import {
  type Allocator,
  type AllocatorConfig,
  AllocatorMisuseError,
  PoolExhaustedError,
} from "../core/contracts.ts";
import type { EventFields } from "../core/record.ts";
import * as L from "./slab-layout.ts";
import { createSlab, type SlabHandle, SlabView } from "./slab-view.ts";

export { createSlab, type SlabHandle, type SlabOptions, slabLiveSlots } from "./slab-view.ts";

/** Producer p's view: acquires from its own share, drains its return ring. Owner: one thread. */
export class SlabProducer extends SlabView {
  private readonly free: Int32Array;
  private freeTop = 0;
  private returnTail: number;
  private readonly headWord: number;
  private readonly tailWord: number;
  private readonly parkedWord: number;
  private readonly ringBase: number;
  private readonly handleBase: number;
  private readonly stateBase: number;

  constructor(
    handle: SlabHandle,
    readonly producerIndex: number,
  ) {
    super(handle);
    if (!Number.isInteger(producerIndex) || producerIndex < 0 || producerIndex >= this.producers) {
      throw new RangeError(
        `slab: producer index must be in [0, ${this.producers - 1}], got ${producerIndex}`,
      );
    }
    const claimed = L.controlWord(producerIndex, L.CTL_CLAIMED);
    if (Atomics.compareExchange(this.i32, claimed, 0, 1) !== 0) {
      throw new AllocatorMisuseError(
        `slab: producer ${producerIndex} is already open in some thread`,
      );
    }
    this.headWord = L.controlWord(producerIndex, L.CTL_RETURN_HEAD);
    this.tailWord = L.controlWord(producerIndex, L.CTL_RETURN_TAIL);
    this.parkedWord = L.controlWord(producerIndex, L.CTL_PARKED);
    this.ringBase = producerIndex * handle.ringSlots;
    this.handleBase = producerIndex << L.HANDLE_SLOT_BITS;
    this.stateBase = producerIndex * this.slotsPerProducer;
    this.returnTail = Atomics.load(this.i32, this.tailWord);
    this.free = new Int32Array(this.slotsPerProducer);
    // Descending, so slot 0 is handed out first.
    for (let s = this.slotsPerProducer - 1; s >= 0; s--) this.free[this.freeTop++] = s;
  }

  get capacity(): number {
    return this.slotsPerProducer;
  }

  /** A free handle, or NO_HANDLE when the share is empty even after draining returns. */
  tryAcquire(): number {
    if (this.freeTop === 0 && this.drainReturns() === 0) return L.NO_HANDLE;
    const s = this.free[--this.freeTop]!;
    // Not a publishing store: the handle reaches other threads through a queue that publishes it.
    if (Atomics.exchange(this.states, this.stateBase + s, L.SLOT_LIVE) !== L.SLOT_FREE) {
      throw new AllocatorMisuseError(
        `slab: producer ${this.producerIndex} slot ${s} was live while on the free stack`,
      );
    }
    return (this.handleBase | s) >>> 0;
  }

  /** A free handle; throws PoolExhaustedError when the share is empty even after draining returns. */
  acquire(): number {
    const h = this.tryAcquire();
    if (h === L.NO_HANDLE) {
      throw new PoolExhaustedError(
        `slab: all ${this.slotsPerProducer} slots of producer ${this.producerIndex} are live (none returned yet)`,
      );
    }
    return h;
  }

  /** Moves returned handles from the return ring to the free stack; returns how many. */
  drainReturns(): number {
    // Acquire-load: pairs with the consumer's publishing store of returnHead.
    const head = Atomics.load(this.i32, this.headWord);
    let tail = this.returnTail;
    const n = (head - tail) | 0;
    for (let i = 0; i < n; i++, tail = (tail + 1) | 0) {
      this.free[this.freeTop++] =
        this.rings[this.ringBase + (tail & this.ringMask)]! & L.HANDLE_SLOT_MASK;
    }
    if (n !== 0) {
      this.returnTail = tail;
      // Publishing store: tells the consumer side how far this producer has drained (diagnostics;
      // the ring cannot overflow, see SlabConsumer.stage).
      Atomics.store(this.i32, this.tailWord, tail);
    }
    return n;
  }

  /** Waits up to `timeoutMs` for the consumer to return a handle; true if one is waiting now. */
  waitForReturns(timeoutMs: number): boolean {
    const seen = Atomics.load(this.i32, this.headWord);
    if (seen !== this.returnTail) return true;
    // Dekker pair with SlabConsumer.publish: parked is set before the head is re-read,
    // the consumer stores head before it reads parked, so one of them sees the other.
    Atomics.store(this.i32, this.parkedWord, 1);
    if (Atomics.load(this.i32, this.headWord) === seen)
      Atomics.wait(this.i32, this.headWord, seen, timeoutMs);
    Atomics.store(this.i32, this.parkedWord, 0);
    return Atomics.load(this.i32, this.headWord) !== this.returnTail;
  }

  /** Releases a handle of this producer's own share straight to its free stack (never sent). */
  releaseOwn(h: number): void {
    if (h >>> L.HANDLE_SLOT_BITS !== this.producerIndex) {
      throw new AllocatorMisuseError(
        `slab: producer ${this.producerIndex} cannot releaseOwn handle 0x${(h >>> 0).toString(16)} of another producer`,
      );
    }
    this.markFree(h);
    this.free[this.freeTop++] = h & L.HANDLE_SLOT_MASK;
  }

  /** Copies `ev` into the record behind live handle `h`, checking every field's range. */
  write(h: number, ev: EventFields): void {
    this.writeAt(this.checkLive(h, "write"), ev);
  }

  /** Handles of this share acquired and not yet released; exact on this thread, lags the consumer by one publication. */
  live(): number {
    const pending = (Atomics.load(this.i32, this.headWord) - this.returnTail) | 0;
    return this.slotsPerProducer - this.freeTop - pending;
  }
}

/**
 * The consumer's view: reads records and returns handles to their owners
 * through the return rings. Owner: one thread (the only writer of every
 * returnHead).
 */
export class SlabConsumer extends SlabView {
  /** This thread's copy of each producer's returnHead (it is the only writer). */
  private readonly heads: Int32Array;
  /** Producers with returns not yet published, while a batch is staged. */
  private readonly dirty: Uint8Array;

  constructor(handle: SlabHandle) {
    super(handle);
    if (Atomics.compareExchange(this.i32, L.HDR_CONSUMER_CLAIMED, 0, 1) !== 0) {
      throw new AllocatorMisuseError("slab: the consumer view is already open in some thread");
    }
    this.heads = new Int32Array(this.producers);
    this.dirty = new Uint8Array(this.producers);
    for (let p = 0; p < this.producers; p++) {
      this.heads[p] = Atomics.load(this.i32, L.controlWord(p, L.CTL_RETURN_HEAD));
    }
  }

  /** Returns `h` to its producer now. Throws AllocatorMisuseError on a double release or a foreign handle. */
  release(h: number): void {
    this.publish(this.stage(h));
  }

  /** Returns `count` handles of `handles`, publishing each producer's ring once. */
  releaseBatch(handles: Uint32Array, count: number): void {
    if (count > handles.length)
      throw new RangeError(`slab: releaseBatch count ${count} > ${handles.length} handles`);
    for (let i = 0; i < count; i++) this.dirty[this.stage(handles[i]!)] = 1;
    for (let p = 0; p < this.producers; p++) {
      if (this.dirty[p] === 1) {
        this.dirty[p] = 0;
        this.publish(p);
      }
    }
  }

  /** Marks `h` free and writes it into its owner's ring, unpublished; returns the owner. */
  private stage(h: number): number {
    this.markFree(h);
    const p = h >>> L.HANDLE_SLOT_BITS;
    const head = this.heads[p]!;
    // The ring cannot overflow: an entry is a slot that went live->free, and a
    // slot goes live again only after its producer drained it.
    this.rings[p * this.handle.ringSlots + (head & this.ringMask)] = h;
    this.heads[p] = (head + 1) | 0;
    return p;
  }

  private publish(p: number): void {
    // Publishing store: makes the ring entries written by stage() visible to producer p.
    Atomics.store(this.i32, L.controlWord(p, L.CTL_RETURN_HEAD), this.heads[p]!);
    if (Atomics.load(this.i32, L.controlWord(p, L.CTL_PARKED)) === 1) {
      Atomics.notify(this.i32, L.controlWord(p, L.CTL_RETURN_HEAD));
    }
  }
}

/** Opens producer `producerIndex`'s view of a slab (once per slab, in any thread). */
export function openSlabProducer(handle: SlabHandle, producerIndex: number): SlabProducer {
  return new SlabProducer(handle, producerIndex);
}

/** Opens the slab's consumer view (once per slab, in any thread). */
export function openSlabConsumer(handle: SlabHandle): SlabConsumer {
  return new SlabConsumer(handle);
}

/**
 * The single-thread Allocator form of a slab: producer 0's view plus a local
 * consumer view, so the allocator contract suite runs on it. release goes
 * through the return ring, exactly as a cross-thread release would.
 * `capacity` is producer 0's share (all of the slab when producers = 1).
 */
export class SlabAllocator implements Allocator<number> {
  readonly name = "slab";
  readonly handle: SlabHandle;
  readonly producer: SlabProducer;
  readonly consumer: SlabConsumer;

  constructor(config: AllocatorConfig) {
    if (config.onExhausted === "grow") {
      throw new AllocatorMisuseError(
        'slab: onExhausted "grow" is not supported (its SharedArrayBuffer is fixed once shared); size capacity for the peak',
      );
    }
    this.handle = createSlab(config);
    this.producer = openSlabProducer(this.handle, 0);
    this.consumer = openSlabConsumer(this.handle);
  }

  get recordBytes(): number {
    return this.handle.recordBytes;
  }
  get capacity(): number {
    return this.producer.capacity;
  }
  acquire(): number {
    return this.producer.acquire();
  }
  release(ref: number): void {
    this.consumer.release(ref);
  }
  write(ref: number, ev: EventFields): void {
    this.producer.write(ref, ev);
  }
  read(ref: number, out: EventFields): EventFields {
    return this.consumer.read(ref, out);
  }
  live(): number {
    return this.producer.live();
  }
}
