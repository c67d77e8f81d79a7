/**
 * The shape every microbenchmark file returns. `bench/main.ts` runs each
 * `bench/*.bench.ts` (its default export), prints one table and writes JSON.
 */
export interface BenchRow {
  /** e.g. "alloc", "queue-single-thread", "queue-cross-worker" */
  group: string;
  /** implementation name from the registry, plus variant, e.g. "spsc batch=256" */
  name: string;
  /** what was measured, unit last: "nsPerOp", "recordsPerS" */
  metric: string;
  /** median over repeats */
  median: number;
  min: number;
  max: number;
  repeats: number;
  /**
   * Comparison rows only (bench/compare.ts): the paired estimate and its
   * bootstrap interval; median/min/max then hold estimate/lo/hi and repeats
   * the number of pairs.
   */
  interval?: { estimate: number; lo: number; hi: number; level: number; pairs: number };
  /** free-form context: recordBytes, batch, producers ... */
  params: Record<string, string | number | boolean>;
}

export interface BenchOptions {
  /** fewer repeats and smaller counts, for CI or a smoke run */
  quick: boolean;
  seed: number;
  /**
   * Set when the file's own name did not match --filter: the runner keeps only
   * rows whose group or name contains it, so a file may skip the others early.
   */
  filter?: string;
}

export type BenchFile = (opts: BenchOptions) => Promise<BenchRow[]>;
