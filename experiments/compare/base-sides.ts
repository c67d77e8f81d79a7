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
import type { BaseHeadRow, BaseHeadSides, Side } from "../measure/base-head.ts";
import type { DuetSide } from "../measure/duet.ts";
import type { AllocDuetParams, AllocSwapParams } from "./alloc-duet-workload.ts";

/** The duet Worker module of allocator rows. */
const ALLOC_DUET_MODULE = join(import.meta.dir, "alloc-duet-workload.ts");

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
  /** Allocator trials: a fresh allocator per trial (old harness) and a full GC before each (AllocDuetParams). */
  allocAllocatorPerTrial: boolean;
  allocGcBeforeTrial: boolean;
  capacitySlots: number;
  batchRecords: number;
  multiProducers: number;
  /**
   * Length aimed at for a queue trial's timed window, and for the untimed
   * lead-in before it (fresh Workers start in the interpreter), in seconds of
   * the rate the row's warm-up chunks showed. A fixed event count would give
   * spsc (tens of millions/s) a window of milliseconds and a one-message-per-
   * record baseline one of seconds.
   */
  queueTimedS: number;
  queueLeadInS: number;
  /** Bounds on a queue trial's events per producer. */
  queueMinEventsPerProducer: number;
  queueMaxEventsPerProducer: number;
  /**
   * Sizing probe: runs of the row start at this many events per producer and
   * grow until their timed window lasts queueProbeMinTimedS (at most
   * queueMaxProbeRuns runs per side). A short probe measures Worker start-up:
   * measured, spsc at batch 256 moves 5M events/s in a 200k-event run and
   * 40M in a 2M-event run after a 0.5M lead-in.
   */
  queueProbeStartEventsPerProducer: number;
  queueProbeMinTimedS: number;
  queueMaxProbeRuns: number;
  /**
   * The long run a queue row's figure is set against (the microbenchmark's
   * way: one long run, after a lead-in): its timed window in seconds of the
   * probed rate, and how many such runs of the head (median).
   */
  queueReferenceTimedS: number;
  queueReferenceRuns: number;
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

interface QueueRun {
  rateEventsPerS: number;
  /** Seconds of the timed window (after the lead-in). */
  timedS: number;
}

async function queueTrial(
  tree: ImplTree,
  name: string,
  producers: number,
  sizes: BaseTrialSizes,
  seed: number,
  eventsPerProducer: number,
  warmupEventsPerProducer: number,
): Promise<QueueRun> {
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
  // Every trial keeps the full correctness check: all sent received, none lost, duplicated, reordered, corrupted.
  if (
    r.errors.length > 0 ||
    r.timedOut ||
    r.eventsReceived !== r.eventsSent ||
    r.lost + r.duplicated + r.reordered + r.corrupted > 0
  )
    throw new Error(
      `${name} p=${producers}: ${r.timedOut ? "timed out; " : ""}sent ${r.eventsSent}, received ${r.eventsReceived}, lost ${r.lost}, dup ${r.duplicated}, reordered ${r.reordered}, corrupted ${r.corrupted}${r.errors.length ? `; ${r.errors[0]}` : ""}`,
    );
  const rate = r.throughputEventsPerS;
  const timedEvents = (eventsPerProducer - warmupEventsPerProducer) * producers;
  return { rateEventsPerS: rate, timedS: rate > 0 ? timedEvents / rate : 0 };
}

/** Events per producer of a queue trial (timed + lead-in) from the warm-up rate, both bounded. */
export function queueTrialEvents(
  sizes: BaseTrialSizes,
  rateEventsPerS: number,
  producers: number,
): { eventsPerProducer: number; leadInPerProducer: number } {
  const clamp = (v: number) =>
    Math.round(
      Math.min(sizes.queueMaxEventsPerProducer, Math.max(sizes.queueMinEventsPerProducer, v)),
    );
  const rate = rateEventsPerS > 0 && Number.isFinite(rateEventsPerS) ? rateEventsPerS : 0;
  const timed = clamp((rate * sizes.queueTimedS) / producers);
  const leadIn = clamp((rate * sizes.queueLeadInS) / producers);
  return { eventsPerProducer: timed + leadIn, leadInPerProducer: leadIn };
}

function median(xs: readonly number[]): number {
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  return s.length ? s[s.length >> 1]! : Number.NaN;
}

/**
 * The base-head sides over two loaded trees. Allocator rows run as duets
 * (fresh Workers per session); queue rows interleaved, every trial in fresh
 * Workers with its own lead-in, sized before the first trial by a probe that
 * grows until its timed window leaves start-up behind, the same size for
 * both sides; after the row, the head's figure is set against a long run.
 */
