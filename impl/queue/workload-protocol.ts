/**
 * Messages and shared cells between the workload driver (workload.ts) and its
 * Workers (workload-worker.ts). Kept apart so the driver never imports the
 * Worker module itself.
 *
 * Control buffer byte map (Int32 cells): [0] GO, set once by the driver when
 * every Worker is ready (the start barrier); [1] STOP, set by the driver on
 * timeout or error (Workers re-check it at least every WORKER_SLICE_MS).
 */
import type { QueueEndHandle } from "../core/contracts.ts";
import type { QueueRegistration } from "../core/registry.ts";
import type { WorkloadOptions } from "./workload.ts";
import type { CheckSummary } from "./workload-check.ts";

export const C_GO = 0;
export const C_STOP = 1;
export const CONTROL_BYTES = 8;
/** Longest a Worker blocks in one queue call before it re-checks STOP. */
export const WORKER_SLICE_MS = 50;

export interface WorkerInit {
  role: "producer" | "consumer";
  handle: QueueEndHandle;
  opts: WorkloadOptions;
  producers: number;
  control: SharedArrayBuffer;
}

export type WorkerReport =
  | { type: "ready" }
  | { type: "producer-done"; producerIndex: number; sent: number; stopped: boolean }
  | {
      type: "consumer-done";
      endNs: number;
      /** When the consumer had received warmupEvents (0 without warm-up). */
      warmNs: number;
      warmEvents: number;
      stopped: boolean;
      summary: CheckSummary;
    }
  | { type: "error"; role: string; message: string };

/**
 * The unregistered queue-shaped conduit a run names by module URL
 * (WorkloadOptions.conduitModule): the module's `conduit` export. Loaded in
 * the calling thread and in each Worker, never added to the registry.
 */
export async function loadConduit(url: string): Promise<QueueRegistration> {
  const m = (await import(url)) as { conduit?: Partial<QueueRegistration> };
  const c = m.conduit;
  if (c?.kind !== "queue" || typeof c.create !== "function")
    throw new Error(`conduitModule ${url} exports no queue-shaped \`conduit\``);
  return c as QueueRegistration;
}
