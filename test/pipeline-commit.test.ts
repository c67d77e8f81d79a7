/**
 * The pipeline's TRANSACTIONAL lane committed through a real Raft cluster
 * (and etcd) before it is acked, on real processes: a `bun run pipeline`
 * child, member processes, the load generator over TCP with --record-acks,
 * and the offline verifier reading every member's WAL.
 *
 * Checks: conservation (every event acked or rejected); every acked
 * TRANSACTIONAL event in the committed log exactly once, in its client's
 * order (verify-acks.ts) - with the embedded cluster, across kill -9 of the
 * Raft leader under load, across kill -9 of the pipeline itself, and with
 * the cluster down past the commit deadline (COMMIT_DEADLINE rejects, no
 * acks, then acks again once it is back); and the etcd stage's acked events
 * all present in etcd (skipped with a message when etcd is not installed).
 * No timed assertions: the figures are printed, the invariants asserted.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { OFF_CLIENT_TAG, OFF_SEQUENCE } from "../impl/core/record.ts";
import { runLoad } from "../impl/pipeline/load.ts";
import { RejectReason } from "../impl/pipeline/protocol.ts";
import { freePorts, LocalCluster } from "../impl/raft/host/launcher.ts";
import { readAckFile, verifyAcks } from "../impl/raft/host/verify-acks.ts";
import { verifyClusterDir } from "../impl/raft/host/verify-cluster.ts";
import { PipelineProcess } from "./support/pipeline-process.ts";

const dirs: string[] = [];
const tmp = (name: string) => {
  const d = mkdtempSync(join(tmpdir(), `eventlab-${name}-`));
  dirs.push(d);
  return d;
};
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** Member flags for test clusters: no snapshots, so the whole log stays in the WALs for the verifier. */
const MEMBER_ARGS = ["--snapshot-every", "0"];

function verify(dataDir: string, ackFiles: string[]) {
  const v = verifyClusterDir(dataDir);
  expect(v.conflicts).toEqual([]);
  const acked = new Map<number, Set<number>>();
  for (const f of ackFiles) {
    for (const [tag, seqs] of readAckFile(f)) {
      expect(acked.has(tag)).toBe(false); // distinct seeds give distinct client tags
      acked.set(tag, seqs);
    }
  }
  return verifyAcks(v.members, acked);
}

async function leaderOf(cluster: LocalCluster): Promise<number> {
  for (let i = 0; i < 200; i++) {
    for (const m of cluster.members) {
      const st = await cluster.status(m.id);
      if (st?.role === "leader") return m.id;
    }
    await Bun.sleep(50);
  }
  throw new Error("no leader");
}