export function baseHeadSides(
  trees: Record<Side, ImplTree>,
  sizes: BaseTrialSizes,
  seed: number,
): BaseHeadSides {
  const what = (row: BaseHeadRow) => (row as PlannedRow).what;
  const sized = new Map<string, { eventsPerProducer: number; leadInPerProducer: number }>();
  const probed = new Map<string, number>();
  const allocParams = (side: Side, name: string): AllocDuetParams => ({
    root: trees[side].root,
    name,
    recordBytes: sizes.recordBytes,
    liveEvents: sizes.liveEvents,
    capacity: POOL_CAPACITY,
    opsPerTrial: sizes.allocOpsPerTrial,
    opsPerChunk: sizes.allocOpsPerChunk,
    seed,
    allocatorPerTrial: sizes.allocAllocatorPerTrial,
    gcBeforeTrial: sizes.allocGcBeforeTrial,
  });
  const allocSide = (side: Side, name: string): DuetSide => ({
    name: side,
    modulePath: ALLOC_DUET_MODULE,
    exportName: "allocWorkload",
    params: allocParams(side, name),
  });
  const queueOf = (row: BaseHeadRow) => {
    const w = what(row);
    if (w.kind !== "queue") throw new Error("allocator rows run as duets");
    return w;
  };
  /** Probe one side: grow the run until its timed window lasts queueProbeMinTimedS. */
  const probe = async (side: Side, row: BaseHeadRow): Promise<QueueRun> => {
    const w = queueOf(row);
    let events = sizes.queueProbeStartEventsPerProducer;
    let run: QueueRun = { rateEventsPerS: 0, timedS: 0 };
    for (let i = 0; i < sizes.queueMaxProbeRuns; i++) {
      const leadIn = Math.floor(events / 4);
      run = await queueTrial(trees[side], w.name, w.producers, sizes, seed, events, leadIn);
      if (run.timedS >= sizes.queueProbeMinTimedS || events >= sizes.queueMaxEventsPerProducer)
        break;
      const grow = Math.ceil((1.5 * sizes.queueProbeMinTimedS) / Math.max(run.timedS, 1e-3));
      events = Math.min(sizes.queueMaxEventsPerProducer, events * Math.min(8, Math.max(2, grow)));
    }
    return run;
  };
  return {
    duet(row) {
      const w = what(row);
      return w.kind === "allocator" ? [allocSide("base", w.name), allocSide("head", w.name)] : null;
    },
    duetSwap(row, worker, unitFirst) {
      const w = what(row);
      if (w.kind !== "allocator") return null;
      return {
        name: `worker ${worker}`,
        modulePath: ALLOC_DUET_MODULE,
        exportName: "allocSwapWorkload",
        params: {
          sides: [allocParams("base", w.name), allocParams("head", w.name)],
          worker,
          unitFirst: [...unitFirst],
        } satisfies AllocSwapParams,
      };
    },
    warmupChunk() {
      throw new Error("queue rows warm up inside each trial (a lead-in), not before it");
    },
    prepare(row) {
      if (what(row).kind !== "queue") return null;
      return (async () => {
        const runs = [await probe("base", row), await probe("head", row)];
        const rate = Math.min(...runs.map((r) => r.rateEventsPerS));
        probed.set(row.id, rate);
        const size = queueTrialEvents(sizes, rate, queueOf(row).producers);
        sized.set(row.id, size);
        return [
          `trial size from a probe (runs grown until the timed window lasts ${sizes.queueProbeMinTimedS} s): ${size.eventsPerProducer} events per producer, the first ${size.leadInPerProducer} a lead-in (about ${sizes.queueLeadInS} s) before a timed window of about ${sizes.queueTimedS} s; probe rates base ${fmtRate(runs[0]!.rateEventsPerS)}, head ${fmtRate(runs[1]!.rateEventsPerS)}`,
        ];
      })();
    },
    async trial(side, row, block) {
      const w = queueOf(row);
      const size = sized.get(row.id);
      if (!size) throw new Error(`${row.id}: no trial size (prepare did not run)`);
      // The same seed for both sides of a block: base and head get the same workload.
      const s = (seed + Math.imul(block + 1, 7919)) >>> 0;
      const r = await queueTrial(
        trees[side],
        w.name,
        w.producers,
        sizes,
        s,
        size.eventsPerProducer,
        size.leadInPerProducer,
      );
      return r.rateEventsPerS;
    },
    async afterRow(row, _base, head) {
      if (what(row).kind !== "queue") return [];
      const w = queueOf(row);
      const rate = probed.get(row.id) ?? 0;
      const long = queueTrialEvents(
        { ...sizes, queueTimedS: sizes.queueReferenceTimedS },
        rate,
        w.producers,
      );
      const rates: number[] = [];
      for (let i = 0; i < sizes.queueReferenceRuns; i++)
        rates.push(
          (
            await queueTrial(
              trees.head,
              w.name,
              w.producers,
              sizes,
              (seed + 0x51ed + i) >>> 0,
              long.eventsPerProducer,
              long.leadInPerProducer,
            )
          ).rateEventsPerS,
        );
      const ref = median(rates);
      const ratio = median(head) / ref;
      const verdict =
        ratio >= 0.75
          ? "within 25%"
          : "MORE than 25% below it: the trials' timed window is too short for this queue's start-up on this machine, or the machine was busier during the trials";
      return [
        `head median ${fmtRate(median(head))} = ${(ratio * 100).toFixed(0)}% of a long run of the head measured after the trials (${long.eventsPerProducer - long.leadInPerProducer} timed events per producer after a ${long.leadInPerProducer}-event lead-in, median of ${rates.length}: ${fmtRate(ref)}), ${verdict}`,
      ];
    },
  };
}

function fmtRate(r: number): string {
  return `${(r / 1e6).toFixed(2)}M/s`;
}
