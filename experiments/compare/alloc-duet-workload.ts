/**
 * Duet workloads of the allocator rows of `compare --base`: each runs in a
 * duet Worker (experiments/measure/duet-worker.ts), loads a tree's
 * allocators (base or head) and times them with the head's loop
 * (alloc-loop.ts).
 *
 * - allocWorkload: one side per Worker (the "split" design).
 * - allocSwapWorkload: both sides in every Worker (the "swap" design), each
 *   with its own copy of the loop so every copy stays monomorphic to one
 *   allocator class; the side a trial runs is fixed by swapSideOf, so the
 *   two Workers of a duet run opposite sides in every block and trade sides
 *   from one block of a swap unit to the next. A Worker that is slow for its
 *   life (measured: up to 2x for the same array-pool code) then slows base
 *   and head alike inside each unit, and the unit's ratio cancels it.
 */

import type { Allocator } from "../../impl/core/contracts.ts";
import type { DuetWorkload } from "../measure/duet-protocol.ts";
import { swapSideOf } from "../measure/swap.ts";
import { loadImplTree } from "./base-sides.ts";

export interface AllocDuetParams {
  root: string;
  name: string;
  recordBytes: 32 | 64 | 128 | 256;
  liveEvents: number;
  capacity: number;
  opsPerTrial: number;
  opsPerChunk: number;
  seed: number;
  /**
   * A fresh allocator for every chunk and trial (the old harness) instead of
   * one per side per Worker, drained after each use. Default false: a fresh
   * 65536-slot array-pool allocates ~10 MB of objects that the timed loop
   * never touches, and the garbage of the ones before it is collected while
   * the next trials run, in both Workers of a duet at once.
   */
  allocatorPerTrial?: boolean;
  /** Full GC before every trial, before the start barrier (default true). */
  gcBeforeTrial?: boolean;
}

/** A swap Worker: both sides' params, this Worker's index (0 or 1) and the unit orders. */
export interface AllocSwapParams {
  sides: [AllocDuetParams, AllocDuetParams];
  worker: 0 | 1;
  /** unitFirst[u]: the side Worker 0 runs in the first block of swap unit u. */
  unitFirst: number[];
}

type Loop = typeof import("./alloc-loop.ts").measureNsPerOp;

/** One copy of the timed loop per tag: a distinct specifier is a distinct module instance. */
async function loopCopy(tag: string): Promise<Loop> {
  const url = new URL(`./alloc-loop.ts?copy=${encodeURIComponent(tag)}`, import.meta.url);
  return ((await import(url.href)) as typeof import("./alloc-loop.ts")).measureNsPerOp;
}

/** A side's allocator factory and timed loop. */
async function sideRunner(p: AllocDuetParams, tag: string) {
  const tree = await loadImplTree(p.root);
  const loop = await loopCopy(tag);
  const fresh = (): Allocator =>
    tree.createAllocator(p.name, { recordBytes: p.recordBytes, capacity: p.capacity });
  const kept = p.allocatorPerTrial ? null : fresh();
  const get = () => kept ?? fresh();
  // The same seed on both sides of a block: base and head release the same slots.
  const trialSeed = (block: number) => (p.seed + Math.imul(block + 1, 7919)) >>> 0;
  return {
    chunkNs: (share = 1) =>
      loop(get(), p.seed, Math.max(1, Math.round(p.opsPerChunk * share)), p.liveEvents),
    trialNs: (block: number) => loop(get(), trialSeed(block), p.opsPerTrial, p.liveEvents),
  };
}

/** Full GC before a trial unless the params turn it off (collects the Worker's garbage so far). */
function beforeTrial(p: AllocDuetParams): (() => void) | undefined {
  return (p.gcBeforeTrial ?? true) ? () => Bun.gc(true) : undefined;
}

export async function allocWorkload(params: unknown): Promise<DuetWorkload> {
  const p = params as AllocDuetParams;
  const r = await sideRunner(p, "only");
  return {
    warmupChunk: () => 1e9 / r.chunkNs(),
    trial: (block) => r.trialNs(block),
    beforeTrial: beforeTrial(p),
  };
}

export async function allocSwapWorkload(params: unknown): Promise<DuetWorkload> {
  const p = params as AllocSwapParams;
  const runners = [await sideRunner(p.sides[0], "side0"), await sideRunner(p.sides[1], "side1")];
  return {
    // Both sides warm up, in turn, half a chunk each (a chunk costs what a split Worker's does).
    warmupChunk: () => 2e9 / (runners[0]!.chunkNs(0.5) + runners[1]!.chunkNs(0.5)),
    trial: (block) => runners[swapSideOf(p.worker, block, p.unitFirst)]!.trialNs(block),
    beforeTrial: beforeTrial(p.sides[0]),
  };
}
