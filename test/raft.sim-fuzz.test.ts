/**
 * The fuzzer in the test suite: randomized fault schedules (partitions,
 * crashes/restarts, disconnects, drop, duplicate, reorder, long delays,
 * leadership transfers, snapshots) over 200 seeds, each checked for safety
 * after every event, linearizability of its KV client history, agreement of
 * applied histories and liveness after healing. STRESS=1 runs 10,000 seeds.
 * A failure names the seed and the command that replays it.
 */
import { describe, expect, test } from "bun:test";
import { runFuzzSeed } from "../impl/raft/sim/fuzz.ts";

const STRESS = process.env.STRESS === "1";
const SEEDS = STRESS ? 10_000 : 200;

describe("raft fuzz", () => {
  test(
    `${SEEDS} seeds of random faults: no safety, linearizability or liveness failure`,
    () => {
      const failures: string[] = [];
      let ops = 0;
      for (let seed = 1; seed <= SEEDS; seed++) {
        const r = STRESS ? runFuzzSeed(seed) : runFuzzSeed(seed, { faultMs: 2000, healMs: 2000 });
        ops += r.opsCompleted;
        if (!r.ok) {
          const flags = STRESS ? "" : " --fault-ms 2000 --heal-ms 2000";
          failures.push(
            `seed ${seed}: ${r.error}\n  replay: bun run raft:fuzz --from ${seed} --seeds 1${flags}`,
          );
        }
      }
      if (failures.length > 0)
        throw new Error(`${failures.length} failing seeds:\n${failures.slice(0, 10).join("\n")}`);
      expect(ops).toBeGreaterThan(SEEDS * 10);
    },
    STRESS ? 6 * 3600_000 : 120_000,
  );
});
