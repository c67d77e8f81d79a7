/**
 * raft-election (Raft paper Figure 16, §9.3): one tiny line (12-24 ms, 4
 * trials) runs through the experiment's run() and returns one row per trial
 * that its rowSchema accepts: trials numbered 0..3, each time at least half
 * the minimum timeout (the leader is crashed within its heartbeat interval,
 * §9.3: "the smallest possible downtime was about half of the minimum
 * election timeout") and below the cap, none censored; a trial replays alone
 * from its trialSeed; the same seed gives the same rows (deterministic
 * simulation). The grids put the reduced trial counts only on the pre-vote-off
 * 150-150/150-151 lines, and run both timer rules. A trial seed whose setup
 * used to fail (12-24 ms, seed 76602419) runs under both timer rules.
 * How: run() called inline; no wall-clock figure is asserted.
 */
import { expect, test } from "bun:test";
import raftElection from "../experiments/raft-election/experiment.ts";
import { expandGrid } from "../experiments/runner/grid.ts";
import { runElectionTrial } from "../impl/raft/sim/election-trial.ts";

const RUN_TIMEOUT_MS = 60_000;

test(
  "a 4-trial 12-24 ms line yields one valid row per trial, replayable per trial and per seed",
  async () => {
    type Point = Parameters<typeof raftElection.run>[0];
    const point = raftElection.paramsSchema.parse({
      figure: "bottom",
      timeoutMinMs: 12,
      timeoutMaxMs: 24,
      preVote: false,
      timerRule: "paper",
      trials: 4,
      capMs: 10_000,
      oneWayDelayMinMs: 7,
      oneWayDelayMaxMs: 8,
      syncDelayMs: 0,
    }) as Point;
    const ctx = {
      seed: 5,
      repeat: 0,
      profile: "quick" as const,
      signal: new AbortController().signal,
    };
    const out = await raftElection.run(point, ctx);
    expect(Array.isArray(out)).toBe(true);
    const rows = (out as Record<string, unknown>[]).map(
      (m) =>
        raftElection.rowSchema.parse({ ...point, repeat: 0, seed: 5, ...m }) as Record<
          string,
          number
        >,
    );
    expect(rows.map((r) => r.trial)).toEqual([0, 1, 2, 3]);
    for (const r of rows) {
      expect(r.timeWithoutLeaderMs!).toBeGreaterThanOrEqual(6);
      expect(r.timeWithoutLeaderMs!).toBeLessThan(10_000);
      expect(r.censored as unknown).toBe(false);
    }
    expect(new Set(rows.map((r) => r.trialSeed)).size).toBe(4);
    const replay = runElectionTrial({
      timeoutMs: [12, 24],
      seed: rows[2]!.trialSeed!,
      preVote: false,
      electionTimerReset: "paper",
      oneWayDelayMs: [7, 8],
      syncDelayMs: 0,
      capMs: 10_000,
    });
    expect(Number(replay.timeWithoutLeaderMs.toFixed(3))).toBe(rows[2]!.timeWithoutLeaderMs!);
    expect(await raftElection.run(point, ctx)).toEqual(out);
  },
  RUN_TIMEOUT_MS,
);

test("grids: both graphs, both timer rules, fewer trials only where votes split to the cap", () => {
  for (const profile of ["quick", "full"] as const) {
    const points = expandGrid(raftElection, profile).points;
    // 6 top + 5 bottom lines x pre-vote off/on x 2 timer rules.
    expect(points).toHaveLength(44);
    const normal = profile === "quick" ? 100 : 1000;
    for (const p of points) {
      const reduced = !p.preVote && p.timeoutMinMs === 150 && p.timeoutMaxMs <= 151;
      if (reduced) expect(p.trials).toBeLessThan(normal);
      else expect(p.trials).toBe(normal);
    }
  }
});

test("a trial whose setup once failed ('no stable leader to crash after 20 attempts') now runs", () => {
  // 12-24 ms against a 15 ms round trip deposed fresh leaders; setup now runs on a fast network.
  for (const electionTimerReset of ["etcd", "paper"] as const) {
    const r = runElectionTrial({
      timeoutMs: [12, 24],
      seed: 76602419,
      preVote: false,
      electionTimerReset,
    });
    expect(r.censored).toBe(false);
    expect(r.timeWithoutLeaderMs).toBeGreaterThanOrEqual(6);
  }
});
