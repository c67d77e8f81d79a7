/**
 * Starts the pipeline in-process: creates the queues, spawns the Workers
 * (ingest x N -> dispatcher -> process manager x M, acks back over
 * MessageChannels), and stops it gracefully. `bun run pipeline` and the tests
 * both use startPipeline().
 *
 * Topology: every ingest Worker listens on the same port with SO_REUSEPORT
 * (Linux spreads connections over them); each has its own producer end of the
 * dispatcher queue (`--queue`, must be multi-producer for N > 1); the
 * dispatcher routes by lane into 3 lane queues per process manager
 * (`--lane-queue`, one producer each).
 */
import type { QueueEndHandle } from "../core/contracts.ts";
import { handleTransferables } from "../core/contracts.ts";
import { LANE_COUNT } from "../core/record.ts";
import { createQueue, lookup, queueConfig } from "../core/registry.ts";
import { CommitCounters, CommitHost } from "./commit-host.ts";
import { type CommitSetup, openCommitBackend } from "./commit-setup.ts";
import { commitStageSpec } from "./commit-stage.ts";
import { type PipelineConfig, type PipelineOptions, PipelineOptionsSchema } from "./config.ts";
import { controlBytes, setStatsFromNs } from "./control-layout.ts";
import { laneCounterBytes } from "./lane-counters.ts";
import type { WorkerInit, WorkerReport, WorkerStats } from "./messages.ts";
import { startPipelineHttp } from "./pipeline-http.ts";
import { refuseIfPortInUse } from "./port-guard.ts";
import { StageProfiler, type StageSummaries, summarize } from "./profiler.ts";
import { decodeStalls, type StallRecord } from "./stall-log.ts";

export interface PipelineStats {
  /** Counters summed per role: ingest.*, dispatcher.*, process.* */
  counters: Record<string, number>;
  stages: StageSummaries;
  /** Each Worker's own counters (e.g. how SO_REUSEPORT spread connections over ingest Workers). */
  workers: { role: WorkerStats["role"]; index: number; counters: Record<string, number> }[];
  /** The remote commit stage's counters (TRANSACTIONAL events); zeros for `immediate`. */
  commit: CommitCounters;
  /** Every Worker's stall episodes (stall-log.ts), in time order. */
  stalls: StallRecord[];
  /** Episodes left out because a Worker's log was full. */
  stallsDropped: number;
  elapsedMs: number;
}

export interface PipelineServer {
  readonly host: string;
  readonly port: number;
  readonly config: PipelineConfig;
  /** The remote commit stage, if any (live counters for /metrics and tests). */
  readonly commit: CommitHost | null;
  /** The embedded Raft cluster's data dir (--commit raft without --raft-peers). */
  readonly raftDataDir: string | null;
  /** The /health + /metrics port (--http-port), or null. */
  readonly httpPort: number | null;
  /**
   * The per-stage histograms count only what happens from `fromNs`
   * (CLOCK_MONOTONIC, ms resolution) on: a load run's warm-up stays out of
   * them as it stays out of the load generator's e2e figures.
   */
  statsFrom(fromNs: number): void;
  /** Stops accepting, drains, acks what was processed; resolves with the final stats. */
  stop(): Promise<PipelineStats>;
}

/** Named maximum: how long a Worker may take to report (listening or stopped), ms. */
export const WORKER_REPORT_TIMEOUT_MS = 30_000;

/** Checks names and wiring before any Worker starts, so errors name the option. */
export function checkWiring(cfg: PipelineConfig): void {
  lookup(cfg.alloc, "allocator");
  const spec = commitStageSpec(cfg.commitStage);
  if (cfg.commitStage === "etcd" && !cfg.etcdEndpoints)
    throw new Error("--etcd-endpoints is required with --commit etcd");
  if (spec.remote && cfg.topology === "compact")
    throw new Error(
      `--commit ${cfg.commitStage} needs --topology staged (its process managers hand batches to the main thread)`,
    );
  if (cfg.topology === "compact") return; // no queues to wire
  queueConfig(cfg.queue, {
    capacitySlots: cfg.capacity,
    recordBytes: cfg.recordBytes,
    producers: cfg.ingestWorkers,
    waitStrategy: cfg.wait,
    unsafe: cfg.unsafe,
  });
  queueConfig(cfg.laneQueue ?? cfg.queue, {
    capacitySlots: cfg.capacity,
    recordBytes: cfg.recordBytes,
    producers: 1,
    waitStrategy: cfg.wait,
  });
}

