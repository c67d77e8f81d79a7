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
 * 2-core machine (20 warm-up chunks of 50k ops, then 250k-op trials, fresh
 * processes), one long loop ran array-pool at ~45-60 ns/op for the first 3-10
 * trials and then at ~25 (its fully optimized code arrived only by on-stack
 * replacement, late and at a varying point), while the chunked loop ran at
 * ~25 from the first trial in most processes.
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
