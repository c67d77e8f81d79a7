/**
 * `wakeup`: what each wait strategy costs in latency and in CPU.
 *
 * Two Workers play ping-pong through two queues (one record each way): ping
 * stamps the time, pushes, waits for the echo and records the round trip in an
 * HDR histogram; pong waits, echoes. With `gapUs` > 0 ping idles between round
 * trips (Atomics.wait), long enough for a spin-then-park waiter to park, so the
 * round trip includes a wake-up from sleep. `loadThreads` busy-loop Workers
 * compete for the 2 cores meanwhile.
 *
 * CPU: each of ping and pong reads its own thread's CPU time (thread-cpu.ts,
 * 10 ms resolution) at the start and the end, so the load Workers are not
 * counted. cpuUtilisationCores = (ping + pong CPU) / wall time: 2 means both
 * threads burnt a whole core each (spinning), near 0 means they slept.
 * Runs are bounded by `durationMs` or `maxRoundTrips`, whichever comes first.
 */
import { z } from "zod";
import "../../impl/index.ts";
import { handleTransferables, WAIT_STRATEGIES } from "../../impl/core/contracts.ts";
import { createQueue, listImplementations } from "../../impl/core/registry.ts";
import { defineExperiment } from "../runner/types.ts";
import { C_GO, C_STOP, CONTROL_BYTES, type WakeupInit, type WakeupReport } from "./protocol.ts";
import { wakeupSection } from "./section.ts";

/** Slots per direction: one record is ever in flight, a small ring is plenty. */
export const WAKEUP_CAPACITY_SLOTS = 64;
/** Time allowed beyond durationMs (startup, a starved thread) before the run is stopped as failed. */
export const WAKEUP_GRACE_MS = 20_000;
const WORKER_URL = new URL("./worker.ts", import.meta.url);

const params = {
  queue: z.string().min(1),
  waitStrategy: z.enum(WAIT_STRATEGIES),
  /** Busy-loop Workers competing for the cores. */
  loadThreads: z.number().int().min(0).max(16),
  /** Idle time between round trips, in microseconds. */
  gapUs: z.number().int().min(0).max(1_000_000),
  durationMs: z.number().int().min(10).max(600_000),
  maxRoundTrips: z.number().int().min(1).max(1e9),
};

const measured = {
  roundTrips: z.number().int().min(1),
  elapsedNs: z.number().positive(),
  roundTripsPerS: z.number().positive(),
  latencyNsP50: z.number().positive(),
  latencyNsP99: z.number().positive(),
  latencyNsP999: z.number().positive(),
  latencyNsMax: z.number().positive(),
  /** CPU seconds of the ping and pong threads together; empty off Linux. */
  cpuS: z.number().min(0).nullable(),
  cpuUsPerRoundTrip: z.number().min(0).nullable(),
  cpuUtilisationCores: z.number().min(0).nullable(),
};

interface Outcome {
  ping?: Extract<WakeupReport, { type: "ping-done" }>;
  pong?: Extract<WakeupReport, { type: "pong-done" }>;
  error?: string;
}

