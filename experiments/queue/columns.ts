/**
 * Measured columns shared by the experiments that drive impl/queue/workload.ts
 * (queue, spsc-misuse), and the mapping from a WorkloadResult to them.
 */
import { z } from "zod";
import type { WorkloadResult } from "../../impl/queue/workload.ts";

/** Longest error text kept in a CSV cell (the full list is in the run's stderr). */
export const MAX_ERROR_CHARS = 300;

export const workloadColumns = {
  eventsSent: z.number().int().min(0),
  eventsReceived: z.number().int().min(0),
  lost: z.number().int().min(0),
  duplicated: z.number().int().min(0),
  reordered: z.number().int().min(0),
  corrupted: z.number().int().min(0),
  /** The timed window: after the first warmupEvents (queue experiment) or from the start barrier. */
  elapsedNs: z.number().min(0),
  /** Events received inside the timed window; throughput = timedEvents / elapsedNs. */
  timedEvents: z.number().int().min(0),
  throughputEventsPerS: z.number().min(0),
  /** Push-to-pop latency from the record's ingest timestamp; empty when not recorded. */
  latencyNsP50: z.number().min(0).nullable(),
  latencyNsP99: z.number().min(0).nullable(),
  latencyNsP999: z.number().min(0).nullable(),
  latencyNsMax: z.number().min(0).nullable(),
  /** process.cpuUsage (every thread) from the start barrier to the end. */
  cpuUserS: z.number().min(0),
  cpuSystemS: z.number().min(0),
  /** (user + system) CPU seconds per million events received; empty when none arrived. */
  cpuSPerMillionEvents: z.number().min(0).nullable(),
  timedOut: z.boolean(),
  errorCount: z.number().int().min(0),
  /** The first error's first line, truncated to MAX_ERROR_CHARS; empty when none. */
  firstError: z.string(),
};

export type WorkloadColumns = z.input<z.ZodObject<typeof workloadColumns>>;

export function workloadRow(r: WorkloadResult): WorkloadColumns {
  const cpuS = (r.cpuUserUs + r.cpuSystemUs) / 1e6;
  return {
    eventsSent: r.eventsSent,
    eventsReceived: r.eventsReceived,
    lost: r.lost,
    duplicated: r.duplicated,
    reordered: r.reordered,
    corrupted: r.corrupted,
    elapsedNs: r.elapsedNs,
    timedEvents: r.timedEvents,
    throughputEventsPerS: r.throughputEventsPerS,
    latencyNsP50: r.latencyNs?.p50 ?? null,
    latencyNsP99: r.latencyNs?.p99 ?? null,
    latencyNsP999: r.latencyNs?.p999 ?? null,
    latencyNsMax: r.latencyNs?.max ?? null,
    cpuUserS: r.cpuUserUs / 1e6,
    cpuSystemS: r.cpuSystemUs / 1e6,
    cpuSPerMillionEvents: r.eventsReceived > 0 ? cpuS / (r.eventsReceived / 1e6) : null,
    timedOut: r.timedOut,
    errorCount: r.errors.length,
    firstError: (r.errors[0] ?? "").split("\n")[0]!.slice(0, MAX_ERROR_CHARS),
  };
}
