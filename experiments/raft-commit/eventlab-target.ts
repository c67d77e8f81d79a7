/**
 * The eventlab side of `raft-commit`: a local cluster of `bun run
 * raft:member` processes (impl/raft/host/launcher.ts) in a temp dir, with
 * fsync on or off, driven by one RaftClient (one session, `concurrency`
 * appends in flight, as the pipeline's commit stage drives it). Fsyncs and
 * WAL bytes are the deltas of the members' /metrics over the trial, summed
 * over all members.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { RaftClient } from "../../impl/raft/client/client.ts";
import { fetchStatus, LocalCluster } from "../../impl/raft/host/launcher.ts";
import { closedLoop, type LoopResult } from "./closed-loop.ts";
import { HeldCluster, type Stoppable } from "./held-cluster.ts";
import { scrapeSums } from "./prometheus.ts";

/** Named maximum: how long a fresh cluster may take to elect a leader, ms. */
const LEADER_TIMEOUT_MS = 20_000;
const METRICS = ["eventlab_raft_fsyncs_total", "eventlab_raft_wal_written_bytes_total"] as const;

class EventlabCluster implements Stoppable {
  constructor(
    readonly cluster: LocalCluster,
    readonly dataDir: string,
    public fsyncMode = "",
  ) {}
  pids(): number[] {
    return this.cluster.members.flatMap((m) => (m.proc?.pid ? [m.proc.pid] : []));
  }
  metricsUrls(): string[] {
    return this.cluster.members.map((m) => `http://${this.cluster.host}:${m.ports.http}/metrics`);
  }
  async stop(): Promise<void> {
    await this.cluster.stopAll();
    rmSync(this.dataDir, { recursive: true, force: true });
  }
}

const held = new HeldCluster<EventlabCluster>();
let nextClientId = 1;

async function startCluster(members: number, fsync: boolean): Promise<EventlabCluster> {
  const dataDir = mkdtempSync(join(tmpdir(), "eventlab-raft-commit-"));
  const cluster = await LocalCluster.create({
    members,
    dataDir,
    memberArgs: ["--fsync", String(fsync)],
    onLine: (id, line) => {
      if (/fatal|error/i.test(line)) console.warn(`raft-commit member ${id}: ${line}`);
    },
  });
  const c = new EventlabCluster(cluster, dataDir);
  try {
    await cluster.startAll();
    c.fsyncMode = await waitForLeader(cluster);
    return c;
  } catch (err) {
    await c.stop();
    throw err;
  }
}

/** Waits until some member reports itself leader; returns the fsync mode the members report. */
async function waitForLeader(cluster: LocalCluster): Promise<string> {
  const until = performance.now() + LEADER_TIMEOUT_MS;
  while (performance.now() < until) {
    for (const m of cluster.members) {
      const st = await fetchStatus(`${cluster.host}:${m.ports.http}`);
      if (st?.role === "leader") return st.fsync ? "fsync" : "no-fsync";
    }
    await Bun.sleep(50);
  }
  throw new Error(`no leader within ${LEADER_TIMEOUT_MS} ms`);
}

export interface TrialResult {
  loop: LoopResult;
  fsyncs: number;
  bytesWritten: number;
  fsyncMode: string;
}

export async function eventlabTrial(
  p: {
    members: number;
    fsync: "on" | "off";
    concurrency: number;
    recordsPerAppend: number;
    recordBytes: number;
  },
  warmupS: number,
  durationS: number,
  payload: Uint8Array[],
): Promise<TrialResult> {
  const c = await held.get(`${p.members}/${p.fsync}`, () =>
    startCluster(p.members, p.fsync === "on"),
  );
  const client = new RaftClient({
    members: c.cluster.clientAddresses(),
    clientId: nextClientId++,
    maxInFlight: p.concurrency,
  });
  try {
    const append = async () => {
      await client.append(payload);
    };
    await closedLoop(p.concurrency, warmupS, append);
    const before = await scrapeSums(c.metricsUrls(), METRICS);
    const loop = await closedLoop(p.concurrency, durationS, append);
    const after = await scrapeSums(c.metricsUrls(), METRICS);
    return {
      loop,
      fsyncs: after[0]! - before[0]!,
      bytesWritten: after[1]! - before[1]!,
      fsyncMode: c.fsyncMode,
    };
  } finally {
    client.close();
    held.release();
  }
}

/** Stops the held eventlab cluster now (tests). */
export function stopEventlabCluster(): Promise<void> {
  return held.stop();
}
