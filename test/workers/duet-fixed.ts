/**
 * Duet workloads for test/measure.swap.test.ts with no timing: a trial returns
 * a fixed figure (ns/op of its side) times the factor of the Worker that runs
 * it. The two Workers of a session take factors[0] and factors[1] in the
 * order they initialise (an Atomics counter shared through the params), so
 * one is the "slow Worker" for its whole life, as measured on the machine.
 */
import type { DuetWorkload } from "../../experiments/measure/duet-protocol.ts";
import { swapSideOf } from "../../experiments/measure/swap.ts";

interface FixedParams {
  /** ns/op of the side this Worker runs (split). */
  ns: number;
  counter: SharedArrayBuffer;
  factors: [number, number];
}

interface SwapFixedParams {
  /** ns/op of side 0 (base) and side 1 (head). */
  ns: [number, number];
  worker: 0 | 1;
  unitFirst: number[];
  counter: SharedArrayBuffer;
  factors: [number, number];
}

function workerFactor(counter: SharedArrayBuffer, factors: [number, number]): number {
  return factors[Atomics.add(new Int32Array(counter), 0, 1) % 2]!;
}

export function fixed(params: unknown): DuetWorkload {
  const p = params as FixedParams;
  const f = workerFactor(p.counter, p.factors);
  return { warmupChunk: () => 1e9 / (p.ns * f), trial: () => p.ns * f };
}

export function swapFixed(params: unknown): DuetWorkload {
  const p = params as SwapFixedParams;
  const f = workerFactor(p.counter, p.factors);
  return {
    warmupChunk: () => 1e9 / (p.ns[0] * f),
    trial: (block) => p.ns[swapSideOf(p.worker, block, p.unitFirst)]! * f,
  };
}
