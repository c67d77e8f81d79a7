/**
 * The allocator half of `bun run compare`: every registered allocator through
 * the contract checks, then a short side-by-side measurement of ns/op.
 *
 * Checks (seeded): impl/alloc/check.ts, the one allocator contract checker
 * (the test suite runs the same): acquires and releases in random order with a
 * bounded live set, no ref handed out while live, no live event changed,
 * live() right; after the drain live() is 0 and one more release is refused
 * with AllocatorMisuseError.
 *
 * Measurement: a live window of `liveEvents` events; each op releases a
 * seeded-random slot of the window, acquires a replacement and writes an
 * event into it. Repetitions visit the allocators in seeded balanced interleaved order (measure/schedule.ts) so drift
 * on a shared machine spreads over all of them.
 */

import { type AllocCheck, checkAllocator } from "../../impl/alloc/check.ts";
import type { Allocator } from "../../impl/core/contracts.ts";
import { newEventFields, payloadCapacity } from "../../impl/core/record.ts";
import { createAllocator, listImplementations } from "../../impl/core/registry.ts";
import { Rng } from "../../impl/core/rng.ts";
import { interleavedSchedule } from "../measure/schedule.ts";
import { warmUp } from "../measure/warmup.ts";
import "../../impl/index.ts";
import type { CompareConfig } from "./config.ts";
import type { CompareRow, InvariantResult } from "./eval.ts";

/** Random slot indices precomputed for the timed loop (no RNG call inside it). */
const SLOT_TABLE_SIZE = 4096;
/** Pool capacity for the stress and the measurement: the live set never exceeds it. */
const POOL_CAPACITY = 65536;

export function allocInvariants(c: AllocCheck): InvariantResult[] {
  return [
    {
      name: "no live reuse",
      ok: c.reusedWhileLive === 0 && c.damagedWhileLive === 0 && c.liveCountWrong === 0,
      detail: `reused=${c.reusedWhileLive} damaged=${c.damagedWhileLive} liveCountWrong=${c.liveCountWrong}: ${c.firstProblem}`,
    },
    {
      name: "drained",
      ok: c.liveAfterDrain === 0,
      detail: `live()=${c.liveAfterDrain} after releasing everything`,
    },
    {
      name: "misuse refused",
      ok: c.misuseRefused,
      detail: "a release with nothing live was not refused with AllocatorMisuseError",
    },
  ];
}

/** ns per acquire+write+release with a live window, on a fresh allocator. */
/** Warm-up chunks per allocator at most (each 1/20 of a repetition's operations). */
const ALLOC_MAX_WARMUP_CHUNKS = 60;

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
  for (let i = 0; i < ops; i++) {
    const slot = slots[i & (SLOT_TABLE_SIZE - 1)]!;
    alloc.release(window[slot]);
    const ref = alloc.acquire();
    ev.sequence = i;
    alloc.write(ref, ev);
    window[slot] = ref;
  }
  const ns = (Bun.nanoseconds() - t0) / ops;
  for (let i = 0; i < liveEvents; i++) alloc.release(window[i]);
  return ns;
}

export async function compareAllocators(
  cfg: CompareConfig,
  seed: number,
  log: (s: string) => void,
): Promise<CompareRow[]> {
  const a = cfg.allocator;
  const names = listImplementations("allocator").map((r) => r.name);
  if (!names.includes(a.baseline))
    throw new Error(
      `allocator baseline "${a.baseline}" is not registered (registered: ${names.join(", ") || "none"})`,
    );
  const make = (name: string) =>
    createAllocator(name, { recordBytes: a.recordBytes, capacity: POOL_CAPACITY });
  const rows = new Map<string, CompareRow>();
  for (const name of names) {
    let invariants: InvariantResult[];
    try {
      invariants = allocInvariants(
        checkAllocator(make(name), seed, a.checkOps, Math.min(a.liveEvents, POOL_CAPACITY)),
      );
    } catch (err) {
      invariants = [
        { name: "contract stress", ok: false, detail: `threw: ${(err as Error).message}` },
      ];
    }
    log(`allocator ${name}: checks ${invariants.every((i) => i.ok) ? "ok" : "BROKEN"}`);
    rows.set(name, {
      contract: "allocator",
      id: name,
      implementation: name,
      setting: `${a.recordBytes} B records, ${a.liveEvents} live`,
      figureName: "time per op",
      figureUnit: "ns/op",
      higherIsBetter: false,
      values: [],
      invariants,
      baselineId: name === a.baseline ? null : a.baseline,
    });
  }
  // Checked warm-up (JIT): short chunks until the rate stops trending (measure/warmup.ts).
  for (const name of names) {
    const w = await warmUp(
      () => 1e9 / measureNsPerOp(make(name), seed, Math.ceil(a.opsPerRepeat / 20), a.liveEvents),
      { maxChunks: ALLOC_MAX_WARMUP_CHUNKS },
    );
    log(
      `allocator ${name}: warm-up ${w.steady ? "steady" : "NOT steady"} after ${w.chunks} chunks (drift ${(w.driftFraction * 100).toFixed(1)}% over the window)`,
    );
  }
  // Seeded balanced interleaved order: every allocator in every position equally often.
  const order = interleavedSchedule(names.length, cfg.repeats, seed);
  for (let r = 0; r < cfg.repeats; r++) {
    for (let k = 0; k < names.length; k++) {
      const name = names[order[r]![k]!]!;
      let ns = Number.NaN;
      try {
        ns = measureNsPerOp(make(name), seed + r, a.opsPerRepeat, a.liveEvents);
      } catch (err) {
        log(`allocator ${name} repeat ${r}: ${(err as Error).message}`);
      }
      rows.get(name)!.values[r] = ns;
    }
    log(
      `allocators repeat ${r + 1}/${cfg.repeats}: ${names.map((n) => `${n} ${rows.get(n)!.values[r]!.toFixed(1)} ns/op`).join(", ")}`,
    );
  }
  return [...rows.values()];
}
