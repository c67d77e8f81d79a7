/**
 * One step of the goodput search: an open-loop run at `rate` against a fresh
 * eventlab server (in this process, its Workers pinned to the server CPUs) or
 * the run's Redis server (pinned likewise), from the load generator on this
 * thread (pinned to the load CPU), after a warm-up kept out of the figures.
 */
import { monoNowNs } from "../../impl/core/clock.ts";
import { runLoad } from "../../impl/pipeline/load.ts";
import { runRespLoad } from "../../impl/pipeline/load-resp.ts";
import { type LocalRedis, startRedisServer } from "../../impl/pipeline/resp-server.ts";
import { startPipeline } from "../../impl/pipeline/server.ts";
import { SLOW_E2E_NS } from "../../impl/pipeline/stall-log.ts";
import { allCpus, type Placement, pin, threadIds } from "./placement.ts";
import type { StepMeasurement } from "./search.ts";

/** Seconds of load before each step's measured window. */
export const STEP_WARMUP_S = 0.3;
/** Named maximum: how long a step's outstanding acks may take after sending, ms. */
const STEP_DRAIN_TIMEOUT_MS = 10_000;
const CONNECTIONS = 4;
const BATCH = 64;

interface Step {
  target: "eventlab" | "resp";
  queue: string;
  topology: "staged" | "compact" | "-";
}

/** One measured e2e sample of SLOW_E2E_NS or more: seconds into the measured window, and its latency. */
export interface SlowSample {
  atS: number;
  latencyNs: number;
}

export interface StepResult extends StepMeasurement {
  /** Every measured batch acked SLOW_E2E_NS or more after its intended time. */
  slow: SlowSample[];
}

export async function measureStep(
  p: Step,
  rate: number,
  stepS: number,
  seed: number,
  placement: Placement,
): Promise<StepResult> {
  const load = {
    connections: CONNECTIONS,
    batch: BATCH,
    rate,
    durationS: stepS,
    warmupS: STEP_WARMUP_S,
    seed,
    drainTimeoutMs: STEP_DRAIN_TIMEOUT_MS,
    quiet: true,
  };
  if (placement.loadCpus) pin(process.pid, placement.loadCpus);
  try {
    if (p.target === "resp") {
      const redis = await goodputRedis(placement);
      const windowNs = monoNowNs() + STEP_WARMUP_S * 1e9;
      return summary(await runRespLoad({ ...load, host: redis.host, port: redis.port }), windowNs);
    }
    const before = threadIds("Worker");
    const server = await startPipeline({
      port: 0,
      quiet: true,
      topology: p.topology === "compact" ? "compact" : "staged",
      ...(p.topology === "compact" ? {} : { queue: p.queue }),
    });
    if (placement.serverCpus)
      for (const tid of threadIds("Worker")) if (!before.has(tid)) pin(tid, placement.serverCpus);
    server.statsFrom(monoNowNs() + STEP_WARMUP_S * 1e9);
    try {
      const windowNs = monoNowNs() + STEP_WARMUP_S * 1e9;
      return summary(await runLoad({ ...load, host: server.host, port: server.port }), windowNs);
    } finally {
      await server.stop();
    }
  } finally {
    if (placement.loadCpus) pin(process.pid, allCpus());
  }
}

function summary(r: Awaited<ReturnType<typeof runLoad>>, windowNs: number): StepResult {
  const slow = (r.stalls ?? [])
    .filter((s) => s.kind === "e2e-slow" && s.durationNs >= SLOW_E2E_NS && s.atNs >= windowNs)
    .map((s) => ({ atS: (s.atNs - windowNs) / 1e9, latencyNs: s.durationNs }));
  return {
    slow,
    offeredPerS: r.offeredPerS,
    achievedPerS: r.achievedPerS,
    p50Ns: r.latency.p50Ns,
    p99Ns: r.latency.p99Ns,
    p999Ns: r.latency.p999Ns,
    maxNs: r.latency.maxNs,
    errors: r.errors.length,
  };
}

let redis: Promise<LocalRedis> | null = null;

/** The run's redis-server, started once and pinned to the server CPUs. */
function goodputRedis(placement: Placement): Promise<LocalRedis> {
  redis ??= (async () => {
    const r = await startRedisServer();
    if (!r) throw new Error("skipped: no redis-server binary");
    if (placement.serverCpus) pin(r.pid, placement.serverCpus);
    return r;
  })();
  return redis;
}

/** Stops the Redis server the steps started, if any (tests). */
export async function stopGoodputRedis(): Promise<void> {
  const r = redis;
  redis = null;
  await (await r)?.stop();
}
