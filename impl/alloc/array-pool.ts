/**
 * "array-pool": `capacity` event objects made up front and a stack of free
 * slot indices (Int32Array). acquire pops an index, release pushes it back: O(1)
 * and correct under ANY release order, because what comes back is exactly the
 * slot that was released, never "the next one" (the C++ pool this harness
 * studies advances a counter on release, and so hands out a live object again
 * when releases come out of order).
 *
 * Misuse is refused with AllocatorMisuseError: each pooled object carries its
 * slot number, release checks `objects[slot] === ref` (catches objects from
 * another pool and hand-made ones) and a per-slot live flag (catches a double
 * release).
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

/** An event owned by an ArrayPool; `poolSlot` is its index in the pool. */
export class PooledEvent implements EventFields {
  producerId = 0;
  sequence = 0;
  ingestNs = 0;
  lane: Lane = Lane.REALTIME;
  type = 0;
  payloadLength = 0;
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
  /** 1 while the slot's object is handed out. */
  private liveFlags: Uint8Array;

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
    this.freeSlots = new Int32Array(0);
    this.liveFlags = new Uint8Array(0);
    this.resize(initialObjects);
  }

  /** Objects the pool holds now (grows under the "grow" policy). */
  get capacity(): number {
    return this.objects.length;
  }

  acquire(): EventFields {
    if (this.freeTop === 0) this.onEmpty();
    const slot = this.freeSlots[--this.freeTop]!;
    this.liveFlags[slot] = 1;
    return this.objects[slot]!;
  }

  release(ref: EventFields): void {
    const slot = (ref as PooledEvent).poolSlot;
    if (this.objects[slot] !== ref) this.refuseForeign();
    if (this.liveFlags[slot] === 0) this.refuseDouble(slot);
    this.liveFlags[slot] = 0;
    this.freeSlots[this.freeTop++] = slot;
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

  private refuseForeign(): never {
    throw new AllocatorMisuseError(
      "array-pool: release of an object this pool did not hand out (from another pool, or made by hand)",
    );
  }

  private refuseDouble(slot: number): never {
    throw new AllocatorMisuseError(`array-pool: double release of the object in slot ${slot}`);
  }

  /** Grows to `n` objects; the new ones go on the free stack so they are handed out next. */
  private resize(n: number): void {
    const old = this.objects.length;
    const freeSlots = new Int32Array(n);
    freeSlots.set(this.freeSlots.subarray(0, this.freeTop));
    const liveFlags = new Uint8Array(n);
    liveFlags.set(this.liveFlags);
    // Push in descending order so a fresh pool hands out slot 0 first.
    for (let slot = n - 1; slot >= old; slot--) freeSlots[this.freeTop++] = slot;
    for (let slot = old; slot < n; slot++)
      this.objects.push(new PooledEvent(slot, this.payloadBytes));
    this.freeSlots = freeSlots;
    this.liveFlags = liveFlags;
  }
}
