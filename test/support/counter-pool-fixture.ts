/**
 * TEST-ONLY reproduction of the C++ pool bug, for the allocator checker
 * (impl/alloc/check.ts) to catch: see CounterPoolFixture.
 */
import type { Allocator } from "../../impl/core/contracts.ts";
import { type EventFields, newEventFields } from "../../impl/core/record.ts";

/**
 * TEST-ONLY reproduction of the C++ pool bug: acquire hands out
 * objects[acquired++ % n] and release only advances a counter, as if releases
 * always came back in acquire order. Never register it.
 */
export class CounterPoolFixture implements Allocator<EventFields> {
  readonly name = "counter-pool-fixture";
  private readonly objects: EventFields[];
  private acquired = 0;
  private released = 0;
  constructor(
    readonly recordBytes: number,
    readonly capacity: number,
  ) {
    this.objects = Array.from({ length: capacity }, () => newEventFields(recordBytes));
  }
  acquire(): EventFields {
    if (this.acquired - this.released >= this.capacity) throw new Error("fixture exhausted");
    return this.objects[this.acquired++ % this.capacity]!;
  }
  release(_ref: EventFields): void {
    this.released++;
  }
  write(ref: EventFields, ev: EventFields): void {
    ref.producerId = ev.producerId;
    ref.sequence = ev.sequence;
    ref.ingestNs = ev.ingestNs;
    ref.lane = ev.lane;
    ref.type = ev.type;
    ref.payloadLength = ev.payloadLength;
    ref.payload.set(ev.payload);
  }
  read(ref: EventFields, out: EventFields): EventFields {
    this.write(out, ref);
    return out;
  }
  live(): number {
    return this.acquired - this.released;
  }
}
