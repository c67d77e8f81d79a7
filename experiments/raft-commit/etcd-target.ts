/**
 * The etcd side of `raft-commit`: three `etcd` members (Debian's etcd-server,
 * v3.4) on loopback, free ports, a temp data dir, started and stopped by PID
 * here, driven with puts through etcd's HTTP/JSON gateway (`POST
 * /v3/kv/put`, base64 key and value) sent to the leader: each put carries the
 * same bytes as one eventlab append (recordsPerAppend x recordBytes), one
 * request in flight per loop, keep-alive connections. etcd always fsyncs (its
 * WAL, and its bbolt backend on each batch commit); fsyncs are both counted
 * from /metrics, bytes are the WAL's.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Subprocess } from "bun";
import { freePorts } from "../../impl/raft/host/launcher.ts";
import { closedLoop } from "./closed-loop.ts";
import type { TrialResult } from "./eventlab-target.ts";
import { HeldCluster, type Stoppable } from "./held-cluster.ts";
import { scrapeSums } from "./prometheus.ts";

export const ETCD_MEMBERS = 3;
/** Named maximum: how long the etcd members may take to serve and elect, ms. */
const ETCD_START_TIMEOUT_MS = 30_000;
/** Named maximum: grace between SIGTERM and SIGKILL when stopping a member, ms. */
const ETCD_STOP_GRACE_MS = 5000;
const HOST = "127.0.0.1";
const METRICS = [
  "etcd_disk_wal_fsync_duration_seconds_count",
  "etcd_disk_backend_commit_duration_seconds_count",
  "etcd_disk_wal_write_bytes_total",
] as const;

/** The etcd binary, or null (EVENTLAB_ETCD names another one). */
export function etcdBinary(): string | null {
  return process.env.EVENTLAB_ETCD ?? Bun.which("etcd");
}

/** Named maximum: characters of a member's stderr kept for an error message. */
const STDERR_TAIL_CHARS = 2000;

class EtcdCluster implements Stoppable {
  leaderUrl = "";
  /** The last STDERR_TAIL_CHARS of each member's stderr (drained, so a chatty member never blocks). */
  readonly stderrTails: string[];
  constructor(
    readonly procs: Subprocess<"ignore", "ignore", "pipe">[],
    readonly clientUrls: string[],
    readonly dataDir: string,
  ) {
    this.stderrTails = procs.map(() => "");
    procs.forEach((p, i) => {
      void (async () => {
        const dec = new TextDecoder();
        for await (const chunk of p.stderr)
          this.stderrTails[i] = (this.stderrTails[i] + dec.decode(chunk)).slice(-STDERR_TAIL_CHARS);
      })();
    });
  }
  pids(): number[] {
    return this.procs.map((p) => p.pid);
  }
  async stop(): Promise<void> {
    await Promise.all(
      this.procs.map(async (p) => {
        if (p.exitCode !== null) return;
        p.kill("SIGTERM");
        const t = setTimeout(() => p.kill("SIGKILL"), ETCD_STOP_GRACE_MS);
        await p.exited;
        clearTimeout(t);
      }),
    );
    rmSync(this.dataDir, { recursive: true, force: true });
  }
}

const held = new HeldCluster<EtcdCluster>();

async function startEtcd(): Promise<EtcdCluster> {
  const bin = etcdBinary();
  if (!bin) throw new Error("skipped: no etcd binary (apt-get install etcd-server)");
  const dataDir = mkdtempSync(join(tmpdir(), "eventlab-etcd-"));
  const ports = await freePorts(2 * ETCD_MEMBERS, HOST);
  const peerUrl = (i: number) => `http://${HOST}:${ports[2 * i]}`;
  const clientUrls = Array.from(
    { length: ETCD_MEMBERS },
    (_, i) => `http://${HOST}:${ports[2 * i + 1]}`,
  );
  const initial = Array.from({ length: ETCD_MEMBERS }, (_, i) => `m${i + 1}=${peerUrl(i)}`).join(
    ",",
  );
  const procs = Array.from({ length: ETCD_MEMBERS }, (_, i) =>
    Bun.spawn(
      [
        bin,
        `--name=m${i + 1}`,
        `--data-dir=${join(dataDir, `m${i + 1}`)}`,
        `--listen-peer-urls=${peerUrl(i)}`,
        `--initial-advertise-peer-urls=${peerUrl(i)}`,
        `--listen-client-urls=${clientUrls[i]}`,
        `--advertise-client-urls=${clientUrls[i]}`,
        `--initial-cluster=${initial}`,
        "--initial-cluster-state=new",
        "--initial-cluster-token=eventlab-raft-commit",
        "--logger=zap",
        "--log-level=error",
      ],
      { stdin: "ignore", stdout: "ignore", stderr: "pipe" },
    ),
  );
  const c = new EtcdCluster(procs, clientUrls, dataDir);
  try {
    c.leaderUrl = await waitForLeader(c);
    return c;
  } catch (err) {
    await c.stop();
    throw err;
  }
}

/** The client URL of the member that reports itself leader (maintenance/status). */
async function waitForLeader(c: EtcdCluster): Promise<string> {
  const until = performance.now() + ETCD_START_TIMEOUT_MS;
  while (performance.now() < until) {
    for (const [i, p] of c.procs.entries()) {
      if (p.exitCode !== null)
        throw new Error(
          `etcd member m${i + 1} exited with code ${p.exitCode}: ${c.stderrTails[i]!.slice(-400)}`,
        );
    }
    for (const url of c.clientUrls) {
      try {
        const r = await fetch(`${url}/v3/maintenance/status`, {
          method: "POST",
          body: "{}",
          signal: AbortSignal.timeout(1000),
        });
        if (!r.ok) continue;
        const st = (await r.json()) as { header?: { member_id?: string }; leader?: string };
        if (st.leader && st.leader !== "0" && st.leader === st.header?.member_id) return url;
      } catch {
        // not serving yet
      }
    }
    await Bun.sleep(100);
  }
  throw new Error(`etcd: no leader within ${ETCD_START_TIMEOUT_MS} ms`);
}

export async function etcdTrial(
  p: { concurrency: number },
  warmupS: number,
  durationS: number,
  value: Uint8Array,
): Promise<TrialResult> {
  const c = await held.get("etcd", startEtcd);
  const valueB64 = Buffer.from(value).toString("base64");
  // One key per loop: etcd keeps every revision anyway; the keyspace stays small.
  const bodies = Array.from({ length: p.concurrency }, (_, loop) =>
    JSON.stringify({ key: Buffer.from(`eventlab/${loop}`).toString("base64"), value: valueB64 }),
  );
  const url = `${c.leaderUrl}/v3/kv/put`;
  const put = async (loop: number) => {
    const r = await fetch(url, { method: "POST", body: bodies[loop] });
    const text = await r.text();
    if (!r.ok || !text.includes('"revision"'))
      throw new Error(`etcd put: HTTP ${r.status}: ${text.slice(0, 200)}`);
  };
  try {
    await closedLoop(p.concurrency, warmupS, put);
    const urls = c.clientUrls.map((u) => `${u}/metrics`);
    const before = await scrapeSums(urls, METRICS);
    const loop = await closedLoop(p.concurrency, durationS, put);
    const after = await scrapeSums(urls, METRICS);
    const d = after.map((v, i) => v - before[i]!);
    return { loop, fsyncs: d[0]! + d[1]!, bytesWritten: d[2]!, fsyncMode: "fsync" };
  } finally {
    held.release();
  }
}

/** Stops the held etcd cluster now (tests). */
export function stopEtcdCluster(): Promise<void> {
  return held.stop();
}