describe("commit stage raft (real processes)", () => {
  test("embedded cluster: lane mix, conservation, every acked TRANSACTIONAL event committed once in order", async () => {
    const dataDir = tmp("embedded");
    const acks = join(tmp("acks"), "acks.txt");
    const p = await PipelineProcess.start([
      "--commit",
      "raft",
      "--raft-data-dir",
      dataDir,
      "--http-port",
      "0",
      "--quiet",
    ]);
    expect(p.raftDataDir).toBe(dataDir);
    const r = await runLoad({
      port: p.port,
      rate: 8000,
      durationS: 2,
      laneMix: [6, 2, 2],
      seed: 11,
      recordAcks: acks,
    });
    expect(r.errors).toEqual([]);
    expect(r.acked).toBe(r.sent);
    expect(await p.metric("eventlab_pipeline_commit_committed_events")).toBe(
      r.laneLatency![1]!.count,
    );
    expect(await p.stop()).toBe(0);
    expect(p.out).toMatch(
      /TRANSACTIONAL {2}accepted \d+ {2}committed \d+ {2}rejected COMMIT_DEADLINE 0/,
    );
    const a = verify(dataDir, [acks]);
    console.log(`embedded e2e: ${a.ackedEvents} acked TRANSACTIONAL events checked`, a);
    expect(a.ackedEvents).toBeGreaterThan(0);
    expect(a.ackedEvents).toBe(r.laneLatency![1]!.count);
    expect([a.missing, a.duplicated, a.outOfOrder]).toEqual([0, 0, 0]);
  });

  test("kill -9 of the Raft leader under load, restarted: nothing acked is lost or duplicated", async () => {
    const dataDir = tmp("leader-kill");
    const acks = join(tmp("acks"), "acks.txt");
    const cluster = await LocalCluster.create({ members: 3, dataDir, memberArgs: MEMBER_ARGS });
    await cluster.startAll();
    const peers = cluster.members.map((m) => `${m.id}=127.0.0.1:${m.ports.client}`).join(",");
    const p = await PipelineProcess.start(["--commit", "raft", "--raft-peers", peers, "--quiet"]);
    try {
      const mixed = runLoad({
        port: p.port,
        rate: 6000,
        durationS: 4,
        laneMix: [6, 2, 2],
        seed: 21,
        recordAcks: acks,
      });
      // REALTIME and BATCH only, on their own connections: they must keep flowing throughout.
      const fast = runLoad({
        port: p.port,
        rate: 3000,
        durationS: 4,
        laneMix: [1, 0, 1],
        seed: 22,
      });
      await Bun.sleep(1200);
      const leader = await leaderOf(cluster);
      await cluster.signal(leader, "SIGKILL");
      await Bun.sleep(1000);
      cluster.spawn(leader);
      const [r, f] = await Promise.all([mixed, fast]);
      const newLeader = await leaderOf(cluster);
      console.log(
        `leader kill: killed ${leader}, leader now ${newLeader}; mixed acked ${r.acked}/${r.sent} TX p99 ${r.laneLatency![1]!.p99Ns} ns; fast acked ${f.acked}/${f.sent} p99 ${f.latency.p99Ns} ns`,
      );
      expect(r.errors).toEqual([]);
      expect(f.errors).toEqual([]);
      expect(r.acked).toBe(r.sent);
      expect(f.acked).toBe(f.sent);
      expect(await p.stop()).toBe(0);
    } finally {
      await p.kill9();
      await cluster.stopAll();
    }
    const a = verify(dataDir, [acks]);
    console.log(`leader kill: ${a.ackedEvents} acked TRANSACTIONAL events checked`, a);
    expect(a.ackedEvents).toBeGreaterThan(0);
    expect([a.missing, a.duplicated, a.outOfOrder]).toEqual([0, 0, 0]);
  });

  test("kill -9 of the pipeline under load, restarted: every TRANSACTIONAL event acked before the kill is in the log", async () => {
    const dataDir = tmp("pipeline-kill");
    const acksDir = tmp("acks");
    const cluster = await LocalCluster.create({ members: 3, dataDir, memberArgs: MEMBER_ARGS });
    await cluster.startAll();
    const peers = cluster.members.map((m) => `${m.id}=127.0.0.1:${m.ports.client}`).join(",");
    const files = [join(acksDir, "before.txt"), join(acksDir, "after.txt")];
    try {
      const p1 = await PipelineProcess.start([
        "--commit",
        "raft",
        "--raft-peers",
        peers,
        "--quiet",
      ]);
      const load = runLoad({
        port: p1.port,
        rate: 6000,
        durationS: 3,
        laneMix: [1, 2, 1],
        seed: 31,
        recordAcks: files[0],
        drainTimeoutMs: 1000,
      });
      await Bun.sleep(1500);
      await p1.kill9();
      const r1 = await load;
      // The kill cuts the connections: events sent and not acked are unresolved (reported, not lost acks).
      console.log(`pipeline kill: before the kill acked ${r1.acked} of ${r1.sent} sent`);
      expect(r1.acked).toBeGreaterThan(0);
      const p2 = await PipelineProcess.start([
        "--commit",
        "raft",
        "--raft-peers",
        peers,
        "--quiet",
      ]);
      const r2 = await runLoad({
        port: p2.port,
        rate: 6000,
        durationS: 1,
        laneMix: [1, 2, 1],
        seed: 32,
        recordAcks: files[1],
      });
      expect(r2.errors).toEqual([]);
      expect(await p2.stop()).toBe(0);
    } finally {
      await cluster.stopAll();
    }
    const a = verify(dataDir, files);
    console.log(`pipeline kill: ${a.ackedEvents} acked TRANSACTIONAL events checked`, a);
    expect([a.missing, a.duplicated, a.outOfOrder]).toEqual([0, 0, 0]);
  });

  test("cluster down past the commit deadline: COMMIT_DEADLINE rejects, no acks; back: acks resume", async () => {
    const dataDir = tmp("down");
    const cluster = await LocalCluster.create({ members: 3, dataDir, memberArgs: MEMBER_ARGS });
    await cluster.startAll();
    const peers = cluster.members.map((m) => `${m.id}=127.0.0.1:${m.ports.client}`).join(",");
    const p = await PipelineProcess.start([
      "--commit",
      "raft",
      "--raft-peers",
      peers,
      "--commit-deadline-ms",
      "500",
      "--quiet",
    ]);
    try {
      for (const m of cluster.members) await cluster.signal(m.id, "SIGKILL");
      const down = await runLoad({
        port: p.port,
        rate: 2000,
        durationS: 1,
        laneMix: [0, 1, 0],
        seed: 41,
      });
      console.log(`cluster down: sent ${down.sent} acked ${down.acked} rejected ${down.rejected}`);
      expect(down.errors).toEqual([]);
      expect(down.acked).toBe(0);
      expect(down.rejected).toBe(down.sent);
      expect(down.rejectedByReason![RejectReason.COMMIT_DEADLINE]).toBe(down.sent);
      await cluster.startAll();
      await leaderOf(cluster);
      const back = await runLoad({
        port: p.port,
        rate: 2000,
        durationS: 1,
        laneMix: [0, 1, 0],
        seed: 42,
        drainTimeoutMs: 20_000,
      });
      console.log(`cluster back: sent ${back.sent} acked ${back.acked} rejected ${back.rejected}`);
      expect(back.errors).toEqual([]);
      expect(back.acked).toBeGreaterThan(0);
      expect(await p.stop()).toBe(0);
    } finally {
      await p.kill9();
      await cluster.stopAll();
    }
  });
});

