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
 * event into it. Each allocator runs against the baseline as duets (both at
 * once, measure/duet.ts) in independent sessions of fresh Workers, so the
 * ratio's interval (measure/sessions.ts) holds the noise between sessions.
 */

import { join } from "node:path";
import { type AllocCheck, checkAllocator } from "../../impl/alloc/check.ts";
import { createAllocator, listImplementations } from "../../impl/core/registry.ts";
import { interleavedSchedule } from "../measure/schedule.ts";
import "../../impl/index.ts";
import { type DuetSide, runDuet } from "../measure/duet.ts";
import { pairedRatios } from "../measure/estimate.ts";
import type { AllocDuetParams } from "./alloc-duet-workload.ts";
import type { CompareConfig } from "./config.ts";
import type { CompareRow, InvariantResult } from "./eval.ts";

export { measureNsPerOp } from "./alloc-loop.ts";

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

/** Warm-up chunks per allocator at most (each 1/20 of a repetition's operations). */
const ALLOC_MAX_WARMUP_CHUNKS = 60;

/** Duet sessions per allocator against the baseline, and pairs per session. */
const ALLOC_SESSIONS = 8;
const ALLOC_PAIRS_PER_SESSION = 3;

function median(xs: readonly number[]): number {
  const v = xs.filter((x) => Number.isFinite(x)).sort((p, q) => p - q);
  return v.length ? v[v.length >> 1]! : Number.NaN;
}

/** One side of an allocator duet: this checkout's allocator `name`, timed by measureNsPerOp. */
function duetSide(name: string, a: CompareConfig["allocator"], seed: number): DuetSide {
  return {
    name,
    modulePath: join(import.meta.dir, "alloc-duet-workload.ts"),
    exportName: "allocWorkload",
    params: {
      root: join(import.meta.dir, "..", ".."),
      name,
      recordBytes: a.recordBytes,
      liveEvents: a.liveEvents,
      capacity: POOL_CAPACITY,
      opsPerTrial: a.opsPerRepeat,
      opsPerChunk: Math.ceil(a.opsPerRepeat / 20),
      seed,
    } satisfies AllocDuetParams,
  };
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
  // Every other allocator against the baseline as duets: independent
  // sessions (fresh Workers, the first Worker's side alternated in seeded
  // balanced order), a few pairs started together in each, so interference
  // from the rest of the machine hits both sides of a pair and what a Worker
  // happens to get (JIT, heap, core) varies between sessions, inside the interval.
  const baseFigures: number[] = [];
  for (const name of names) {
    if (name === a.baseline) continue;
    const row = rows.get(name)!;
    row.sessionRatios = [];
    const firsts = interleavedSchedule(2, ALLOC_SESSIONS, seed);
    for (let s = 0; s < ALLOC_SESSIONS; s++) {
      const pair = [duetSide(name, a, seed + s), duetSide(a.baseline, a, seed + s)];
      const flip = firsts[s]![0] === 1;
      try {
        const r = await runDuet((flip ? [pair[1], pair[0]] : pair) as [DuetSide, DuetSide], {
          blocks: ALLOC_PAIRS_PER_SESSION,
          seed: seed + s,
          warmup: { maxChunks: ALLOC_MAX_WARMUP_CHUNKS },
        });
        const [mine, base] = flip ? [r.values[1]!, r.values[0]!] : [r.values[0]!, r.values[1]!];
        row.values.push(median(mine));
        baseFigures.push(median(base));
        row.sessionRatios.push(pairedRatios(mine, base, false));
        if (!r.warmups.every((w) => w.every((x) => x.steady)))
          log(`allocator ${name} session ${s + 1}: a warm-up did not reach a flat rate`);
      } catch (err) {
        row.values.push(Number.NaN);
        row.sessionRatios.push([]);
        log(`allocator ${name} session ${s + 1}: ${(err as Error).message}`);
      }
    }
    log(
      `allocator ${name} vs ${a.baseline}: ${ALLOC_SESSIONS} duet sessions x ${ALLOC_PAIRS_PER_SESSION} pairs, ${row.values.map((v) => v.toFixed(1)).join(", ")} ns/op`,
    );
  }
  rows.get(a.baseline)!.values = baseFigures;
  return [...rows.values()];
}
