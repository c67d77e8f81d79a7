/**
 * raft-election: one tiny line of Figure 16 (12-24 ms, 3 trials) runs through
 * the experiment's run() and returns a row its rowSchema accepts, with
 * percentiles in order (P00 <= P50 <= P100) and the mean inside [min, max];
 * the same seed gives the same row (the simulation is deterministic).
 * How: run() called inline; no wall-clock figure is asserted.
 */
import { expect, test } from "bun:test";
import raftElection, { percentileColumn } from "../experiments/raft-election.ts";

const RUN_TIMEOUT_MS = 60_000;

test(
  "a 3-trial 12-24 ms line yields ordered percentiles and is deterministic per seed",
  async () => {
    type Point = Parameters<typeof raftElection.run>[0];
    const point = raftElection.paramsSchema.parse({
      timeoutMinMs: 12,
      timeoutMaxMs: 24,
      preVote: false,
      trials: 3,
      capMs: 10_000,
    }) as Point;
    const ctx = {
      seed: 5,
      repeat: 0,
      profile: "quick" as const,
      signal: new AbortController().signal,
    };
    const a = await raftElection.run(point, ctx);
    const row = raftElection.rowSchema.parse({ ...point, repeat: 0, seed: 5, ...a }) as Record<
      string,
      number
    >;
    const p0 = row[percentileColumn(0)]!;
    const p50 = row[percentileColumn(50)]!;
    const p100 = row[percentileColumn(100)]!;
    expect(p0).toBeGreaterThan(0);
    expect(p0).toBeLessThanOrEqual(p50);
    expect(p50).toBeLessThanOrEqual(p100);
    expect(row.timeWithoutLeaderMsMean!).toBeGreaterThanOrEqual(p0);
    expect(row.timeWithoutLeaderMsMean!).toBeLessThanOrEqual(p100);
    expect(row.censored).toBe(0);
    expect(await raftElection.run(point, ctx)).toEqual(a);
  },
  RUN_TIMEOUT_MS,
);