export async function startPipeline(options: PipelineOptions): Promise<PipelineServer> {
  const cfg = PipelineOptionsSchema.parse(options);
  await import("./register.ts");
  checkWiring(cfg);
  const startedMs = performance.now();
  const control = new SharedArrayBuffer(controlBytes(cfg.consumers));
  // One line per thread that may process events: process managers, then (compact) ingest Workers.
  const laneCounters = new SharedArrayBuffer(laneCounterBytes(cfg.consumers + cfg.ingestWorkers));
  const queueOpts = (producers: number) => ({
    capacitySlots: cfg.capacity,
    recordBytes: cfg.recordBytes,
    producers,
    waitStrategy: cfg.wait,
    unsafe: cfg.unsafe && producers > 1,
  });
  const staged = cfg.topology === "staged";
  // The compact topology has no queues, no process managers and no ack channels.
  const dispatchQ = staged ? createQueue(cfg.queue, queueOpts(cfg.ingestWorkers)) : null;
  const laneQs = Array.from({ length: staged ? cfg.consumers : 0 }, () =>
    Array.from({ length: LANE_COUNT }, () => createQueue(cfg.laneQueue ?? cfg.queue, queueOpts(1))),
  );
  // A remote commit stage: its backend (maybe an embedded cluster) and one channel per process manager.
  const remote = commitStageSpec(cfg.commitStage).remote;
  const setup: CommitSetup | null = remote ? await openCommitBackend(cfg) : null;
  const commitChannels = remote ? laneQs.map(() => new MessageChannel()) : [];
  const commitHost = setup
    ? new CommitHost(
        cfg,
        setup.backend,
        control,
        commitChannels.map((ch) => ch.port1),
      )
    : null;
  // acks[c][i]: process manager c -> ingest Worker i
  const acks = Array.from({ length: staged ? cfg.consumers : 0 }, () =>
    Array.from({ length: cfg.ingestWorkers }, () => new MessageChannel()),
  );

  const workers: Worker[] = [];
  const reports = new ReportHub();
  /** Creates a Worker (it starts loading modules at once); `start` hands it its role. */
  const create = (role: string) => {
    const w = new Worker(new URL("./worker-main.ts", import.meta.url).href);
    const id = workers.length;
    w.onmessage = (e: MessageEvent<WorkerReport>) => reports.deliver(id, e.data);
    w.onerror = (e) => reports.deliver(id, { type: "failed", role, index: id, message: e.message });
    workers.push(w);
    return id;
  };
  const start = (id: number, init: WorkerInit, handles: QueueEndHandle[], ports: MessagePort[]) =>
    workers[id]!.postMessage(init, [...handles.flatMap(handleTransferables), ...ports]);
  const spawn = (init: WorkerInit, handles: QueueEndHandle[], ports: MessagePort[]) => {
    const id = create(init.role);
    start(id, init, handles, ports);
    return id;
  };
  // Ingest Workers load in parallel with the rest; each binds once the port is known.
  const ingestIds = Array.from({ length: cfg.ingestWorkers }, () => create("ingest"));

  const processIds = laneQs.map((qs, c) => {
    const lanes = qs.map((q) => q.consumerHandle());
    const ackPorts = acks[c]!.map((ch) => ch.port1);
    const commitPort = commitChannels[c]?.port2;
    return spawn(
      {
        role: "process",
        index: c,
        config: cfg,
        lanes,
        ackPorts,
        control,
        laneCounters,
        commitPort,
      },
      lanes,
      commitPort ? [...ackPorts, commitPort] : ackPorts,
    );
  });
  const laneProducers = laneQs.map((qs) => qs.map((q) => q.producerHandle(0)));
  const dispatcherIds: number[] = [];
  if (dispatchQ) {
    const dispatcherConsumer = dispatchQ.consumerHandle();
    const init: WorkerInit = {
      role: "dispatcher",
      config: cfg,
      consumer: dispatcherConsumer,
      lanes: laneProducers,
      control,
    };
    dispatcherIds.push(spawn(init, [dispatcherConsumer, ...laneProducers.flat()], []));
  }
  let port = cfg.port;
  let http: ReturnType<typeof startPipelineHttp> | null = null;
  try {
    refuseIfPortInUse(cfg.host, port); // SO_REUSEPORT would let the Workers share it silently
    if (cfg.httpPort !== undefined)
      http = startPipelineHttp(cfg.host, cfg.httpPort, {
        control,
        commit: commitHost,
        laneCounters,
      });
    for (let i = 0; i < cfg.ingestWorkers; i++) {
      const producer = dispatchQ ? dispatchQ.producerHandle(i) : null;
      const ackPorts = acks.map((row) => row[i]!.port2);
      const init: WorkerInit = {
        role: "ingest",
        index: i,
        config: cfg,
        bindPort: port,
        producer,
        ackPorts,
        control,
        laneCounters,
      };
      start(ingestIds[i]!, init, producer ? [producer] : [], ackPorts);
      // Worker 0 picks the port (maybe ephemeral); the others bind the same one after it.
      if (i === 0 || i === cfg.ingestWorkers - 1) {
        const r = await reports.next(ingestIds[i]!, "listening");
        if (r.type === "listening") port = r.port;
      }
    }
    for (const id of ingestIds.slice(1, -1)) await reports.next(id, "listening");
  } catch (err) {
    for (const w of workers) w.terminate();
    http?.stop(true);
    await commitHost?.close();
    await setup?.stop();
    throw err;
  }

  let stopped: Promise<PipelineStats> | null = null;
  const stop = async (): Promise<PipelineStats> => {
    for (const id of ingestIds) workers[id]!.postMessage("stop");
    const all = [...ingestIds, ...dispatcherIds, ...processIds];
    try {
      const stats = await Promise.all(all.map((id) => reports.next(id, "stopped")));
      const merged = mergeStats(
        stats.map((r) => (r as { stats: WorkerStats }).stats),
        performance.now() - startedMs,
      );
      if (commitHost) {
        merged.commit = commitHost.counters;
        merged.stages["commit.since_ingest"] = summarize(commitHost.sinceIngest);
      }
      return merged;
    } finally {
      for (const w of workers) w.terminate();
      http?.stop(true);
      await commitHost?.close();
      await setup?.stop();
    }
  };
  return {
    host: cfg.host,
    port,
    config: cfg,
    commit: commitHost,
    raftDataDir: setup?.embeddedDataDir ?? null,
    httpPort: http?.port ?? null,
    statsFrom: (fromNs: number) => setStatsFromNs(new Int32Array(control), fromNs),
    stop: () => (stopped ??= stop()),
  };
}

