/**
 * Duet mode (Bulej et al., ICPE 2020): two single-threaded contenders run at
 * the same time, each in its own Worker (so on its own core when two are
 * free), and every block's trials start together behind a shared barrier.
 * Interference from the rest of the machine (other agents' jobs, frequency
 * changes) then hits both trials of a block alike and cancels in their ratio.
 * It fits only single-threaded workloads on a machine with at least two
 * cores; everything else uses the interleaved runner (trials.ts). The result
 * has the shape of the interleaved one with mode "duet", so the same
 * estimate and decision code reads both and the report names the mode.
 */
import {
  BARRIER_BYTES,
  type DuetReply,
  type DuetRequest,
  type DuetWarmup,
} from "./duet-protocol.ts";
import type { TrialsResult } from "./trials.ts";
import type { WarmupResult } from "./warmup.ts";

/** Longest one request to a duet worker may take (init, a whole warm-up, one trial). */
export const DUET_REQUEST_TIMEOUT_MS = 300_000;

export interface DuetSide {
  name: string;
  /** Absolute path of a module exporting a DuetWorkload. */
  modulePath: string;
  exportName: string;
  /** When set, the export is a factory called with these params in the Worker. */
  params?: unknown;
}

export interface DuetOptions {
  blocks: number;
  seed: number;
  warmup?: Omit<DuetWarmup, "kind">;
  onBlock?: (block: number, values: readonly number[]) => void;
}

export interface DuetTiming {
  arrivedNs: number;
  startNs: number;
  endNs: number;
}

export interface DuetResult extends TrialsResult {
  mode: "duet";
  /** timings[c][b]: when contender c's trial of block b arrived at the barrier, started, ended. */
  timings: DuetTiming[][];
}

class DuetWorker {
  private readonly worker = new Worker(new URL("./duet-worker.ts", import.meta.url).href);
  private pending: ((r: DuetReply) => void) | null = null;

  constructor(readonly name: string) {
    this.worker.onmessage = (e: MessageEvent<DuetReply>) => {
      const p = this.pending;
      this.pending = null;
      p?.(e.data);
    };
    this.worker.onerror = (e) => {
      const p = this.pending;
      this.pending = null;
      p?.({ kind: "error", message: `worker crashed: ${e.message}` });
    };
  }

  request(m: DuetRequest): Promise<DuetReply> {
    if (this.pending) throw new Error(`duet worker ${this.name} already has a request in flight`);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.pending = null;
        resolve({
          kind: "error",
          message: `no reply to ${m.kind} in ${DUET_REQUEST_TIMEOUT_MS} ms`,
        });
      }, DUET_REQUEST_TIMEOUT_MS);
      this.pending = (r) => {
        clearTimeout(timer);
        resolve(r);
      };
      this.worker.postMessage(m);
    });
  }

  terminate(): void {
    this.worker.terminate();
  }
}

function expect<K extends DuetReply["kind"]>(
  who: string,
  r: DuetReply,
  kind: K,
): Extract<DuetReply, { kind: K }> {
  if (r.kind === "error") throw new Error(`duet ${who}: ${r.message}`);
  if (r.kind !== kind) throw new Error(`duet ${who}: expected ${kind}, got ${r.kind}`);
  return r as Extract<DuetReply, { kind: K }>;
}

/** Runs the two sides as a duet for `blocks` blocks; Workers are terminated on return or throw. */
export async function runDuet(
  sides: readonly [DuetSide, DuetSide],
  opts: DuetOptions,
): Promise<DuetResult> {
  const barrier = new SharedArrayBuffer(BARRIER_BYTES);
  const workers = sides.map((s) => new DuetWorker(s.name));
  try {
    const both = (make: (i: number) => DuetRequest) =>
      Promise.all(workers.map((w, i) => w.request(make(i))));
    const inits = await both((i) => ({
      kind: "init",
      modulePath: sides[i]!.modulePath,
      exportName: sides[i]!.exportName,
      params: sides[i]!.params,
      barrier,
    }));
    for (const [i, r] of inits.entries()) expect(sides[i]!.name, r, "ready");
    // Warm up together too: each side's steady state is the one it has with a busy partner.
    const warmed = await both(() => ({ kind: "warmup", ...opts.warmup }));
    const warmups: WarmupResult[][] = warmed.map((r, i) => {
      const w = expect(sides[i]!.name, r, "warmed");
      return [
        {
          steady: w.steady,
          chunks: w.chunks,
          driftFraction: w.driftFraction,
          flat: w.steady,
          rates: w.rates,
        },
      ];
    });
    const values = sides.map(() => new Array<number>(opts.blocks).fill(Number.NaN));
    const timings: DuetTiming[][] = sides.map(() => []);
    for (let b = 0; b < opts.blocks; b++) {
      const replies = await both(() => ({ kind: "trial", block: b }));
      replies.forEach((r, i) => {
        const t = expect(sides[i]!.name, r, "trial");
        values[i]![b] = t.value;
        timings[i]![b] = { arrivedNs: t.arrivedNs, startNs: t.startNs, endNs: t.endNs };
      });
      opts.onBlock?.(
        b,
        values.map((v) => v[b]!),
      );
    }
    return {
      mode: "duet",
      names: sides.map((s) => s.name),
      seed: opts.seed,
      order: Array.from({ length: opts.blocks }, () => [0, 1]),
      values,
      warmups,
      errors: sides.map(() => new Array<string>(opts.blocks).fill("")),
      timings,
    };
  } finally {
    for (const w of workers) w.terminate();
  }
}
