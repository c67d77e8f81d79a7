/**
 * One point of `pipeline-commit`: the pipeline (impl/pipeline/server.ts) in
 * this process with one commit stage, driven by the load generator at a
 * TRANSACTIONAL share of the events.
 *
 * Commit stages: `immediate`; `raft-fsync` / `raft-nofsync`, the eventlab Raft
 * cluster (3 member processes, members with --fsync true / false), started
 * once per process and shared by the points; `etcd`, a local 3-member etcd
 * cluster (started once per process on free ports; skipped when etcd is
 * missing). etcd always fsyncs its WAL.
 *
 * Open loop (offeredEventsPerS > 0): two loads at once, REALTIME+BATCH
 * (80:20) on their own connections and TRANSACTIONAL on others, splitting the
 * offered rate by txPercent. Acks are cumulative per connection
 * (docs/protocol.md), so a connection mixing lanes would see its REALTIME acks
 * wait behind its TRANSACTIONAL commits; separate connections measure what
 * the server does to each lane. Closed loop (0): one load at the mix, each
 * connection keeping CLOSED_LOOP_MAX_UNACKED in flight: the stage's saturation.
 *
 * The commit stage's share of server time: of a TRANSACTIONAL event's time
 * from ingest to committed (profiler stage commit.since_ingest, p50), the part
 * after a process manager popped it (bus.TRANSACTIONAL.since_ingest, p50).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { z } from "zod";
import { monoNowNs } from "../../impl/core/clock.ts";
import { type LoadResult, runLoad } from "../../impl/pipeline/load.ts";
import type { StageSummaries } from "../../impl/pipeline/profiler.ts";
import { startPipeline } from "../../impl/pipeline/server.ts";
import { freePorts, LocalCluster } from "../../impl/raft/host/launcher.ts";
import { CAPACITY_SLOTS, DRAIN_TIMEOUT_MS, WARMUP_S } from "../pipeline/point.ts";

export const COMMITS = ["immediate", "raft-fsync", "raft-nofsync", "etcd"] as const;
export type Commit = (typeof COMMITS)[number];
/** Events each connection keeps in flight in closed-loop points. */
export const CLOSED_LOOP_MAX_UNACKED = 4096;
/** How long a local etcd may take to answer /health, ms. */
const ETCD_START_TIMEOUT_MS = 20_000;

export const commitParams = {
  commit: z.enum(COMMITS),
  /** Share of TRANSACTIONAL events, percent; the rest REALTIME:BATCH 80:20. */
  txPercent: z.number().int().min(0).max(100),
  /** Offered events/s over every connection; 0 = closed loop (saturation). */
  offeredEventsPerS: z.number().min(0).max(1e7),
  /** Connections per load (open loop: per lane group). */
  connections: z.number().int().min(1).max(64),
  batch: z.number().int().min(1).max(4096),
  durationS: z.number().min(0.1).max(600),
};
export type CommitPoint = z.output<z.ZodObject<typeof commitParams>>;

const ns = z.number().min(0).nullable();
export const commitMeasured = {
  achievedEventsPerS: z.number().min(0),
  realtimeNsP50: ns,
  realtimeNsP99: ns,
  realtimeNsP999: ns,
  transactionalNsP50: ns,
  transactionalNsP99: ns,
  transactionalNsP999: ns,
  batchNsP50: ns,
  batchNsP99: ns,
  batchNsP999: ns,
  /** Share (0..1) of a TRANSACTIONAL event's server time spent in the commit stage (p50s). */
  commitStageShare: z.number().nullable(),
  commitSinceIngestNsP50: ns,
  sent: z.number().int().min(0),
  acked: z.number().int().min(0),
  rejected: z.number().int().min(0),
  conservationErrors: z.number().int().min(0),
};
export type CommitMeasured = z.output<z.ZodObject<typeof commitMeasured>>;

export function etcdBinary(): string | null {
  return Bun.which("etcd");
}

const clusters = new Map<boolean, Promise<LocalCluster>>();
function raftCluster(fsync: boolean): Promise<LocalCluster> {
  let c = clusters.get(fsync);
  if (!c) {
    c = (async () => {
      const dataDir = mkdtempSync(join(tmpdir(), "eventlab-commit-exp-"));
      const cluster = await LocalCluster.create({
        members: 3,
        dataDir,
        memberArgs: ["--fsync", String(fsync)],
      });
      await cluster.startAll();
      // A normal exit stops them (by PID) and removes the data.
      process.once("exit", () => {
        for (const m of cluster.members) m.proc?.kill("SIGKILL");
        rmSync(dataDir, { recursive: true, force: true });
      });
      return cluster;
    })();
    clusters.set(fsync, c);
  }
  return c;
}

/** Members of the local etcd cluster: 3, as many as the eventlab Raft cluster it is compared with. */
export const ETCD_MEMBERS = 3;

