/**
 * Crash safety of the real cluster (Raft paper §5.4 safety, §5.6 timing;
 * persistence per Figure 2 "Persistent state"): 3 member processes on
 * 127.0.0.1 with the file WAL and fsync, 2 clients appending with 4 appends
 * in flight each, and `kill -9` at seeded random moments: the leader, a
 * follower, and two members in turn, each restarted from its data dir.
 * Then: every acked append is in every member's log exactly once, at the
 * index it was acked with, in its client's order; the logs are identical;
 * the client history (appends + linearizable reads) is linearizable; the
 * offline verifier finds no corruption and agreeing committed prefixes.
 * STRESS=1 runs 20 kill points instead of 3. Seed: RAFT_CRASH_SEED (printed).
 */
import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Rng } from "../impl/core/rng.ts";
import { LocalCluster } from "../impl/raft/host/launcher.ts";
import { verifyClusterDir } from "../impl/raft/host/verify-cluster.ts";
import { checkLogHistory } from "../impl/raft/sim/log-linearizability.ts";
import {
  checkCluster,
  checkLinearizable,
  LoadDriver,
  leaderOf,
  waitConverged,
} from "./support/raft-cluster-load.ts";

const KILL_POINTS = process.env.STRESS === "1" ? 20 : 3;
/** The generic search cross-checks histories up to this size (measured: ~2k ops decide in seconds). */
const KV_CROSS_CHECK_MAX_OPS = 3000;
const SEED = Number(process.env.RAFT_CRASH_SEED ?? 9001);
const dir = mkdtempSync(join(tmpdir(), "raft-crash-"));
let cluster: LocalCluster | null = null;
const lines: string[] = [];

afterAll(async () => {
  await cluster?.stopAll();
  rmSync(dir, { recursive: true, force: true });
});

type Victim = "leader" | "follower" | "two-in-turn";
const VICTIMS: Victim[] = ["leader", "follower", "two-in-turn"];

async function killAndRestart(c: LocalCluster, id: number, rng: Rng): Promise<void> {
  await c.signal(id, "SIGKILL");
  await Bun.sleep(100 + (rng.nextU32() % 400));
  c.spawn(id);
  await c.waitUp(id);
}

test(`kill -9 at ${KILL_POINTS} seeded points: acked appends survive exactly once, in order (seed ${SEED})`, async () => {
  console.log(
    `raft crash test: seed ${SEED}, ${KILL_POINTS} kill points (RAFT_CRASH_SEED to replay)`,
  );
  const rng = new Rng(SEED);
  cluster = await LocalCluster.create({
    members: 3,
    dataDir: dir,
    memberArgs: ["--snapshot-every", "0"],
    onLine: (id, l) => lines.push(`[${id}] ${l}`),
  });
  await cluster.startAll();
  await leaderOf(cluster);
  const load = new LoadDriver(cluster, [1, 2], 4);
  load.start();
  const kills: string[] = [];
  for (let k = 0; k < KILL_POINTS; k++) {
    await Bun.sleep(150 + (rng.nextU32() % 600));
    const leader = await leaderOf(cluster);
    const kind = VICTIMS[k % VICTIMS.length]!;
    const follower = [1, 2, 3].filter((i) => i !== leader)[rng.nextU32() % 2]!;
    if (kind === "leader") await killAndRestart(cluster, leader, rng);
    else if (kind === "follower") await killAndRestart(cluster, follower, rng);
    else {
      await killAndRestart(cluster, leader, rng);
      await leaderOf(cluster);
      await killAndRestart(cluster, follower, rng);
    }
    kills.push(`${kind}(${kind === "follower" ? follower : leader})`);
    if (k % 2 === 0) await load.read();
  }
  await Bun.sleep(300);
  await load.read();
  await load.stop();
  load.close();
  const top = Math.max(0, ...load.acked.map((a) => a.index));
  await waitConverged(cluster, top);
  const check = await checkCluster(cluster, load.acked);
  // The whole history as one log (decides any size: log-linearizability.ts); the generic
  // per-client-key search as a cross-check where it can finish (20 kill points record ~11k
  // operations, past its step limit and, with a larger limit, past 16 GB of memory).
  const lin = checkLogHistory(load.logHistory);
  const kv =
    load.history.length <= KV_CROSS_CHECK_MAX_OPS
      ? checkLinearizable(load.history).result
      : "skipped";
  console.log(
    `raft crash test: kill points ${KILL_POINTS} [${kills.join(" ")}], acked appends checked ${check.ackedChecked} on 3 members, lost ${check.lost}, duplicated ${check.duplicated}, wrong index ${check.wrongIndex}, out of order ${check.outOfOrder}, client errors ${load.errors.length}, linearizability (whole log) ${lin.result}${lin.result === "violation" ? `: ${lin.detail}` : ""} (${load.logHistory.length} ops), per-key search ${kv}`,
  );
  await cluster.stopAll();
  const v = verifyClusterDir(dir);
  if (!v.ok || check.lost + check.duplicated > 0) console.log(lines.slice(-80).join("\n"));
  expect(check.ackedChecked).toBeGreaterThan(20);
  expect({
    lost: check.lost,
    duplicated: check.duplicated,
    wrongIndex: check.wrongIndex,
    outOfOrder: check.outOfOrder,
    logsDiffer: check.logsDiffer,
  }).toEqual({ lost: 0, duplicated: 0, wrongIndex: 0, outOfOrder: 0, logsDiffer: false });
  expect(lin).toMatchObject({ result: "ok" });
  if (kv !== "skipped") expect(kv).toBe("ok");
  expect(load.errors).toEqual([]);
  expect(v.conflicts).toEqual([]);
  expect(v.members.map((m) => m.corruption)).toEqual([null, null, null]);
  // The offline view agrees with the live one: every member's WAL holds all acked records.
  for (const m of v.members) expect(m.records).toBeGreaterThanOrEqual(check.ackedChecked);
}, 600_000);
