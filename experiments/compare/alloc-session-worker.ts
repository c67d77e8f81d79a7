/**
 * One repetition of `bun run compare`'s allocator measurement, in a fresh
 * Worker (experiments/compare/alloc.ts starts one per repetition). A process
 * or Worker carries its own JIT decisions and heap layout, shared by every
 * trial it runs; repetitions in fresh Workers are independent sessions, so
 * the interval over them (eval.ts) includes that noise instead of hiding it.
 * Inside the session every allocator is warmed up (checked warm-up) and then
 * timed once, in the order given (balanced across repetitions by the caller).
 */
import { createAllocator } from "../../impl/core/registry.ts";
import { warmUp } from "../measure/warmup.ts";
import { measureNsPerOp } from "./alloc.ts";
import "../../impl/index.ts";

declare const self: Worker;

export interface AllocSessionRequest {
  /** Allocator names in the order to time them. */
  order: string[];
  recordBytes: 32 | 64 | 128 | 256;
  capacity: number;
  liveEvents: number;
  opsPerRepeat: number;
  maxWarmupChunks: number;
  seed: number;
}

export interface AllocSessionReply {
  /** ns/op per name (NaN where the trial threw), and whether its warm-up reached a flat rate. */
  nsPerOp: Record<string, number>;
  steady: Record<string, boolean>;
  errors: string[];
}

self.onmessage = async (e: MessageEvent<AllocSessionRequest>) => {
  const q = e.data;
  const make = (name: string) =>
    createAllocator(name, { recordBytes: q.recordBytes, capacity: q.capacity });
  const reply: AllocSessionReply = { nsPerOp: {}, steady: {}, errors: [] };
  for (const name of q.order) {
    try {
      const w = await warmUp(
        () =>
          1e9 / measureNsPerOp(make(name), q.seed, Math.ceil(q.opsPerRepeat / 20), q.liveEvents),
        { maxChunks: q.maxWarmupChunks },
      );
      reply.steady[name] = w.steady;
    } catch (err) {
      reply.errors.push(`${name} warm-up: ${(err as Error).message}`);
    }
  }
  for (const name of q.order) {
    try {
      reply.nsPerOp[name] = measureNsPerOp(make(name), q.seed, q.opsPerRepeat, q.liveEvents);
    } catch (err) {
      reply.nsPerOp[name] = Number.NaN;
      reply.errors.push(`${name}: ${(err as Error).message}`);
    }
  }
  self.postMessage(reply);
};
