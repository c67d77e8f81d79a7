/** Worker of the duet runner: loads one workload, warms it up and runs its trials on request. */
import { monoNowNs } from "../../impl/core/clock.ts";
import {
  BARRIER_ARRIVED,
  BARRIER_TIMEOUT_MS,
  type DuetReply,
  type DuetRequest,
  type DuetWorkload,
  type DuetWorkloadFactory,
} from "./duet-protocol.ts";
import { warmUp } from "./warmup.ts";

declare const self: Worker;

let workload: DuetWorkload | null = null;
let barrier: Int32Array | null = null;

function reply(r: DuetReply): void {
  self.postMessage(r);
}

/** Arrive for block b and wait for the partner (see duet-protocol.ts). */
function meetPartner(b: number): void {
  const a = barrier!;
  Atomics.add(a, BARRIER_ARRIVED, 1);
  Atomics.notify(a, BARRIER_ARRIVED);
  const target = 2 * (b + 1);
  const deadline = Date.now() + BARRIER_TIMEOUT_MS;
  for (;;) {
    const seen = Atomics.load(a, BARRIER_ARRIVED);
    if (seen >= target) return;
    if (Date.now() > deadline)
      throw new Error(`duet partner did not arrive for block ${b} within ${BARRIER_TIMEOUT_MS} ms`);
    Atomics.wait(a, BARRIER_ARRIVED, seen, 100);
  }
}

async function handle(m: DuetRequest): Promise<DuetReply> {
  if (m.kind === "init") {
    const mod = (await import(m.modulePath)) as Record<string, unknown>;
    const exported = mod[m.exportName];
    const w = (
      m.params !== undefined && typeof exported === "function"
        ? await (exported as DuetWorkloadFactory)(m.params)
        : exported
    ) as DuetWorkload | undefined;
    if (!w || typeof w.trial !== "function" || typeof w.warmupChunk !== "function")
      throw new Error(`${m.modulePath} exports no workload "${m.exportName}" (warmupChunk, trial)`);
    workload = w;
    barrier = new Int32Array(m.barrier);
    return { kind: "ready" };
  }
  if (!workload) throw new Error("duet worker got a request before init");
  if (m.kind === "warmup") {
    const r = await warmUp(() => workload!.warmupChunk(), m);
    return { kind: "warmed", ...r };
  }
  workload.beforeTrial?.(m.block);
  const arrivedNs = monoNowNs();
  meetPartner(m.block);
  const startNs = monoNowNs();
  const value = workload.trial(m.block);
  return { kind: "trial", block: m.block, value, arrivedNs, startNs, endNs: monoNowNs() };
}

self.onmessage = async (e: MessageEvent<DuetRequest>) => {
  try {
    reply(await handle(e.data));
  } catch (err) {
    reply({ kind: "error", message: (err as Error).message });
  }
};
