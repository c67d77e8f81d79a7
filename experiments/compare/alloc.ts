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
 * event into it. Every repetition runs in a fresh Worker (alloc-session-worker.ts:
 * an independent session, so its JIT and heap luck is not shared by all
 * repetitions) and visits the allocators in seeded balanced interleaved
 * order (measure/schedule.ts) so drift on a shared machine spreads over all of them.
 */

import { type AllocCheck, checkAllocator } from "../../impl/alloc/check.ts";
import type { Allocator } from "../../impl/core/contracts.ts";
import { newEventFields, payloadCapacity } from "../../impl/core/record.ts";
import { createAllocator, listImplementations } from "../../impl/core/registry.ts";
import { Rng } from "../../impl/core/rng.ts";
import { interleavedSchedule } from "../measure/schedule.ts";
import "../../impl/index.ts";
import type { AllocSessionReply, AllocSessionRequest } from "./alloc-session-worker.ts";
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

/** Longest one repetition's Worker may take (warm-ups of every allocator plus one trial each). */
const SESSION_TIMEOUT_MS = 120_000;

/** One repetition in a fresh Worker (alloc-session-worker.ts); the Worker is ended either way. */
function runSession(req: AllocSessionRequest): Promise<AllocSessionReply> {
  const w = new Worker(new URL("./alloc-session-worker.ts", import.meta.url).href);
  return new Promise<AllocSessionReply>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`no reply in ${SESSION_TIMEOUT_MS} ms`)),
      SESSION_TIMEOUT_MS,
    );
    w.onmessage = (e: MessageEvent<AllocSessionReply>) => {
      clearTimeout(timer);
      resolve(e.data);
    };
    w.onerror = (e) => {
      clearTimeout(timer);
      reject(new Error(`session Worker crashed: ${e.message}`));
    };
    w.postMessage(req);
  }).finally(() => w.terminate());
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
  // Every repetition is a session of its own: a fresh Worker warms every
  // allocator up (checked warm-up) and times each once, in seeded balanced order.
  const order = interleavedSchedule(names.length, cfg.repeats, seed);
  for (let r = 0; r < cfg.repeats; r++) {
    const req: AllocSessionRequest = {
      order: order[r]!.map((k) => names[k]!),
      recordBytes: a.recordBytes,
      capacity: POOL_CAPACITY,
      liveEvents: a.liveEvents,
      opsPerRepeat: a.opsPerRepeat,
      maxWarmupChunks: ALLOC_MAX_WARMUP_CHUNKS,
      seed: seed + r,
    };
    let rep: AllocSessionReply;
    try {
      rep = await runSession(req);
    } catch (err) {
      log(`allocators repeat ${r + 1}: ${(err as Error).message}`);
      rep = { nsPerOp: {}, steady: {}, errors: [] };
    }
    for (const e of rep.errors) log(`allocators repeat ${r + 1}: ${e}`);
    for (const name of names) rows.get(name)!.values[r] = rep.nsPerOp[name] ?? Number.NaN;
    const unsteady = names.filter((n) => rep.steady[n] === false);
    log(
      `allocators repeat ${r + 1}/${cfg.repeats} (fresh Worker): ${names.map((n) => `${n} ${rows.get(n)!.values[r]!.toFixed(1)} ns/op`).join(", ")}${unsteady.length ? `; warm-up NOT steady: ${unsteady.join(", ")}` : ""}`,
    );
  }
  return [...rows.values()];
}
