/**
 * Messages and shared cells between the wakeup experiment (experiment.ts) and its
 * Workers (worker.ts).
 *
 * Control buffer byte map (Int32 cells): [0] GO, set once by the driver when
 * every Worker is ready; [1] STOP, set by the driver to end load Workers (and,
 * on timeout, everything). Workers re-check STOP at least every SLICE_MS.
 */
import type { QueueEndHandle } from "../../impl/core/contracts.ts";

export const C_GO = 0;
export const C_STOP = 1;
export const CONTROL_BYTES = 8;
/** Longest a Worker blocks in one queue call before it re-checks STOP. */
export const SLICE_MS = 100;

export type WakeupInit =
  | { role: "load"; control: SharedArrayBuffer }
  | {
      role: "ping";
      control: SharedArrayBuffer;
      out: QueueEndHandle;
      in: QueueEndHandle;
      gapUs: number;
      durationMs: number;
      maxRoundTrips: number;
    }
  | { role: "pong"; control: SharedArrayBuffer; out: QueueEndHandle; in: QueueEndHandle };

export type WakeupReport =
  | { type: "ready" }
  | {
      type: "ping-done";
      roundTrips: number;
      elapsedNs: number;
      latencyNs: { p50: number; p99: number; p999: number; max: number } | null;
      cpuS: number | null;
    }
  | { type: "pong-done"; cpuS: number | null }
  | { type: "error"; message: string };
