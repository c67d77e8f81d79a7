/**
 * "naive": a new event object per acquire; release drops it for the garbage
 * collector. The baseline a pool must beat, in its strongest fair form: one
 * object literal of a stable shape (impl/core/record.ts emptyEventFields, one
 * small direct call) with a payload array sized once from the record size,
 * and no bookkeeping beyond a live counter.
 *
 * Misuse detection is limited to what costs nothing: releasing more than was
 * acquired is refused. A double release of one object cannot be told from two
 * releases of two objects without a per-object registry, which would make the
 * baseline slower than what a user would write.
 *
 * Owner: the thread that created it; single-threaded.
 */
import { type Allocator, AllocatorMisuseError } from "../core/contracts.ts";
import { type EventFields, emptyEventFields, payloadCapacity } from "../core/record.ts";
import { copyEventFields } from "./copy.ts";

export class NaiveAllocator implements Allocator<EventFields> {
  readonly name = "naive";
  readonly capacity = Number.POSITIVE_INFINITY;
  private readonly payloadBytes: number;
  private liveCount = 0;

  constructor(readonly recordBytes: number) {
    this.payloadBytes = payloadCapacity(recordBytes);
  }

  acquire(): EventFields {
    this.liveCount++;
    return emptyEventFields(this.payloadBytes);
  }

  release(_ref: EventFields): void {
    if (this.liveCount === 0) {
      throw new AllocatorMisuseError("naive: release with no event live (double release?)");
    }
    this.liveCount--;
  }

  write(ref: EventFields, ev: EventFields): void {
    copyEventFields(ref, ev);
  }

  read(ref: EventFields, out: EventFields): EventFields {
    return copyEventFields(out, ref);
  }

  live(): number {
    return this.liveCount;
  }
}
