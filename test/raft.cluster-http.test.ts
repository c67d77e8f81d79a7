/**
 * A real 3-member cluster (processes, TCP, file WAL without fsync for speed)
 * seen through its HTTP port and taken through log compaction (Raft §7):
 * - /health is 200 {"health":true} with the leader's id on every member once
 *   a leader is known; /metrics is valid Prometheus text whose counters
 *   match the load sent (proposals, commits, applied records on every
 *   member, syncs, WAL bytes, per-peer bytes) and whose fsync histogram is
 *   cumulative and ends at its count;
 * - a follower killed while the others commit more than the leader keeps
 *   behind its snapshot (SNAPSHOT_CATCHUP_ENTRIES, with --snapshot-every 50)
 *   is brought back by an InstallSnapshot: the leader counts a snapshot sent,
 *   the follower one installed, it catches up to the commit index, and it is
 *   then a working voter: with the other follower killed, an append still
 *   commits (a majority needs it);
 * - with the leader killed too, the lone member has no leader: /health 503.
 */
import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { RaftClient } from "../impl/raft/client/client.ts";
import type { MemberStatus } from "../impl/raft/host/http.ts";
import { LocalCluster } from "../impl/raft/host/launcher.ts";
import { SNAPSHOT_CATCHUP_ENTRIES } from "../impl/raft/host/limits.ts";
import { leaderOf } from "./support/raft-cluster-load.ts";

const SNAPSHOT_EVERY = 50;
const RECORDS = 4;
const IN_FLIGHT = 32;
const dir = mkdtempSync(join(tmpdir(), "raft-http-"));
let cluster: LocalCluster | null = null;
const lines: string[] = [];
afterAll(async () => {
  await cluster?.stopAll();
  rmSync(dir, { recursive: true, force: true });
});

async function get(c: LocalCluster, id: number, path: string): Promise<Response> {
  return fetch(`http://${c.host}:${c.member(id).ports.http}${path}`, {
    signal: AbortSignal.timeout(10_000),
  });
}

/** metric name (with labels) -> value, every sample line checked against the text format. */
function parseMetrics(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.trimEnd().split("\n")) {
    if (line.startsWith("# HELP ") || line.startsWith("# TYPE ")) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*(?:\{[^}]*\})?) (-?[0-9.e+]+|\+Inf|NaN)$/.exec(line);
    if (!m) throw new Error(`not a Prometheus sample line: ${JSON.stringify(line)}`);
    out.set(m[1]!, Number(m[2]));
  }
  return out;
}

function metric(ms: Map<string, number>, name: string, id: number, peer?: number): number {
  const key = `eventlab_raft_${name}{member="${id}"${peer === undefined ? "" : `,peer="${peer}"`}}`;
  const v = ms.get(key);
  if (v === undefined) throw new Error(`no sample ${key}`);
  return v;
}

async function appendMany(c: LocalCluster, clientId: number, n: number): Promise<number[]> {
  const client = new RaftClient({ members: c.clientAddresses(), clientId, maxInFlight: IN_FLIGHT });
  const batch = Array.from({ length: RECORDS }, (_, i) => new Uint8Array(64).fill(i + 1));
  try {
    return (await Promise.all(Array.from({ length: n }, () => client.append(batch)))).map(
      (r) => r.index,
    );
  } finally {
    client.close();
  }
}

async function until<T>(what: string, f: () => Promise<T | null>, timeoutMs = 60_000): Promise<T> {
  const end = performance.now() + timeoutMs;
  for (;;) {
    const v = await f();
    if (v !== null) return v;
    if (performance.now() > end)
      throw new Error(`still waiting for: ${what}\n${lines.slice(-30).join("\n")}`);
    await Bun.sleep(50);
  }
}

