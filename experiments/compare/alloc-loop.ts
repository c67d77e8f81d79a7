/**
 * The timed loop of every allocator measurement in compare (plain and
 * --base): ns per release+acquire+write with a live window of `liveEvents`
 * events, on a fresh allocator.
 *
 * It lives in a module of its own, with only impl/core imports, so a duet
 * Worker that times two trees' allocators can import one copy of it per side
 * (a distinct specifier, `alloc-loop.ts?side=base`, is a distinct module
 * instance in Bun): each copy's call sites then see one allocator class and
 * stay monomorphic, as in a Worker that runs one side only.
 */
import type { Allocator } from "../../impl/core/contracts.ts";
import { type EventFields, newEventFields, payloadCapacity } from "../../impl/core/record.ts";
import { Rng } from "../../impl/core/rng.ts";

/** Random slot indices precomputed for the timed loop (no RNG call inside it). */
const SLOT_TABLE_SIZE = 4096;

/**
 * Operations per call of the inner loop. The timed work is a small function
 * called many times rather than one long loop per trial: measured on the
 * 2-core machine (fresh processes, 20 warm-up chunks of 50k ops, then 16
 * trials of 250k ops, load 1.2-2.1), array-pool has two levels, ~25 and
 * ~45-60 ns/op. With one long loop 1 of 10 processes ran at ~25 from the
 * first trial and most dropped to it only after 3-14 trials (its optimized
 * code arrived late, by on-stack replacement); with the chunked loop 5 of 10
 * ran at ~25 from the first trial. In both, 2-3 of 10 stayed near 50 for
 * most of their life: that part the swap design of compare --base cancels.
 */
const OPS_PER_CALL = 1024;

function runOps(
  alloc: Allocator,
  window: unknown[],
  slots: Uint32Array,
  ev: EventFields,
  from: number,
  to: number,
): void {
  for (let i = from; i < to; i++) {
    const slot = slots[i & (SLOT_TABLE_SIZE - 1)]!;
    alloc.release(window[slot]);
    const ref = alloc.acquire();
    ev.sequence = i;
    alloc.write(ref, ev);
    window[slot] = ref;
  }
}

export function measureNsPerOp(
  alloc: Allocator,
  seed: number,
  ops: number,
  liveEvents: number,
): number {
  const rng = new Rng(seed);
  const slots = new Uint32Array(SLOT_TABLE_SIZE);
  for (let i = 0; i < SLOT_TABLE_SIZE; i++) slots[i] = rng.int(liveEvents);
  const ev = newEventFields(alloc.recordBytes);
  ev.payloadLength = payloadCapacity(alloc.recordBytes);
  const window: unknown[] = new Array(liveEvents);
  for (let i = 0; i < liveEvents; i++) {
    window[i] = alloc.acquire();
    alloc.write(window[i], ev);
  }
  const t0 = Bun.nanoseconds();
  for (let i = 0; i < ops; i += OPS_PER_CALL)
    runOps(alloc, window, slots, ev, i, Math.min(ops, i + OPS_PER_CALL));
  const ns = (Bun.nanoseconds() - t0) / ops;
  // Drained, so the same allocator can serve the next trial.
  for (let i = 0; i < liveEvents; i++) alloc.release(window[i]);
  return ns;
}