let etcdUrls: Promise<string> | null = null;
/** Starts a local etcd cluster of ETCD_MEMBERS processes once; resolves with its client URLs, comma-separated. */
function localEtcd(): Promise<string> {
  etcdUrls ??= (async () => {
    const bin = etcdBinary();
    if (!bin) throw new Error("skipped: etcd is not installed");
    const ports = await freePorts(2 * ETCD_MEMBERS);
    const dir = mkdtempSync(join(tmpdir(), "eventlab-commit-etcd-"));
    const peerUrl = (i: number) => `http://127.0.0.1:${ports[2 * i + 1]}`;
    const clientUrl = (i: number) => `http://127.0.0.1:${ports[2 * i]}`;
    const initial = Array.from({ length: ETCD_MEMBERS }, (_, i) => `e${i}=${peerUrl(i)}`).join(",");
    const procs = Array.from({ length: ETCD_MEMBERS }, (_, i) =>
      Bun.spawn(
        [
          bin,
          "--name",
          `e${i}`,
          "--data-dir",
          join(dir, `e${i}`),
          "--listen-client-urls",
          clientUrl(i),
          "--advertise-client-urls",
          clientUrl(i),
          "--listen-peer-urls",
          peerUrl(i),
          "--initial-advertise-peer-urls",
          peerUrl(i),
          "--initial-cluster",
          initial,
          "--initial-cluster-state",
          "new",
        ],
        { stdout: "ignore", stderr: "ignore" },
      ),
    );
    process.once("exit", () => {
      for (const p of procs) p.kill("SIGKILL");
      rmSync(dir, { recursive: true, force: true });
    });
    const until = performance.now() + ETCD_START_TIMEOUT_MS;
    while (performance.now() < until) {
      const ok = await fetch(`${clientUrl(0)}/health`).then(
        (r) => r.ok,
        () => false,
      );
      if (ok) return Array.from({ length: ETCD_MEMBERS }, (_, i) => clientUrl(i)).join(",");
      await Bun.sleep(100);
    }
    throw new Error(`etcd did not answer /health within ${ETCD_START_TIMEOUT_MS} ms`);
  })();
  return etcdUrls;
}

async function stageOptions(commit: Commit) {
  if (commit === "immediate") return { commitStage: "immediate" };
  if (commit === "etcd") return { commitStage: "etcd", etcdEndpoints: await localEtcd() };
  const cluster = await raftCluster(commit === "raft-fsync");
  const peers = cluster.members.map((m) => `${m.id}=127.0.0.1:${m.ports.client}`).join(",");
  return { commitStage: "raft", raftPeers: peers };
}

export async function runCommitPoint(p: CommitPoint, seed: number): Promise<CommitMeasured> {
  const server = await startPipeline({
    port: 0,
    quiet: true,
    capacity: CAPACITY_SLOTS,
    ...(await stageOptions(p.commit)),
  });
  const base = {
    port: server.port,
    connections: p.connections,
    batch: p.batch,
    durationS: p.durationS,
    warmupS: WARMUP_S,
    drainTimeoutMs: DRAIN_TIMEOUT_MS,
    quiet: true,
  };
  let loads: LoadResult[];
  try {
    server.statsFrom(monoNowNs() + WARMUP_S * 1e9);
    if (p.offeredEventsPerS === 0) {
      loads = [
        await runLoad({
          ...base,
          max: CLOSED_LOOP_MAX_UNACKED,
          laneMix: [0.8 * (100 - p.txPercent), p.txPercent, 0.2 * (100 - p.txPercent)],
          seed,
        }),
      ];
    } else {
      const txRate = (p.offeredEventsPerS * p.txPercent) / 100;
      const otherRate = p.offeredEventsPerS - txRate;
      loads = await Promise.all([
        ...(otherRate > 0
          ? [runLoad({ ...base, rate: otherRate, laneMix: [80, 0, 20], seed })]
          : []),
        ...(txRate > 0
          ? [runLoad({ ...base, rate: txRate, laneMix: [0, 1, 0], seed: seed + 1 })]
          : []),
      ]);
    }
  } catch (err) {
    await server.stop();
    throw err;
  }
  const stats = await server.stop();
  return measure(loads, stats.stages);
}

function laneFigures(loads: LoadResult[], lane: number) {
  const withLane = loads.filter((l) => (l.laneLatency?.[lane]?.count ?? 0) > 0);
  if (withLane.length !== 1) return [null, null, null] as const;
  const s = withLane[0]!.laneLatency![lane]!;
  return [s.p50Ns, s.p99Ns, s.p999Ns] as const;
}

function measure(loads: LoadResult[], stages: StageSummaries): CommitMeasured {
  const [r50, r99, r999] = laneFigures(loads, 0);
  const [t50, t99, t999] = laneFigures(loads, 1);
  const [b50, b99, b999] = laneFigures(loads, 2);
  const commit = stages["commit.since_ingest"]?.p50Ns ?? null;
  const bus = stages["bus.TRANSACTIONAL.since_ingest"]?.p50Ns ?? null;
  const sum = (f: (l: LoadResult) => number) => loads.reduce((a, l) => a + f(l), 0);
  return {
    achievedEventsPerS: sum((l) => l.achievedPerS),
    realtimeNsP50: r50,
    realtimeNsP99: r99,
    realtimeNsP999: r999,
    transactionalNsP50: t50,
    transactionalNsP99: t99,
    transactionalNsP999: t999,
    batchNsP50: b50,
    batchNsP99: b99,
    batchNsP999: b999,
    commitStageShare:
      commit && bus !== null && commit > 0 ? Math.max(0, (commit - bus) / commit) : null,
    commitSinceIngestNsP50: commit,
    sent: sum((l) => l.sent),
    acked: sum((l) => l.acked),
    rejected: sum((l) => l.rejected),
    conservationErrors: sum((l) => l.errors.length),
  };
}
