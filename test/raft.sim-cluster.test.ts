/**
 * SimCluster as a whole: the same seed replays the same run byte for byte
 * (hash of every delivered message, stats and applied histories), a different
 * seed gives a different run; the crash model keeps only synced state; the
 * options are validated with errors naming the bad field.
 */
import { describe, expect, test } from "bun:test";
import { SimCluster } from "../impl/raft/sim/cluster.ts";
import { enc } from "../impl/raft/sim/harness.ts";

/** A run with elections, proposals, a partition, a crash and a lossy network. */
function scriptedRun(seed: number) {
  const c = new SimCluster({
    nodes: 5,
    seed,
    electionTimeoutMs: [150, 300],
    heartbeatMs: 50,
    tickMs: 1,
    network: { delayMs: [0, 26], dropRate: 0.05, duplicateRate: 0.05, reorderRate: 0.1 },
    preVote: true,
    checkQuorum: true,
  });
  for (let round = 0; round < 40; round++) {
    const l = c.leader();
    if (l !== null) c.propose(l, enc(`r${round}`));
    if (round === 10)
      c.partition([
        [0, 1],
        [2, 3, 4],
      ]);
    if (round === 20) c.heal();
    if (round === 25) c.crash(1);
    if (round === 30) c.restart(1);
    c.runFor(97);
  }
  const applied = Array.from({ length: 5 }, (_, id) =>
    c
      .applied(id)
      .map((a) => `${a.index}/${a.term}`)
      .join(","),
  );
  return { hash: c.trace.hash, deliveries: c.trace.deliveries, stats: c.stats(), applied };
}

describe("SimCluster determinism", () => {
  test("same seed: identical trace hash, stats and applied histories", () => {
    const a = scriptedRun(42);
    const b = scriptedRun(42);
    expect(a.deliveries).toBeGreaterThan(1000);
    expect(b).toEqual(a);
    expect(a.applied[0]!.length).toBeGreaterThan(0);
  });

  test("different seeds give different traces", () => {
    expect(scriptedRun(43).hash).not.toBe(scriptedRun(42).hash);
  });
});

describe("SimCluster crash model", () => {
  test("term and vote are durable before any message leaves; a restart keeps them", () => {
    const c = new SimCluster({ nodes: 3, seed: 5, electionTimeoutMs: [150, 300], heartbeatMs: 50 });
    c.runUntil(() => c.leader() !== null, 3000);
    for (let id = 0; id < 3; id++) {
      expect(c.durableHardState(id).term).toBe(c.term(id));
    }
    const l = c.leader()!;
    const term = c.term(l);
    c.crash(l);
    c.restart(l);
    expect(c.term(l)).toBe(term);
    expect(c.isUp(l)).toBe(true);
  });

  test("a commit-index-only hard state is written but not fsynced, and a crash loses it", () => {
    const c = new SimCluster({ nodes: 3, seed: 8, electionTimeoutMs: [150, 300], heartbeatMs: 50 });
    c.runUntil(() => c.leader() !== null, 3000);
    const l = c.leader()!;
    c.propose(l, enc("x"));
    // Find a moment where a follower learned a new commit index but has not fsynced it.
    const f = (l + 1) % 3;
    const seen = c.runUntil(() => c.unsyncedWrites(f) > 0, 2000);
    expect(seen).toBe(true);
    const liveCommit = c.commitIndex(f);
    const durableCommit = c.durableHardState(f).commit;
    expect(durableCommit).toBeLessThan(liveCommit);
    c.crash(f);
    c.restart(f);
    expect(c.commitIndex(f)).toBe(durableCommit);
    // It relearns the commit index from the leader's next heartbeat.
    c.runFor(500);
    expect(c.commitIndex(f)).toBeGreaterThanOrEqual(liveCommit);
  });

  test("driving a node from inside an onApply callback is refused with a clear error", () => {
    const c = new SimCluster({ nodes: 3, seed: 9, electionTimeoutMs: [150, 300], heartbeatMs: 50 });
    let error = "";
    c.onApply((id) => {
      try {
        c.propose(id, enc("nested"));
      } catch (e) {
        error = String(e);
      }
    });
    c.runUntil(() => c.leader() !== null, 3000);
    c.propose(c.leader()!, enc("x"));
    c.runFor(500);
    expect(error).toContain("mid-Ready");
  });

  test("bad options are refused with the field named", () => {
    expect(
      () => new SimCluster({ nodes: 0, seed: 1, electionTimeoutMs: [150, 300], heartbeatMs: 50 }),
    ).toThrow(/nodes/);
    expect(
      () => new SimCluster({ nodes: 3, seed: 1, electionTimeoutMs: [300, 150], heartbeatMs: 50 }),
    ).toThrow(/electionTimeoutMs/);
    expect(
      () =>
        new SimCluster({
          nodes: 3,
          seed: 1,
          electionTimeoutMs: [150, 300],
          heartbeatMs: 50,
          network: { dropRate: -1 },
        }),
    ).toThrow(/dropRate/);
    expect(
      () =>
        new SimCluster({
          nodes: 3,
          seed: 1,
          electionTimeoutMs: [150, 300],
          heartbeatMs: 50,
          tickMs: 0,
        }),
    ).toThrow(/tickMs/);
  });
});
