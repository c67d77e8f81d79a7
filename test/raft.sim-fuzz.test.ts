/**
 * The fuzzer in the test suite: 200 seeds, 40 of each fault schedule family
 * (random mix; leader crashes at protocol moments; Figure 8 churn, §5.4.2;
 * one-way link cuts; clock skew), each checked for safety after every event
 * (Figure 3 properties, the term rule, persistence before reply),
 * linearizability of its KV client history, agreement of applied histories
 * and liveness after healing, under an event and a virtual-time budget (a
 * livelock fails, it cannot hang the suite). STRESS=1 runs 10,000 seeds. A
 * failure names the seed, its family, the invariant and the replay command.
 */
import { describe, expect, test } from "bun:test";
import { runFuzzSeed } from "../impl/raft/sim/fuzz.ts";
import { FAULT_FAMILIES } from "../impl/raft/sim/fuzz-schedules.ts";

const STRESS = process.env.STRESS === "1";
const SEEDS = STRESS ? 10_000 : 200;

describe("raft fuzz", () => {
  test(
    `${SEEDS} seeds of random faults: no safety, linearizability or liveness failure`,
    () => {
      const failures: string[] = [];
      let ops = 0;
      const families = new Set<string>();
      for (let seed = 1; seed <= SEEDS; seed++) {
        const r = STRESS ? runFuzzSeed(seed) : runFuzzSeed(seed, { faultMs: 2000, healMs: 2000 });
        ops += r.opsCompleted;
        families.add(r.family);
        if (!r.ok) {
          const flags = STRESS ? "" : " --fault-ms 2000 --heal-ms 2000";
          failures.push(
            `seed ${seed} (family ${r.family}, invariant ${r.invariant}): ${r.error}\n  replay: bun run raft:fuzz --from ${seed} --seeds 1${flags}`,
          );
        }
      }
      if (failures.length > 0)
        throw new Error(`${failures.length} failing seeds:\n${failures.slice(0, 10).join("\n")}`);
      expect(ops).toBeGreaterThan(SEEDS * 10);
      expect(families.size).toBe(FAULT_FAMILIES.length);
    },
    STRESS ? 6 * 3600_000 : 120_000,
  );
});
