/**
 * The two sides of `compare --base REF`: the head (this checkout) and the base
 * (a worktree of REF, worktree.ts). Each side's implementations are loaded
 * from its own tree, in this process: importing `<root>/impl/index.ts`
 * registers the side's allocators and queues in `<root>/impl/core/registry.ts`,
 * a module instance of its own, so the base's code is measured by the head's
 * harness. The queue workload is the side's own `impl/queue/workload.ts`,
 * whose Workers load the side's queues.
 *
 * A side is what base-head.ts needs: a warm-up chunk and a trial per row.
 */
import { join, resolve } from "node:path";
import type { Allocator, AllocatorOptions } from "../../impl/core/contracts.ts";
import type { WorkloadOptions, WorkloadResult } from "../../impl/queue/workload.ts";
import { measureNsPerOp } from "../compare-alloc.ts";
import type { BaseHeadRow, BaseHeadSides, Side } from "../measure/base-head.ts";

/** Pool capacity of allocator trials: the live window never exceeds it. */
const POOL_CAPACITY = 65536;

/** What compare --base needs of one tree's implementations. */
export interface ImplTree {
  root: string;
  allocators: string[];
  /** Queue names with whether each takes several producers. */
  queues: { name: string; multiProducer: boolean }[];
  createAllocator(name: string, options: AllocatorOptions): Allocator;
  runQueueWorkload(options: WorkloadOptions): Promise<WorkloadResult>;
}

/** The root of this checkout (the head side). */
export const HEAD_ROOT = resolve(import.meta.dir, "..", "..");

/** Loads one tree's registry and queue workload; errors name the tree and the file. */
export async function loadImplTree(root: string): Promise<ImplTree> {
  const file = (p: string) => join(root, p);
  try {
    await import(file("impl/index.ts"));
    const registry = await import(file("impl/core/registry.ts"));
    const workload = await import(file("impl/queue/workload.ts"));
    const allocators = (registry.listImplementations("allocator") as { name: string }[]).map(
      (r) => r.name,
    );
    const queues = (
      registry.listImplementations("queue") as {
        name: string;
        capabilities: { multiProducer: boolean };
      }[]
    ).map((r) => ({ name: r.name, multiProducer: r.capabilities.multiProducer }));
    return {
      root,
      allocators,
      queues,
      createAllocator: registry.createAllocator,
      runQueueWorkload: workload.runQueueWorkload,
    };
  } catch (err) {
    throw new Error(`loading the implementations of ${root}: ${(err as Error).message}`);
  }
}

/** Sizes of one base/head row's trials (compare.config.json "base" section). */
export interface BaseTrialSizes {
  recordBytes: 32 | 64 | 128 | 256;
  liveEvents: number;
  /** Timed acquire+write+release operations per allocator trial. */
  allocOpsPerTrial: number;
  /** Operations per allocator warm-up chunk. */
  allocOpsPerChunk: number;
  capacitySlots: number;
  batchRecords: number;
  multiProducers: number;
  /** Events per producer per queue trial, and the part of them before the timed window. */
  queueEventsPerProducer: number;
  queueWarmupEventsPerProducer: number;
  /** Events per producer of a queue warm-up chunk. */
  queueChunkEventsPerProducer: number;
  timeoutMs: number;
}

export type RowKind =
  | { kind: "allocator"; name: string }
  | { kind: "queue"; name: string; producers: number };

export interface PlannedRow extends BaseHeadRow {
  what: RowKind;
}

