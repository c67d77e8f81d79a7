/**
 * The out-of-order reuse checker shared by the allocator contract suite and by
 * the fixture that reproduces the C++ pool bug: it drives any Allocator with a
 * seeded random interleaving of acquires and releases (releases in random
 * order), and reports the first time a ref is handed out while still live or a
 * live event's content is overwritten.
 */
import type { Allocator } from "../../impl/core/contracts.ts";
import {
  type EventFields,
  LANE_COUNT,
  type Lane,
  newEventFields,
  payloadCapacity,
} from "../../impl/core/record.ts";
import { Rng } from "../../impl/core/rng.ts";

export interface ReuseCheck {
  /** Operations performed before stopping (all of them when no violation). */
  ops: number;
  /** The first violation, or null. */
  violation: string | null;
}

/** Fills `ev` with the pattern that identifies event `id`. */
function fillPattern(ev: EventFields, id: number, recordBytes: number): void {
  ev.producerId = id % 7;
  ev.sequence = id;
  ev.ingestNs = id * 1000 + 1;
  ev.lane = (id % LANE_COUNT) as Lane;
  ev.type = id & 0xff;
  ev.payloadLength = payloadCapacity(recordBytes) - (id % 3);
  for (let i = 0; i < ev.payloadLength; i++) ev.payload[i] = (id * 31 + i * 7) & 0xff;
}

function samePattern(got: EventFields, want: EventFields): boolean {
  if (
    got.producerId !== want.producerId ||
    got.sequence !== want.sequence ||
    got.ingestNs !== want.ingestNs ||
    got.lane !== want.lane ||
    got.type !== want.type ||
    got.payloadLength !== want.payloadLength
  )
    return false;
  for (let i = 0; i < want.payloadLength; i++) if (got.payload[i] !== want.payload[i]) return false;
  return true;
}

/**
 * Runs `ops` seeded operations: acquire with probability `acquireP` while below
 * `maxLive`, else release a uniformly random live ref (or the oldest, for
 * `order: "fifo"`). Every acquired event gets
 * a unique pattern, verified when it is released. Ends by releasing everything.
 */
export function checkOutOfOrderReuse<R>(
  alloc: Allocator<R>,
  seed: number,
  ops: number,
  maxLive: number,
  order: "random" | "fifo" = "random",
  acquireP = 0.55,
): ReuseCheck {
  const rng = new Rng(seed);
  const rb = alloc.recordBytes;
  const liveRefs: R[] = [];
  const liveIds: number[] = [];
  const liveSet = new Set<R>();
  const want = newEventFields(rb);
  const got = newEventFields(rb);
  let nextId = 0;
  const releaseAt = (k: number): string | null => {
    const ref = liveRefs[k]!;
    const id = liveIds[k]!;
    fillPattern(want, id, rb);
    alloc.read(ref, got);
    if (!samePattern(got, want)) {
      return `event ${id} was overwritten while live (its ref was handed out again and written)`;
    }
    if (order === "fifo") {
      liveRefs.splice(k, 1);
      liveIds.splice(k, 1);
    } else {
      liveRefs[k] = liveRefs[liveRefs.length - 1]!;
      liveIds[k] = liveIds[liveIds.length - 1]!;
      liveRefs.pop();
      liveIds.pop();
    }
    liveSet.delete(ref);
    alloc.release(ref);
    return null;
  };
  for (let op = 0; op < ops; op++) {
    const doAcquire = liveRefs.length === 0 || (liveRefs.length < maxLive && rng.chance(acquireP));
    if (doAcquire) {
      const ref = alloc.acquire();
      if (liveSet.has(ref)) {
        return {
          ops: op,
          violation: `op ${op}: acquire handed out a ref that is still live (event ${liveIds[liveRefs.indexOf(ref)]})`,
        };
      }
      const id = nextId++;
      fillPattern(want, id, rb);
      alloc.write(ref, want);
      liveRefs.push(ref);
      liveIds.push(id);
      liveSet.add(ref);
    } else {
      const v = releaseAt(order === "fifo" ? 0 : rng.int(liveRefs.length));
      if (v) return { ops: op, violation: `op ${op}: ${v}` };
    }
    if (alloc.live() !== liveRefs.length) {
      return {
        ops: op,
        violation: `op ${op}: live() = ${alloc.live()}, expected ${liveRefs.length}`,
      };
    }
  }
  while (liveRefs.length > 0) {
    const v = releaseAt(order === "fifo" ? 0 : liveRefs.length - 1);
    if (v) return { ops, violation: `drain: ${v}` };
  }
  return {
    ops,
    violation: alloc.live() === 0 ? null : `live() = ${alloc.live()} after releasing all`,
  };
}

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
