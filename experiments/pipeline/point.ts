/**
 * One point of the `pipeline` experiment, independent of the experiment
 * runner (experiments/pipeline/experiment.ts registers it; scripts can call it too).
 *
 * target "eventlab": the pipeline (impl/pipeline/server.ts) in this process,
 * on a free port, with the point's allocator, queue, ingest Workers and
 * consumers, driven by the load generator (impl/pipeline/load.ts) from the
 * main thread. target "resp": a local redis-server (started once per process
 * on a free port, or EVENTLAB_REDIS=host:port) driven by the Redis baseline
 * (impl/pipeline/load-resp.ts): XADD of the same records, same pipelining.
 *
 * Offered load: `offeredFraction` 0 is a closed-loop run (each connection keeps
 * CLOSED_LOOP_MAX_UNACKED events in flight): the saturation throughput. Any
 * other fraction is an open-loop run at that fraction of the saturation
 * throughput of the same configuration: the achieved rate of its latest
 * closed-loop point in this process (grids list fraction 0 first), or, when
 * none ran, of a closed-loop probe on its own server (so the probe's events do
 * not enter the measured run's stage histograms).
 *
 * Every run sends WARMUP_S seconds of load first (conserved, kept out of the
 * e2e latency histogram and, through server.statsFrom, out of the server's
 * per-stage histograms too: a fresh server's first fraction of a second
 * (JIT tier-up on a shared 2-core host) stalled for up to ~0.3 s, and those
 * samples used to dominate the stage p99s).
 *
 * CPU: server CPU is the process's CPU (every thread) minus the main thread's
 * (the load generator) for eventlab, and the redis-server process's CPU for
 * resp; both from /proc (Linux; null elsewhere), 10 ms resolution.
 */
import { readdirSync, readFileSync } from "node:fs";
import { z } from "zod";
import { monoNowNs } from "../../impl/core/clock.ts";
import { RecordBytesSchema } from "../../impl/core/contracts.ts";
import { PipelineOptionsSchema } from "../../impl/pipeline/config.ts";
import { type LoadResult, runLoad } from "../../impl/pipeline/load.ts";
import { runRespLoad } from "../../impl/pipeline/load-resp.ts";
import type { Stage, StageSummaries } from "../../impl/pipeline/profiler.ts";
import {
  type LocalRedis,
  redisServerBinary,
  startRedisServer,
} from "../../impl/pipeline/resp-server.ts";
import { checkWiring, startPipeline } from "../../impl/pipeline/server.ts";

/** Events each load connection keeps in flight in closed-loop runs (saturation). */
export const CLOSED_LOOP_MAX_UNACKED = 4096;
/** Seconds of the closed-loop probe that finds a configuration's saturation throughput. */
export const PROBE_DURATION_S = 1;
/** Seconds of load before each measured window (JIT warm-up), kept out of the e2e latency figures. */
export const WARMUP_S = 0.3;
/** Named maximum: how long outstanding acks may take after the sending window, ms. */
export const DRAIN_TIMEOUT_MS = 15_000;
/** Queue and ring capacity of every pipeline point, in records. */
export const CAPACITY_SLOTS = 65_536;
/** The `queue` value of Redis baseline rows. */
export const REDIS_QUEUE = "redis-xadd";

/**
 * The smoke check of every pipeline-driving experiment: each row sent
 * something, and every event sent was acked or rejected with no conservation
 * error.
 */
export function conservationProblems(
  rows: readonly { sent: number; acked: number; rejected: number; conservationErrors: number }[],
): string[] {
  return rows.flatMap((r) =>
    r.sent > 0 && r.acked + r.rejected === r.sent && r.conservationErrors === 0
      ? []
      : [
          `sent ${r.sent}, acked ${r.acked}, rejected ${r.rejected}, conservationErrors ${r.conservationErrors}`,
        ],
  );
}

export const pipelineParams = {
  target: z.enum(["eventlab", "resp"]),
  /** Allocator name ("-" for resp). */
  alloc: z.string().min(1),
  /** Ingest -> dispatcher queue name (REDIS_QUEUE for resp). */
  queue: z.string().min(1),
  /** 0 for resp (not applicable). */
  ingestWorkers: z.number().int().min(0).max(8),
  consumers: z.number().int().min(0).max(8),
  /** R:T:B share of REALTIME, TRANSACTIONAL, BATCH events. */
  laneMix: z.string().regex(/^\d+:\d+:\d+$/),
  recordBytes: RecordBytesSchema,
  connections: z.number().int().min(1).max(64),
  batch: z.number().int().min(1).max(4096),
  durationS: z.number().min(0.1).max(600),
  /** 0 = closed loop (saturation); otherwise the open-loop rate as a fraction of saturation. */
  offeredFraction: z.number().min(0).max(2),
};
export type PipelinePoint = z.output<z.ZodObject<typeof pipelineParams>>;