/** The rows both trees can run: every allocator, every queue at 1 and (multiProducer) N producers. */
export function planBaseRows(
  base: ImplTree,
  head: ImplTree,
  sizes: BaseTrialSizes,
): { rows: PlannedRow[]; onlyOneSide: string[] } {
  const rows: PlannedRow[] = [];
  const onlyOneSide: string[] = [];
  for (const name of head.allocators) {
    if (!base.allocators.includes(name)) {
      onlyOneSide.push(`allocator ${name} (not in base)`);
      continue;
    }
    rows.push({
      id: name,
      figureName: "time per op",
      figureUnit: "ns/op",
      higherIsBetter: false,
      what: { kind: "allocator", name },
    });
  }
  for (const q of head.queues) {
    const b = base.queues.find((x) => x.name === q.name);
    if (!b) {
      onlyOneSide.push(`queue ${q.name} (not in base)`);
      continue;
    }
    const counts = q.multiProducer && b.multiProducer ? [1, sizes.multiProducers] : [1];
    for (const producers of counts)
      rows.push({
        id: `${q.name} p=${producers}`,
        figureName: "throughput",
        figureUnit: "events/s",
        higherIsBetter: true,
        what: { kind: "queue", name: q.name, producers },
      });
  }
  return { rows, onlyOneSide };
}

/** Operations of the allocator row's trial on either side: the head's timed loop, the side's allocator. */
function allocTrial(
  tree: ImplTree,
  name: string,
  sizes: BaseTrialSizes,
  seed: number,
  ops: number,
): number {
  const alloc = tree.createAllocator(name, {
    recordBytes: sizes.recordBytes,
    capacity: POOL_CAPACITY,
  });
  return measureNsPerOp(alloc, seed, ops, sizes.liveEvents);
}

async function queueTrial(
  tree: ImplTree,
  name: string,
  producers: number,
  sizes: BaseTrialSizes,
  seed: number,
  eventsPerProducer: number,
  warmupEventsPerProducer: number,
): Promise<number> {
  const r = await tree.runQueueWorkload({
    queue: name,
    queueOptions: {
      capacitySlots: sizes.capacitySlots,
      recordBytes: sizes.recordBytes,
      producers,
      batchRecords: sizes.batchRecords,
    },
    eventsPerProducer,
    mode: "batch",
    batchRecords: sizes.batchRecords,
    seed,
    timeoutMs: sizes.timeoutMs,
    checkPayload: false,
    warmupEvents: warmupEventsPerProducer * producers,
  });
  if (
    r.errors.length > 0 ||
    r.timedOut ||
    r.eventsReceived !== r.eventsSent ||
    r.lost + r.duplicated + r.reordered + r.corrupted > 0
  )
    throw new Error(
      `${name} p=${producers}: ${r.timedOut ? "timed out; " : ""}sent ${r.eventsSent}, received ${r.eventsReceived}, lost ${r.lost}, dup ${r.duplicated}, reordered ${r.reordered}, corrupted ${r.corrupted}${r.errors.length ? `; ${r.errors[0]}` : ""}`,
    );
  return r.throughputEventsPerS;
}

/** The base-head sides over two loaded trees. Seeds depend on row, block and side only. */
export function baseHeadSides(
  trees: Record<Side, ImplTree>,
  sizes: BaseTrialSizes,
  seed: number,
): BaseHeadSides {
  const what = (row: BaseHeadRow) => (row as PlannedRow).what;
  return {
    async warmupChunk(side, row) {
      const w = what(row);
      if (w.kind === "allocator") {
        const ns = allocTrial(trees[side], w.name, sizes, seed, sizes.allocOpsPerChunk);
        return 1e9 / ns;
      }
      return queueTrial(
        trees[side],
        w.name,
        w.producers,
        sizes,
        seed,
        sizes.queueChunkEventsPerProducer,
        0,
      );
    },
    async trial(side, row, block) {
      const w = what(row);
      // The same seed for both sides of a block: base and head get the same workload.
      const s = (seed + Math.imul(block + 1, 7919)) >>> 0;
      if (w.kind === "allocator")
        return allocTrial(trees[side], w.name, sizes, s, sizes.allocOpsPerTrial);
      return queueTrial(
        trees[side],
        w.name,
        w.producers,
        sizes,
        s,
        sizes.queueEventsPerProducer,
        sizes.queueWarmupEventsPerProducer,
      );
    },
  };
}
