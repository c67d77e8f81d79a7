/**
 * The Figure 16 election trial (Raft paper §9.3; impl/raft/sim/election-trial.ts):
 * a trial is a pure function of its options (same seed, same result); the
 * downtime is never below half the minimum timeout (the crash comes within
 * a heartbeat interval, which is half of it) and the winner is never one of
 * the two laggards (§5.4.1, asserted inside the trial); randomized timeouts
 * resolve quickly while no randomness produces long runs of split votes
 * (§5.2, the paper's "> 10 s" line, here with a 2 s cap to stay fast).
 * The timer rule (electionTimerReset, Figure 2 vs etcd) reaches the trial
 * and changes its outcome; the 12-24 ms line sets up under both rules and
 * never crashes the leader mid-election; the simulator's disk latency
 * (syncDelayMs) delays what a node had to fsync. The count of laggards
 * (laggingFollowers, 0-2) reaches the trial: with none, every survivor may
 * win, so over the same seeds elections end sooner on average; 3 is refused.
 */
import { describe, expect, test } from "bun:test";
import { SimCluster } from "../impl/raft/sim/cluster.ts";
import { runElectionLine, runElectionTrial } from "../impl/raft/sim/election-trial.ts";

describe("election trial (Figure 16)", () => {
  test("laggingFollowers: fewer ineligible survivors, shorter elections; out of range refused", () => {
    const mean = (lagging: number) => {
      const line = runElectionLine({
        timeoutMs: [12, 24],
        trials: 200,
        seed: 11,
        preVote: false,
        electionTimerReset: "paper",
        oneWayDelayMs: [2, 3],
        voterSyncMs: 10,
        laggingFollowers: lagging,
      });
      return line.trials.reduce((a, t) => a + t.timeWithoutLeaderMs, 0) / line.trials.length;
    };
    expect(mean(0)).toBeLessThan(mean(2));
    expect(() =>
      runElectionTrial({ timeoutMs: [150, 300], seed: 1, preVote: false, laggingFollowers: 3 }),
    ).toThrow(/laggingFollowers must be 0, 1 or 2/);
  });

  test("same options, same result; different seeds differ", () => {
    const a = runElectionTrial({ timeoutMs: [150, 300], seed: 5, preVote: false });
    const b = runElectionTrial({ timeoutMs: [150, 300], seed: 5, preVote: false });
    const c = runElectionTrial({ timeoutMs: [150, 300], seed: 6, preVote: false });
    expect(b).toEqual(a);
    expect(c.timeWithoutLeaderMs).not.toBe(a.timeWithoutLeaderMs);
  });

  for (const preVote of [false, true]) {
    test(`150-300 ms, pre-vote ${preVote ? "on" : "off"}: 30 trials elect within bounds`, () => {
      const line = runElectionLine({ timeoutMs: [150, 300], trials: 30, seed: 3, preVote });
      expect(line.trials).toHaveLength(30);
      for (const r of line.trials) {
        expect(r.censored).toBe(false);
        expect(r.timeWithoutLeaderMs).toBeGreaterThanOrEqual(75 - 1);
        expect(r.timeWithoutLeaderMs).toBeLessThan(5000);
        expect(r.crashOffsetMs).toBeLessThan(75);
        expect(r.electionTerms).toBeGreaterThanOrEqual(1);
      }
    });
  }

  test("no randomness (150-150 ms, pre-vote off) keeps splitting votes; 150-300 never does", () => {
    const flat = runElectionLine({
      timeoutMs: [150, 150],
      trials: 10,
      seed: 4,
      preVote: false,
      capMs: 2000,
    });
    const random = runElectionLine({
      timeoutMs: [150, 300],
      trials: 10,
      seed: 4,
      preVote: false,
      capMs: 2000,
    });
    expect(flat.trials.filter((r) => r.censored).length).toBeGreaterThanOrEqual(5);
    expect(random.trials.filter((r) => r.censored).length).toBe(0);
    const medianTerms = flat.trials.map((r) => r.electionTerms).sort((x, y) => x - y)[5]!;
    expect(medianTerms).toBeGreaterThan(5); // many elections, each a split vote
  });

  test("shorter timeouts (12-24 ms) elect faster than 150-300 ms on average", () => {
    const mean = (lo: number, hi: number) => {
      const line = runElectionLine({ timeoutMs: [lo, hi], trials: 30, seed: 8, preVote: true });
      return line.trials.reduce((s, r) => s + r.timeWithoutLeaderMs, 0) / line.trials.length;
    };
    expect(mean(12, 24)).toBeLessThan(mean(150, 300) / 2);
  });

  test("bad options are refused", () => {
    expect(() => runElectionTrial({ timeoutMs: [300, 150], seed: 1, preVote: false })).toThrow(
      /timeoutMs/,
    );
    expect(() =>
      runElectionLine({ timeoutMs: [150, 300], trials: 0, seed: 1, preVote: false }),
    ).toThrow(/trials/);
  });

  test("§5.2/Figure 2: the paper timer rule reaches the trial; ineligible candidates no longer restart everyone", () => {
    const mean = (rule: "etcd" | "paper") => {
      const line = runElectionLine({
        timeoutMs: [150, 300],
        trials: 20,
        seed: 11,
        preVote: false,
        electionTimerReset: rule,
      });
      expect(line.electionTimerReset).toBe(rule);
      return line.trials.reduce((s, r) => s + r.timeWithoutLeaderMs, 0) / line.trials.length;
    };
    // Under etcd a laggard's failed candidacy restarts the eligible servers'
    // timers too; under Figure 2 it does not, so downtime is shorter.
    expect(mean("paper")).toBeLessThan(mean("etcd"));
  });

  for (const rule of ["etcd", "paper"] as const) {
    test(`12-24 ms sets up under the ${rule} rule; the crash never lands mid-election`, () => {
      const line = runElectionLine({
        timeoutMs: [12, 24],
        trials: 40,
        seed: 12,
        preVote: false,
        electionTimerReset: rule,
      });
      for (const r of line.trials) {
        expect(r.censored).toBe(false);
        expect(r.crashOffsetMs).toBeLessThan(6);
        // Survivors heard a heartbeat sent after the broadcast >= 7 ms
        // earlier and wait >= 12 ms, and a vote takes a round trip.
        expect(r.timeWithoutLeaderMs).toBeGreaterThanOrEqual(6 + 7 + 14);
      }
    });
  }

  test("syncDelayMs: a node's fsynced messages (votes) leave that much later", () => {
    const electedAtMs = (syncDelayMs: number) => {
      const c = new SimCluster({
        nodes: 3,
        seed: 2,
        electionTimeoutMs: [1000, 2000],
        heartbeatMs: 100,
        network: { delayMs: [1, 1] },
        syncDelayMs,
      });
      c.campaign(0);
      expect(c.runUntil(() => c.leader() === 0, 500)).toBe(true);
      return c.virtualMs;
    };
    expect(electedAtMs(0)).toBeLessThan(3);
    // Candidate fsyncs its term and vote, each voter its vote: 2 x (10 + 1) ms.
    expect(electedAtMs(10)).toBeGreaterThanOrEqual(22);
    expect(electedAtMs(10)).toBeLessThan(24);
  });
});
