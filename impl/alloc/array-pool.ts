/**
 * "array-pool": `capacity` event objects made up front and a stack of free
 * slot indices (Int32Array). acquire pops an index, release pushes it back: O(1)
 * and correct under ANY release order, because what comes back is exactly the
 * slot that was released, never "the next one" (the C++ pool this harness
 * studies advances a counter on release, and so hands out a live object again
 * when releases come out of order).
 *
 * Misuse is refused with AllocatorMisuseError. Each pooled object carries its
 * slot number and a live token: the owning pool's id while handed out, 0 while
 * free. release compares one integer (token === this pool's id) on the hot
 * path; on a mismatch, the cold path tells a double release (the object is
 * ours: `objects[slot] === ref`) from a foreign one (another pool's, or made by
 * hand). An integer token rather than a per-slot flag array or an owner
 * pointer keeps acquire+release at two plain field stores and no GC barrier.
 *
 * Exhaustion policy (`onExhausted`):
 * - "throw" (default): acquire raises PoolExhaustedError when every object is live.
 * - "grow": the pool doubles (new objects, larger stack and flags) and carries
 *   on, up to `maxObjects` (default ARRAY_POOL_MAX_OBJECTS); a pool already at
 *   its maximum raises PoolExhaustedError. Growth allocates, so size the pool
 *   for the steady state and treat growth as a safety margin.
 *
 * Owner: the thread that created it; single-threaded.
 */
import {
  type Allocator,
  AllocatorMisuseError,
  type ExhaustionPolicy,
  PoolExhaustedError,
} from "../core/contracts.ts";
import { type EventFields, Lane, payloadCapacity } from "../core/record.ts";
import { copyEventFields } from "./copy.ts";

/** The most objects a growing pool will hold (the schema's capacity maximum). */
export const ARRAY_POOL_MAX_OBJECTS = 1 << 24;

/** Pool ids start at 1 (0 means "free"); ids are per thread, which is all a pool spans. */
let nextPoolId = 1;
const MAX_POOL_ID = 0x7fffffff;

/** An event owned by an ArrayPool; `poolSlot` is its index in the pool. */
export class PooledEvent implements EventFields {
  producerId = 0;
  sequence = 0;
  ingestNs = 0;
  lane: Lane = Lane.REALTIME;
  type = 0;
  payloadLength = 0;
  /** The owning pool's id while handed out, 0 while free. Only ArrayPool writes it. */
  liveToken = 0;
  readonly payload: Uint8Array;
  constructor(
    readonly poolSlot: number,
    payloadBytes: number,
  ) {
    this.payload = new Uint8Array(payloadBytes);
  }
}

export class ArrayPool implements Allocator<EventFields> {
  readonly name = "array-pool";
  private readonly payloadBytes: number;
  private objects: PooledEvent[] = [];
  /** Free slot indices; entries [0, freeTop) are valid. */
  private freeSlots: Int32Array;
  private freeTop = 0;
  private readonly poolId: number;

  constructor(
    readonly recordBytes: number,
    initialObjects: number,
    private readonly onExhausted: ExhaustionPolicy = "throw",
    readonly maxObjects: number = ARRAY_POOL_MAX_OBJECTS,
  ) {
    this.payloadBytes = payloadCapacity(recordBytes);
    if (!Number.isInteger(initialObjects) || initialObjects < 1 || initialObjects > maxObjects) {
      throw new RangeError(
        `array-pool: capacity must be an integer in [1, ${maxObjects}], got ${initialObjects}`,
      );
    }
    if (nextPoolId > MAX_POOL_ID)
      throw new RangeError("array-pool: too many pools made in this thread");
    this.poolId = nextPoolId++;
    this.freeSlots = new Int32Array(0);
    this.resize(initialObjects);
  }

  /** Objects the pool holds now (grows under the "grow" policy). */
  get capacity(): number {
    return this.objects.length;
  }

  acquire(): EventFields {
    if (this.freeTop === 0) this.onEmpty();
    const ev = this.objects[this.freeSlots[--this.freeTop]!]!;
    ev.liveToken = this.poolId;
    return ev;
  }

  release(ref: EventFields): void {
    const ev = ref as PooledEvent;
    if (ev.liveToken !== this.poolId) this.refuse(ev);
    ev.liveToken = 0;
    this.freeSlots[this.freeTop++] = ev.poolSlot;
  }

  write(ref: EventFields, ev: EventFields): void {
    copyEventFields(ref, ev);
  }

  read(ref: EventFields, out: EventFields): EventFields {
    return copyEventFields(out, ref);
  }

  live(): number {
    return this.objects.length - this.freeTop;
  }

  // Cold paths live in their own methods so acquire/release stay small enough to inline.
  private onEmpty(): void {
    const n = this.objects.length;
    if (this.onExhausted === "grow" && n < this.maxObjects) {
      this.resize(Math.min(n * 2, this.maxObjects));
      return;
    }
    throw new PoolExhaustedError(
      `array-pool: all ${n} objects are live` +
        (this.onExhausted === "grow"
          ? ` and the pool is at its maximum of ${this.maxObjects}`
          : ` (onExhausted: "throw"; pass onExhausted: "grow" or a larger capacity)`),
    );
  }

  private refuse(ev: PooledEvent): never {
    if (this.objects[ev.poolSlot] === ev) {
      throw new AllocatorMisuseError(
        `array-pool: double release of the object in slot ${ev.poolSlot}`,
      );
    }
    throw new AllocatorMisuseError(
      "array-pool: release of an object this pool did not hand out (from another pool, or made by hand)",
    );
  }

  /** Grows to `n` objects; the new ones go on the free stack so they are handed out next. */
  private resize(n: number): void {
    const old = this.objects.length;
    const freeSlots = new Int32Array(n);
    freeSlots.set(this.freeSlots.subarray(0, this.freeTop));
    // Push in descending order so a fresh pool hands out slot 0 first.
    for (let slot = n - 1; slot >= old; slot--) freeSlots[this.freeTop++] = slot;
    for (let slot = old; slot < n; slot++)
      this.objects.push(new PooledEvent(slot, this.payloadBytes));
    this.freeSlots = freeSlots;
  }
}