const nsNullable = z.number().min(0).nullable();
/** One open-loop run's rates and end-to-end latency: columns shared with pipeline-goodput's steps. */
export const openLoopColumns = {
  offeredEventsPerS: z.number().min(0),
  achievedEventsPerS: z.number().min(0),
  latencyNsP50: z.number().min(0),
  latencyNsP99: z.number().min(0),
  latencyNsP999: z.number().min(0),
  latencyNsMax: z.number().min(0),
};
export const pipelineMeasured = {
  /** Closed-loop throughput of this configuration (the probe), events/s. */
  saturationEventsPerS: z.number().min(0),
  ...openLoopColumns,
  stageIngestParseToQueuedNsP99: nsNullable,
  stageDispatchSinceIngestNsP99: nsNullable,
  stageBusRealtimeSinceIngestNsP99: nsNullable,
  stageBusTransactionalSinceIngestNsP99: nsNullable,
  stageBusBatchSinceIngestNsP99: nsNullable,
  stageProcessLocalNsP99: nsNullable,
  stageAckDoneToWrittenNsP99: nsNullable,
  /** Server CPU seconds per million events resolved (eventlab Workers, or redis-server). */
  cpuSPerMillionEvents: z.number().min(0).nullable(),
  /** Open loop: p99 of how late the load generator itself sent batches against their intended time, ns (0 closed loop). */
  clientSendLagNsP99: z.number().min(0),
  /**
   * Run-queue wait (runnable, not running: /proc schedstat) per wall second,
   * summed over the server's threads (eventlab Workers incl. JIT threads, or
   * redis-server) / the load generator's thread: how much the host made them
   * queue for a core. Linux only, null elsewhere.
   */
  serverRunqueueWaitMsPerS: z.number().min(0).nullable(),
  clientRunqueueWaitMsPerS: z.number().min(0).nullable(),
  /** Load-generator (main thread) CPU seconds per million events resolved. */
  clientCpuSPerMillionEvents: z.number().min(0).nullable(),
  sent: z.number().int().min(0),
  acked: z.number().int().min(0),
  rejected: z.number().int().min(0),
  unresolved: z.number().int().min(0),
  /** Conservation and protocol failures the load generator found (0 = every event accounted for). */
  conservationErrors: z.number().int().min(0),
};
export type PipelineMeasured = z.output<z.ZodObject<typeof pipelineMeasured>>;

/** Stage histogram name -> column. */
const STAGE_COLUMNS: readonly (readonly [Stage, keyof PipelineMeasured])[] = [
  ["ingest.parse_to_queued", "stageIngestParseToQueuedNsP99"],
  ["dispatch.since_ingest", "stageDispatchSinceIngestNsP99"],
  ["bus.REALTIME.since_ingest", "stageBusRealtimeSinceIngestNsP99"],
  ["bus.TRANSACTIONAL.since_ingest", "stageBusTransactionalSinceIngestNsP99"],
  ["bus.BATCH.since_ingest", "stageBusBatchSinceIngestNsP99"],
  ["process.local", "stageProcessLocalNsP99"],
  ["ack.done_to_written", "stageAckDoneToWrittenNsP99"],
];

/** Why a point cannot run, or true. */
export function pipelinePointSupported(p: PipelinePoint): true | string {
  if (p.target === "resp") {
    if (p.alloc !== "-" || p.queue !== REDIS_QUEUE || p.ingestWorkers !== 0 || p.consumers !== 0)
      return `resp rows use alloc "-", queue "${REDIS_QUEUE}", 0 ingest Workers and 0 consumers`;
    if (!process.env.EVENTLAB_REDIS && !redisServerBinary())
      return "skipped: no redis-server binary (apt-get install redis-server) and EVENTLAB_REDIS unset";
    return true;
  }
  if (p.ingestWorkers < 1 || p.consumers < 1)
    return "eventlab needs >= 1 ingest Worker and consumer";
  try {
    checkWiring(PipelineOptionsSchema.parse(serverOptions(p)));
  } catch (err) {
    return (err as Error).message.split("\n")[0]!;
  }
  return true;
}

function serverOptions(p: PipelinePoint) {
  return {
    port: 0,
    alloc: p.alloc,
    queue: p.queue,
    ingestWorkers: p.ingestWorkers,
    consumers: p.consumers,
    recordBytes: p.recordBytes,
    capacity: CAPACITY_SLOTS,
    quiet: true,
  };
}