describe("commit stage options", () => {
  const PIPELINE = join(import.meta.dir, "../impl/pipeline/cli/pipeline.ts");
  const run = async (args: string[]) => {
    const p = Bun.spawn([process.execPath, PIPELINE, ...args], { stdout: "pipe", stderr: "pipe" });
    const [err, code] = await Promise.all([new Response(p.stderr).text(), p.exited]);
    return { err, code };
  };
  test("bad values exit 2 with a one-line error naming the option", async () => {
    const cases: [string[], RegExp][] = [
      [["--commit", "paxos"], /unknown commit stage "paxos".*immediate, raft, etcd/],
      [["--commit", "raft", "--raft-peers", "1=nohost"], /--raft-peers/],
      [["--commit", "etcd", "--etcd-endpoints", "localhost:2379"], /--etcd-endpoints/],
      [["--commit", "etcd"], /--etcd-endpoints is required/],
      [["--commit-deadline-ms", "1"], /--commit-deadline-ms/],
      [["--commit-batch-events", "5000"], /--commit-batch-events/],
      [["--http-port", "70000"], /--http-port/],
    ];
    for (const [args, re] of cases) {
      const r = await run(args);
      expect(r.code).toBe(2);
      expect(r.err).toMatch(re);
    }
  });
});

describe("commit stage etcd (real etcd)", () => {
  const etcd = Bun.which("etcd");
  test.skipIf(!etcd)("acked TRANSACTIONAL events are in etcd exactly once", async () => {
    const [client, peer] = await freePorts(2);
    const dir = tmp("etcd");
    const proc = Bun.spawn(
      [
        etcd!,
        "--data-dir",
        dir,
        "--listen-client-urls",
        `http://127.0.0.1:${client}`,
        "--advertise-client-urls",
        `http://127.0.0.1:${client}`,
        "--listen-peer-urls",
        `http://127.0.0.1:${peer}`,
        "--initial-advertise-peer-urls",
        `http://127.0.0.1:${peer}`,
        "--initial-cluster",
        `default=http://127.0.0.1:${peer}`,
      ],
      { stdout: "ignore", stderr: "ignore" },
    );
    const url = `http://127.0.0.1:${client}`;
    try {
      for (let i = 0; i < 100; i++) {
        const ok = await fetch(`${url}/health`).then(
          (r) => r.ok,
          () => false,
        );
        if (ok) break;
        await Bun.sleep(100);
      }
      const acks = join(tmp("acks"), "acks.txt");
      const p = await PipelineProcess.start([
        "--commit",
        "etcd",
        "--etcd-endpoints",
        url,
        "--quiet",
      ]);
      const r = await runLoad({
        port: p.port,
        rate: 4000,
        durationS: 2,
        laneMix: [6, 2, 2],
        seed: 51,
        recordAcks: acks,
      });
      expect(r.errors).toEqual([]);
      expect(r.acked).toBe(r.sent);
      expect(await p.stop()).toBe(0);
      const acked = readAckFile(acks);
      const seen = new Map<string, number>();
      const b64 = (s: string) => Buffer.from(s).toString("base64");
      const res = (await (
        await fetch(`${url}/v3/kv/range`, {
          method: "POST",
          body: JSON.stringify({ key: b64("eventlab/"), range_end: b64("eventlab0") }),
        })
      ).json()) as { kvs?: { value: string }[] };
      for (const kv of res.kvs ?? []) {
        const v = Buffer.from(kv.value, "base64");
        const dv = new DataView(v.buffer, v.byteOffset, v.byteLength);
        for (let off = 0; off + 64 <= v.length; off += 64) {
          const key = `${dv.getUint32(off + OFF_CLIENT_TAG, true)}/${dv.getUint32(off + OFF_SEQUENCE, true)}`;
          seen.set(key, (seen.get(key) ?? 0) + 1);
        }
      }
      let checked = 0;
      let missing = 0;
      let duplicated = 0;
      for (const [tag, seqs] of acked) {
        for (const s of seqs) {
          checked++;
          const n = seen.get(`${tag}/${s}`) ?? 0;
          if (n === 0) missing++;
          if (n > 1) duplicated++;
        }
      }
      console.log(
        `etcd e2e: ${checked} acked TRANSACTIONAL events checked, missing ${missing}, duplicated ${duplicated}`,
      );
      expect(checked).toBeGreaterThan(0);
      expect([missing, duplicated]).toEqual([0, 0]);
    } finally {
      proc.kill("SIGKILL");
      await proc.exited;
    }
  });
  if (!etcd) test("etcd missing", () => console.log("skipped: etcd is not installed"));
});
