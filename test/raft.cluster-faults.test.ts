/**
 * Faults on a real 3-member cluster (processes, TCP, file WAL):
 * - Pause: SIGSTOP the leader beyond the election timeout, then SIGCONT: it
 *   steps down (a higher term reaches it, §5.1), no acked append is lost,
 *   and no two members ever reported leadership in one term (Election
 *   Safety, §5.2), polled from /status throughout.
 * - Partition through the transport's fault switch (POST /debug/faults):
 *   the cut-off leader steps down via check-quorum (§6 of the paper's
 *   "disruptive servers"; Ongaro's thesis §6.2), the majority elects a leader
 *   and commits, and after healing the logs converge.
 * Both record the client history and check it for linearizability.
 */
import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { LocalCluster } from "../impl/raft/host/launcher.ts";
import {
  checkCluster,
  checkLinearizable,
  LeaderWatch,
  LoadDriver,
  leaderOf,
  setFaults,
  waitConverged,
} from "./support/raft-cluster-load.ts";

const dirs: string[] = [];
const clusters: LocalCluster[] = [];
const lines: string[] = [];

afterAll(async () => {
  await Promise.all(clusters.map((c) => c.stopAll()));
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

async function startCluster(): Promise<LocalCluster> {
  const dir = mkdtempSync(join(tmpdir(), "raft-faults-"));
  dirs.push(dir);
  const c = await LocalCluster.create({
    members: 3,
    dataDir: dir,
    memberArgs: ["--fault-injection", "true", "--snapshot-every", "0"],
    onLine: (id, l) => lines.push(`[${id}] ${l}`),
  });
  clusters.push(c);
  await c.startAll();
  await leaderOf(c);
  return c;
}

async function until(
  what: string,
  cond: () => Promise<boolean>,
  timeoutMs = 10_000,
): Promise<void> {
  const end = performance.now() + timeoutMs;
  while (performance.now() < end) {
    if (await cond()) return;
    await Bun.sleep(50);
  }
  throw new Error(`timed out waiting for: ${what}`);
}

test("SIGSTOP the leader past the election timeout, SIGCONT: it steps down, nothing acked is lost, one leader per term", async () => {
  const c = await startCluster();
  const watch = new LeaderWatch(c);
  const load = new LoadDriver(c, [11, 12], 4);
  load.start();
  await Bun.sleep(500);
  const old = await leaderOf(c);
  const oldTerm = (await c.status(old))!.term;
  await c.signal(old, "SIGSTOP");
  // Election timeout is 10..20 ticks of 20 ms; 1.5 s is well past it.
  await Bun.sleep(1500);
  await load.read();
  await c.signal(old, "SIGCONT");
  await until("the paused leader to step down", async () => {
    const s = await c.status(old);
    return s !== null && s.term > oldTerm && s.role !== "leader";
  });
  await Bun.sleep(300);
  await load.read();
  await load.stop();
  load.close();
  await waitConverged(c, Math.max(0, ...load.acked.map((a) => a.index)));
  const twoLeaderTerms = await watch.stop();
  const check = await checkCluster(c, load.acked);
  const lin = checkLinearizable(load.history);
  console.log(
    `raft pause test: leader ${old} paused 1.5 s; acked ${check.ackedChecked}, lost ${check.lost}, duplicated ${check.duplicated}; terms seen ${[...watch.leadersByTerm.keys()].join(",")}; linearizability ${lin.result}`,
  );
  expect(twoLeaderTerms).toEqual([]);
  expect(watch.leadersByTerm.size).toBeGreaterThanOrEqual(2);
  expect(check.ackedChecked).toBeGreaterThan(10);
  expect({
    lost: check.lost,
    duplicated: check.duplicated,
    wrongIndex: check.wrongIndex,
    logsDiffer: check.logsDiffer,
  }).toEqual({ lost: 0, duplicated: 0, wrongIndex: 0, logsDiffer: false });
  expect(lin.result).toBe("ok");
}, 120_000);

test("partition the leader from both followers: it steps down via check-quorum, the majority commits, healed logs converge", async () => {
  const c = await startCluster();
  const watch = new LeaderWatch(c);
  const load = new LoadDriver(c, [21, 22], 4);
  load.start();
  await Bun.sleep(400);
  const old = await leaderOf(c);
  const others = [1, 2, 3].filter((i) => i !== old);
  await setFaults(c, old, { cut: others, direction: "both" });
  for (const o of others) await setFaults(c, o, { cut: [old], direction: "both" });
  await until(
    "the cut-off leader to step down (check-quorum)",
    async () => (await c.status(old))?.role !== "leader",
  );
  let newLeader = -1;
  await until("the majority to elect a leader", async () => {
    const st = await Promise.all(others.map((o) => c.status(o)));
    newLeader = st.find((s) => s?.role === "leader")?.id ?? -1;
    return newLeader > 0;
  });
  const ackedBefore = load.acked.length;
  await until(
    "the majority to commit new appends",
    async () => load.acked.length > ackedBefore + 10,
  );
  const oldStatus = (await c.status(old))!;
  await load.read();
  await setFaults(c, old, { heal: "all" });
  for (const o of others) await setFaults(c, o, { heal: "all" });
  await Bun.sleep(500);
  await load.read();
  await load.stop();
  load.close();
  await waitConverged(c, Math.max(0, ...load.acked.map((a) => a.index)));
  const twoLeaderTerms = await watch.stop();
  const check = await checkCluster(c, load.acked);
  const lin = checkLinearizable(load.history);
  console.log(
    `raft partition test: old leader ${old} (cut off: role ${oldStatus.role}, commit ${oldStatus.commitIndex}), new leader ${newLeader}; acked ${check.ackedChecked} (${load.acked.length - ackedBefore} during the partition), lost ${check.lost}, duplicated ${check.duplicated}; linearizability ${lin.result}`,
  );
  expect(others).toContain(newLeader);
  expect(twoLeaderTerms).toEqual([]);
  expect({
    lost: check.lost,
    duplicated: check.duplicated,
    wrongIndex: check.wrongIndex,
    logsDiffer: check.logsDiffer,
  }).toEqual({ lost: 0, duplicated: 0, wrongIndex: 0, logsDiffer: false });
  expect(lin.result).toBe("ok");
}, 120_000);