/** Saturation per configuration (everything but offeredFraction and durationS), events/s. */
const saturationCache = new Map<string, number>();

function configKey(p: PipelinePoint): string {
  const { offeredFraction: _f, durationS: _d, ...rest } = p;
  return JSON.stringify(rest);
}

export async function runPipelinePoint(p: PipelinePoint, seed: number): Promise<PipelineMeasured> {
  const key = configKey(p);
  let m: Measurement;
  let saturation: number;
  if (p.offeredFraction === 0) {
    // The closed-loop point is the saturation measurement; later points of this configuration use it.
    m = await measure(p, seed, { max: CLOSED_LOOP_MAX_UNACKED }, p.durationS);
    saturation = m.load.achievedPerS;
    saturationCache.set(key, saturation);
  } else {
    let cached = saturationCache.get(key);
    if (cached === undefined) {
      const probeSeed = (seed ^ 0x5a5a5a5a) >>> 0;
      const probe = await measure(p, probeSeed, { max: CLOSED_LOOP_MAX_UNACKED }, PROBE_DURATION_S);
      cached = probe.load.achievedPerS;
      saturationCache.set(key, cached);
    }
    saturation = cached;
    m = await measure(p, seed, { rate: p.offeredFraction * saturation }, p.durationS);
  }
  const l = m.load;
  const resolved = l.acked + l.rejected;
  const perMillion = (s: number | null) =>
    s === null || resolved === 0 ? null : (s / resolved) * 1e6;
  const row: PipelineMeasured = {
    saturationEventsPerS: saturation,
    offeredEventsPerS: l.offeredPerS,
    achievedEventsPerS: l.achievedPerS,
    latencyNsP50: l.latency.p50Ns,
    latencyNsP99: l.latency.p99Ns,
    latencyNsP999: l.latency.p999Ns,
    latencyNsMax: l.latency.maxNs,
    stageIngestParseToQueuedNsP99: null,
    stageDispatchSinceIngestNsP99: null,
    stageBusRealtimeSinceIngestNsP99: null,
    stageBusTransactionalSinceIngestNsP99: null,
    stageBusBatchSinceIngestNsP99: null,
    stageProcessLocalNsP99: null,
    stageAckDoneToWrittenNsP99: null,
    clientSendLagNsP99: l.sendLag.p99Ns,
    cpuSPerMillionEvents: perMillion(m.serverCpuS),
    clientCpuSPerMillionEvents: perMillion(m.clientCpuS),
    serverRunqueueWaitMsPerS: perWallS(m.serverWaitS, m.wallS),
    clientRunqueueWaitMsPerS: perWallS(m.clientWaitS, m.wallS),
    sent: l.sent,
    acked: l.acked,
    rejected: l.rejected,
    unresolved: l.unresolved,
    conservationErrors: l.errors.length,
  };
  for (const [stage, column] of STAGE_COLUMNS) {
    const s = m.stages?.[stage];
    if (s && s.count > 0) (row[column] as number | null) = s.p99Ns;
  }
  if (l.errors.length > 0)
    console.warn(`pipeline point: conservation errors: ${l.errors.slice(0, 3).join("; ")}`);
  return row;
}

interface Measurement {
  load: LoadResult;
  stages: StageSummaries | null;
  serverCpuS: number | null;
  clientCpuS: number | null;
  serverWaitS: number | null;
  clientWaitS: number | null;
  wallS: number;
}

function perWallS(waitS: number | null, wallS: number): number | null {
  return waitS === null || !(wallS > 0) ? null : (waitS / wallS) * 1e3;
}