function mergeStats(all: WorkerStats[], elapsedMs: number): PipelineStats {
  const counters: Record<string, number> = {};
  const profiler = new StageProfiler();
  for (const s of all) {
    for (const [k, v] of Object.entries(s.counters)) {
      const key = `${s.role}.${k}`;
      counters[key] = (counters[key] ?? 0) + v;
    }
    profiler.merge(s.histograms);
  }
  const stages: StageSummaries = {};
  for (const [k, h] of profiler.histograms) stages[k] = summarize(h);
  const workers = all.map((s) => ({ role: s.role, index: s.index, counters: s.counters }));
  const stalls: StallRecord[] = [];
  let stallsDropped = 0;
  for (const s of all) {
    const thread = s.role === "dispatcher" ? s.role : `${s.role} ${s.index}`;
    const d = decodeStalls(s.stalls, thread);
    stalls.push(...d.records);
    stallsDropped += d.dropped;
  }
  stalls.sort((a, b) => a.atNs - b.atNs);
  return {
    counters,
    stages,
    workers,
    commit: new CommitCounters(),
    stalls,
    stallsDropped,
    elapsedMs,
  };
}

/** Collects Worker reports; next(id, type) waits for that Worker's report, failing on "failed" or timeout. */
class ReportHub {
  private readonly queued = new Map<number, WorkerReport[]>();
  private readonly waiting = new Map<number, (r: WorkerReport) => void>();
  private failure: Error | null = null;

  deliver(id: number, r: WorkerReport): void {
    if (r.type === "failed") {
      this.failure = new Error(`pipeline ${r.role} Worker ${r.index} failed: ${r.message}`);
      // Said at once: a failed Worker stalls the pipeline, and stop() would only report it later.
      console.error(this.failure.message);
    }
    const w = this.waiting.get(id);
    if (w) {
      this.waiting.delete(id);
      w(r);
    } else {
      const q = this.queued.get(id) ?? [];
      q.push(r);
      this.queued.set(id, q);
    }
    if (this.failure) {
      for (const [k, fn] of [...this.waiting]) {
        this.waiting.delete(k);
        fn(r);
      }
    }
  }

  next(id: number, type: WorkerReport["type"]): Promise<WorkerReport> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () =>
          reject(
            new Error(
              `pipeline Worker ${id} did not report "${type}" in ${WORKER_REPORT_TIMEOUT_MS} ms`,
            ),
          ),
        WORKER_REPORT_TIMEOUT_MS,
      );
      const settle = (r: WorkerReport) => {
        clearTimeout(timer);
        if (this.failure) reject(this.failure);
        else if (r.type !== type)
          reject(new Error(`pipeline Worker ${id}: expected "${type}", got "${r.type}"`));
        else resolve(r);
      };
      if (this.failure) return settle({ type: "failed", role: "?", index: id, message: "" });
      const q = this.queued.get(id);
      if (q && q.length > 0) settle(q.shift()!);
      else this.waiting.set(id, settle);
    });
  }
}
