/** Duet workloads for test/measure.runner.test.ts: a fixed integer loop, timed; "double" does twice the work. */
import type { DuetWorkload } from "../../experiments/measure/duet-protocol.ts";

const OPS_PER_TRIAL = 200_000;
let sink = 0;

function spinNs(ops: number): number {
  const t0 = Bun.nanoseconds();
  let x = sink | 1;
  for (let i = 0; i < ops; i++) x = (Math.imul(x, 1103515245) + 12345) | 0;
  sink = x;
  return Bun.nanoseconds() - t0;
}

function workload(factor: number): DuetWorkload {
  return {
    warmupChunk: () => (1e9 * OPS_PER_TRIAL) / Math.max(1, spinNs(OPS_PER_TRIAL * factor)),
    trial: () => spinNs(OPS_PER_TRIAL * factor) / OPS_PER_TRIAL,
  };
}

export const single = workload(1);
export const double = workload(2);