async function measure(
  p: PipelinePoint,
  seed: number,
  mode: { max: number } | { rate: number },
  durationS: number,
): Promise<Measurement> {
  const loadOptions = {
    connections: p.connections,
    batch: p.batch,
    durationS,
    warmupS: WARMUP_S,
    laneMix: p.laneMix,
    recordBytes: p.recordBytes,
    seed,
    drainTimeoutMs: DRAIN_TIMEOUT_MS,
    quiet: true,
    ...mode,
  };
  if (p.target === "resp") {
    const redis = await localRedis();
    const server0 = redis.pid ? pidCpuS(redis.pid) : null;
    const client0 = threadCpuS();
    const serverWait0 = redis.pid ? tasksWaitS(redis.pid) : null;
    const clientWait0 = threadWaitS();
    const wall0 = performance.now();
    const load = await runRespLoad({ ...loadOptions, host: redis.host, port: redis.port });
    return {
      load,
      stages: null,
      serverCpuS: diff(redis.pid ? pidCpuS(redis.pid) : null, server0),
      clientCpuS: diff(threadCpuS(), client0),
      serverWaitS: diff(redis.pid ? tasksWaitS(redis.pid) : null, serverWait0),
      clientWaitS: diff(threadWaitS(), clientWait0),
      wallS: (performance.now() - wall0) / 1e3,
    };
  }
  const server = await startPipeline(serverOptions(p));
  // Slightly before the load's own measured window (it starts after connecting): conservative.
  server.statsFrom(monoNowNs() + WARMUP_S * 1e9);
  const process0 = processCpuS();
  const client0 = threadCpuS();
  const processWait0 = tasksWaitS("self");
  const clientWait0 = threadWaitS();
  const wall0 = performance.now();
  let load: LoadResult;
  try {
    load = await runLoad({ ...loadOptions, host: server.host, port: server.port });
  } catch (err) {
    await server.stop();
    throw err;
  }
  const processCpu = processCpuS() - process0;
  const clientCpuS = diff(threadCpuS(), client0);
  const clientWaitS = diff(threadWaitS(), clientWait0);
  const processWaitS = diff(tasksWaitS("self"), processWait0);
  const wallS = (performance.now() - wall0) / 1e3;
  const stats = await server.stop();
  return {
    load,
    stages: stats.stages,
    serverCpuS: clientCpuS === null ? null : Math.max(0, processCpu - clientCpuS),
    clientCpuS,
    serverWaitS:
      processWaitS === null || clientWaitS === null
        ? null
        : Math.max(0, processWaitS - clientWaitS),
    clientWaitS,
    wallS,
  };
}

function diff(after: number | null, before: number | null): number | null {
  return after === null || before === null ? null : after - before;
}

let redisPromise: Promise<{ host: string; port: number; pid: number | null }> | null = null;
let localRedisServer: LocalRedis | null = null;

/** Stops the redis-server resp points started, if any (tests; a normal exit kills it too). */
export async function stopPointRedis(): Promise<void> {
  const r = localRedisServer;
  localRedisServer = null;
  redisPromise = null;
  await r?.stop();
}

/** The Redis server for resp points: EVENTLAB_REDIS=host:port, or one started for this process. */
function localRedis(): Promise<{ host: string; port: number; pid: number | null }> {
  redisPromise ??= (async () => {
    const env = process.env.EVENTLAB_REDIS;
    if (env) {
      const m = /^(.+):(\d+)$/.exec(env);
      if (!m) throw new Error(`EVENTLAB_REDIS must be host:port, got "${env}"`);
      return { host: m[1]!, port: Number(m[2]), pid: null };
    }
    const r: LocalRedis | null = await startRedisServer();
    if (!r) throw new Error("skipped: no redis-server binary and EVENTLAB_REDIS unset");
    localRedisServer = r;
    return { host: r.host, port: r.port, pid: r.pid };
  })();
  return redisPromise;
}

/** Linux reports utime/stime in USER_HZ ticks, 100 per second on mainstream architectures. */
const USER_HZ = 100;

/** utime + stime seconds from a /proc stat file, or null where it cannot be read. */
function statCpuS(path: string): number | null {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch {
    return null;
  }
  // comm may contain spaces: split after the last ')'; then utime, stime are fields 14 and 15.
  const f = text.slice(text.lastIndexOf(")") + 2).split(" ");
  return (Number(f[11]) + Number(f[12])) / USER_HZ;
}

/** CPU seconds of the calling thread (Bun reads the file on the calling thread). */
function threadCpuS(): number | null {
  return statCpuS("/proc/thread-self/stat");
}

function pidCpuS(pid: number): number | null {
  return statCpuS(`/proc/${pid}/stat`);
}

/** Run-queue wait seconds (field 2 of a schedstat file, ns), or null where it cannot be read. */
function schedWaitS(path: string): number | null {
  try {
    return Number(readFileSync(path, "utf8").split(" ")[1]) / 1e9;
  } catch {
    return null;
  }
}

/** Run-queue wait of the calling thread, s. */
function threadWaitS(): number | null {
  return schedWaitS("/proc/thread-self/schedstat");
}

/** Run-queue wait summed over a process's live threads, s (threads that exited meanwhile drop out). */
function tasksWaitS(pid: number | "self"): number | null {
  let tids: string[];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return null;
  }
  let sum = 0;
  for (const tid of tids) sum += schedWaitS(`/proc/${pid}/task/${tid}/schedstat`) ?? 0;
  return sum;
}

/** CPU seconds of this whole process, every thread. */
function processCpuS(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}