test("/health and /metrics on real members; a lagging follower catches up by snapshot (§7); no leader: 503", async () => {
  cluster = await LocalCluster.create({
    members: 3,
    dataDir: dir,
    memberArgs: ["--fsync", "false", "--snapshot-every", String(SNAPSHOT_EVERY)],
    onLine: (id, l) => lines.push(`[${id}] ${l}`),
  });
  const c = cluster;
  await c.startAll();
  const leader = await leaderOf(c);
  const [f1, f2] = [1, 2, 3].filter((i) => i !== leader) as [number, number];

  // /health on every member once each knows the leader.
  for (const id of [1, 2, 3]) {
    const body = await until(`member ${id} healthy`, async () => {
      const r = await get(c, id, "/health");
      return r.status === 200 ? ((await r.json()) as { health: boolean; leaderId: number }) : null;
    });
    expect(body).toEqual({ health: true, leaderId: leader });
  }

  // /metrics after a known load.
  const appends = 100;
  await appendMany(c, 1, appends);
  const lm = parseMetrics(await (await get(c, leader, "/metrics")).text());
  expect(metric(lm, "proposals_total", leader)).toBeGreaterThanOrEqual(appends);
  expect(metric(lm, "commits_total", leader)).toBeGreaterThanOrEqual(appends);
  expect(metric(lm, "applied_records_total", leader)).toBe(appends * RECORDS);
  expect(metric(lm, "fsyncs_total", leader)).toBeGreaterThan(0);
  expect(metric(lm, "wal_written_bytes_total", leader)).toBeGreaterThan(appends * RECORDS * 64);
  for (const p of [f1, f2]) {
    expect(metric(lm, "peer_sent_bytes_total", leader, p)).toBeGreaterThan(appends * RECORDS * 64);
    expect(metric(lm, "peer_received_bytes_total", leader, p)).toBeGreaterThan(0);
  }
  const buckets = [...lm]
    .filter(([k]) => k.startsWith(`eventlab_raft_fsync_duration_seconds_bucket{member="${leader}"`))
    .map(([, v]) => v);
  expect(buckets.length).toBeGreaterThan(2);
  for (let i = 1; i < buckets.length; i++)
    expect(buckets[i]!).toBeGreaterThanOrEqual(buckets[i - 1]!);
  expect(buckets.at(-1)).toBe(metric(lm, "fsync_duration_seconds_count", leader));
  // A follower applied the same records (once every member is caught up).
  await until("follower applied all", async () => {
    const fm = parseMetrics(await (await get(c, f1, "/metrics")).text());
    return metric(fm, "applied_records_total", f1) === appends * RECORDS ? true : null;
  });

  // A follower misses more than the leader keeps behind its snapshot.
  await c.signal(f1, "SIGKILL");
  const behind = SNAPSHOT_CATCHUP_ENTRIES + 3 * SNAPSHOT_EVERY;
  const idx = await appendMany(c, 2, behind);
  const top = Math.max(...idx);
  const st = (await c.status(leader)) as MemberStatus;
  expect(st.snapshotIndex).toBeGreaterThan(SNAPSHOT_CATCHUP_ENTRIES); // the leader compacted
  c.spawn(f1);
  await c.waitUp(f1);
  const caught = await until(`member ${f1} caught up`, async () => {
    const s = await c.status(f1);
    return s && s.appliedIndex >= top ? s : null;
  });
  expect(caught.snapshotIndex).toBeGreaterThan(0);
  const lm2 = parseMetrics(await (await get(c, leader, "/metrics")).text());
  const fm2 = parseMetrics(await (await get(c, f1, "/metrics")).text());
  expect(metric(lm2, "snapshots_sent_total", leader)).toBeGreaterThanOrEqual(1);
  expect(metric(fm2, "snapshots_installed_total", f1)).toBeGreaterThanOrEqual(1);

  // The restored follower is a working voter: without the other follower, appends still commit.
  await c.signal(f2, "SIGKILL");
  const after = await appendMany(c, 3, 5);
  expect(Math.min(...after)).toBeGreaterThan(top);

  // No leader: the lone member answers 503.
  await c.signal(leader, "SIGKILL");
  const unhealthy = await until(`member ${f1} unhealthy`, async () => {
    const r = await get(c, f1, "/health");
    return r.status === 503 ? ((await r.json()) as { health: boolean }) : null;
  });
  expect(unhealthy.health).toBe(false);
}, 300_000);
