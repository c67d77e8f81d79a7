/**
 * The interleaved runner: many short trials of every contender in the seeded,
 * balanced order of schedule.ts, each contender warmed up to a flat rate first
 * (warmup.ts). The result keeps the figure of every trial by block, so ratios
 * are formed per block (estimate.ts) from trials that ran next to each other.
 */
import { interleavedSchedule } from "./schedule.ts";
import { type WarmupOptions, type WarmupResult, warmUp } from "./warmup.ts";

/** How the figures were measured; printed next to every ratio. */
export type MeasureMode = "interleaved" | "duet";

export interface Contender {
  name: string;
  /** One short warm-up chunk; returns a rate (higher is faster). */
  warmupChunk: () => number | Promise<number>;
  /** One measured trial; returns its figure (ns/op, events/s, ...). */
  trial: (block: number) => number | Promise<number>;
}

export interface InterleavedOptions {
  blocks: number;
  seed: number;
  warmup?: WarmupOptions;
  /** Warm up before every trial (a fresh process or instance per trial), not only before the first. */
  warmupEveryTrial?: boolean;
  /**
   * No warm-up here: each trial carries its own lead-in (a trial that starts
   * fresh Workers would keep nothing a warm-up before it did).
   */
  trialsWarmThemselves?: boolean;
  /** Called after every block, e.g. for progress lines. */
  onBlock?: (block: number, values: readonly number[]) => void;
}

export interface TrialsResult {
  mode: MeasureMode;
  names: string[];
  seed: number;
  /** order[b] = contender indices in the order block b ran them (duet: both at once). */
  order: number[][];
  /** values[c][b] = figure of contender c in block b; NaN where the trial threw. */
  values: number[][];
  /** Warm-ups per contender, in the order run. */
  warmups: WarmupResult[][];
  /** Message of each trial that threw, "" where none did: values[c][b] is NaN then. */
  errors: string[][];
}

export async function runInterleaved(
  contenders: readonly Contender[],
  opts: InterleavedOptions,
): Promise<TrialsResult> {
  const order = interleavedSchedule(contenders.length, opts.blocks, opts.seed);
  const values = contenders.map(() => new Array<number>(opts.blocks).fill(Number.NaN));
  const errors = contenders.map(() => new Array<string>(opts.blocks).fill(""));
  const warmups: WarmupResult[][] = contenders.map(() => []);
  for (let b = 0; b < order.length; b++) {
    for (const c of order[b]!) {
      const who = contenders[c]!;
      if (!opts.trialsWarmThemselves && (opts.warmupEveryTrial || warmups[c]!.length === 0))
        warmups[c]!.push(await warmUp(who.warmupChunk, opts.warmup));
      try {
        values[c]![b] = await who.trial(b);
      } catch (err) {
        errors[c]![b] = (err as Error).message;
      }
    }
    opts.onBlock?.(
      b,
      values.map((v) => v[b]!),
    );
  }
  return {
    mode: "interleaved",
    names: contenders.map((c) => c.name),
    seed: opts.seed,
    order,
    values,
    warmups,
    errors,
  };
}

/** True when every warm-up of every contender reached a flat rate. */
export function allSteady(r: Pick<TrialsResult, "warmups">): boolean {
  return r.warmups.every((ws) => ws.every((w) => w.steady));
}
