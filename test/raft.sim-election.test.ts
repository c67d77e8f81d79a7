/**
 * The Figure 16 election trial (Raft paper §9.3; impl/raft/sim/election-trial.ts):
 * a trial is a pure function of its options (same seed, same result); the
 * downtime is never below half the minimum timeout (the crash comes within
 * a heartbeat interval, which is half of it) and the winner is never one of
 * the two laggards (§5.4.1, asserted inside the trial); randomized timeouts
 * resolve quickly while no randomness produces long runs of split votes
 * (§5.2, the paper's "> 10 s" line, here with a 2 s cap to stay fast).
 */
import { describe, expect, test } from "bun:test";
import { runElectionLine, runElectionTrial } from "../impl/raft/sim/election-trial.ts";

describe("election trial (Figure 16)", () => {
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
});