function runPingPong(
  p: z.output<z.ZodObject<typeof params>>,
  signal: AbortSignal,
): Promise<Outcome> {
  const qopts = {
    capacitySlots: WAKEUP_CAPACITY_SLOTS,
    recordBytes: 64 as const,
    waitStrategy: p.waitStrategy,
  };
  const there = createQueue(p.queue, qopts);
  const back = createQueue(p.queue, qopts);
  const control = new SharedArrayBuffer(CONTROL_BYTES);
  const cells = new Int32Array(control);
  const workers: Worker[] = [];
  const outcome: Outcome = {};
  return new Promise<Outcome>((resolve) => {
    let ready = 0;
    const total = p.loadThreads + 2;
    const finish = (error?: string) => {
      if (error && !outcome.error) outcome.error = error;
      Atomics.store(cells, C_STOP, 1); // ends the load Workers (and a stuck ping/pong)
      Atomics.notify(cells, C_GO);
      clearTimeout(timer);
      signal.removeEventListener("abort", onAbort);
      for (const w of workers) w.terminate();
      resolve(outcome);
    };
    const onAbort = () => finish("aborted");
    signal.addEventListener("abort", onAbort, { once: true });
    const timer = setTimeout(
      () => finish(`timeout after ${p.durationMs + WAKEUP_GRACE_MS} ms`),
      p.durationMs + WAKEUP_GRACE_MS,
    );
    const onReport = (r: WakeupReport) => {
      if (r.type === "ready") {
        if (++ready === total) {
          Atomics.store(cells, C_GO, 1); // start barrier: every Worker is up
          Atomics.notify(cells, C_GO);
        }
      } else if (r.type === "error") finish(r.message);
      else {
        if (r.type === "ping-done") outcome.ping = r;
        else outcome.pong = r;
        if (outcome.ping && outcome.pong) finish();
      }
    };
    const spawn = (init: WakeupInit) => {
      const w = new Worker(WORKER_URL);
      workers.push(w);
      w.onmessage = (e: MessageEvent<WakeupReport>) => onReport(e.data);
      w.onerror = (e: ErrorEvent) => finish(`${init.role} worker crashed: ${e.message}`);
      const transfer =
        init.role === "load"
          ? []
          : [...handleTransferables(init.out), ...handleTransferables(init.in)];
      w.postMessage(init, transfer);
    };
    for (let i = 0; i < p.loadThreads; i++) spawn({ role: "load", control });
    spawn({ role: "pong", control, in: there.consumerHandle(), out: back.producerHandle(0) });
    spawn({
      role: "ping",
      control,
      out: there.producerHandle(0),
      in: back.consumerHandle(),
      gapUs: p.gapUs,
      durationMs: p.durationMs,
      maxRoundTrips: p.maxRoundTrips,
    });
  });
}

export default defineExperiment({
  name: "wakeup",
  description:
    "ping-pong round trip between two Workers per wait strategy (spin, spin-then-park, park), idle and under busy-loop load: latency and CPU burnt",
  module: import.meta.url,
  section: wakeupSection,
  smoke: {
    // A short ping-pong per wait strategy.
    points: WAIT_STRATEGIES.map((waitStrategy) => ({
      queue: "spsc",
      waitStrategy,
      loadThreads: 0,
      gapUs: 0,
      durationMs: 100,
      maxRoundTrips: 200,
    })),
    check: (rows) =>
      rows.flatMap((r) =>
        r.roundTrips > 0 && r.roundTrips <= 200
          ? []
          : [`${r.waitStrategy}: ${r.roundTrips} round trips, expected 1..200`],
      ),
  },
  params,
  measured,
  grids: {
    quick: {
      queue: ["spsc"],
      waitStrategy: [...WAIT_STRATEGIES],
      loadThreads: [0, 2],
      gapUs: [0, 1000],
      durationMs: [1000],
      maxRoundTrips: [200_000],
    },
    full: {
      queue: ["spsc", "mutex"],
      waitStrategy: [...WAIT_STRATEGIES],
      loadThreads: [0, 2],
      gapUs: [0, 1000],
      durationMs: [1000],
      maxRoundTrips: [1_000_000],
    },
  },
  include: (p) =>
    listImplementations("queue").some((r) => r.name === p.queue)
      ? true
      : `queue "${p.queue}" is not registered`,
  isolation: "inline", // ping, pong and load already run in fresh Workers
  headline: { metrics: [{ column: "latencyNsP50", higherIsBetter: false }] },
  claims: [],
  async run(p, ctx) {
    const o = await runPingPong(p, ctx.signal);
    if (o.error) throw new Error(o.error);
    const ping = o.ping!;
    if (!ping.latencyNs || ping.roundTrips === 0) throw new Error("no round trip completed");
    const cpuS = ping.cpuS === null || o.pong?.cpuS == null ? null : ping.cpuS + o.pong.cpuS;
    return {
      roundTrips: ping.roundTrips,
      elapsedNs: ping.elapsedNs,
      roundTripsPerS: ping.roundTrips / (ping.elapsedNs / 1e9),
      latencyNsP50: ping.latencyNs.p50,
      latencyNsP99: ping.latencyNs.p99,
      latencyNsP999: ping.latencyNs.p999,
      latencyNsMax: ping.latencyNs.max,
      cpuS,
      cpuUsPerRoundTrip: cpuS === null ? null : (cpuS * 1e6) / ping.roundTrips,
      cpuUtilisationCores: cpuS === null ? null : cpuS / (ping.elapsedNs / 1e9),
    };
  },
});
