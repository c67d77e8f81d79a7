/**
 * Messages between the duet runner (duet.ts) and its Workers
 * (duet-worker.ts), and the shared start barrier's layout.
 *
 * Barrier: one Int32 in a SharedArrayBuffer counting arrivals over the whole
 * run. Worker w arriving for block b adds 1 and waits until the count reaches
 * 2 * (b + 1), so neither trial of a block starts before both workers are
 * ready; the count never resets, so there is no reuse race between blocks.
 */

/** Int32 index of the arrival count in the barrier buffer. */
export const BARRIER_ARRIVED = 0;
export const BARRIER_BYTES = 4;
/** Longest a worker waits at the barrier for its partner before the trial fails. */
export const BARRIER_TIMEOUT_MS = 60_000;

/** A workload a duet runs: a module exporting an object with these two functions. */
export interface DuetWorkload {
  /** One short warm-up chunk; returns a rate (higher is faster). */
  warmupChunk(): number;
  /** One measured trial; returns its figure. */
  trial(block: number): number;
  /**
   * Untimed preparation of block `block`'s trial, run BEFORE the Worker
   * arrives at the start barrier (e.g. a full GC), so it delays neither
   * trial's start relative to the other's.
   */
  beforeTrial?(block: number): void;
}

export interface DuetInit {
  kind: "init";
  modulePath: string;
  exportName: string;
  /** When set, the export is a factory called with these (structured-cloned) params. */
  params?: unknown;
  barrier: SharedArrayBuffer;
}

/** A module export that builds a workload from params (e.g. which tree's allocator to load). */
export type DuetWorkloadFactory = (params: unknown) => DuetWorkload | Promise<DuetWorkload>;
export interface DuetWarmup {
  kind: "warmup";
  windowChunks?: number;
  maxDriftFraction?: number;
  maxChunks?: number;
}
export interface DuetTrial {
  kind: "trial";
  block: number;
}
export type DuetRequest = DuetInit | DuetWarmup | DuetTrial;

export type DuetReply =
  | { kind: "ready" }
  | { kind: "warmed"; steady: boolean; chunks: number; driftFraction: number; rates: number[] }
  | {
      kind: "trial";
      block: number;
      value: number;
      /** Shared monotonic clock (impl/core/clock.ts), ns. */
      arrivedNs: number;
      startNs: number;
      endNs: number;
    }
  | { kind: "error"; message: string };
