/**
 * The measurement core's runners, checked for structure, never for speed:
 * - runInterleaved runs every contender once per block in the seeded order
 *   of interleavedSchedule, warms each up (once, or before every trial when
 *   asked), files each trial's figure under its block, and records a trial
 *   that threw as NaN with its message instead of aborting the run;
 * - runDuet runs two workloads in two Workers (test/workers/duet-spin.ts),
 *   returns a figure per block for both with mode "duet", and no trial of a
 *   block starts before both workers reached the barrier (timestamps on the
 *   shared monotonic clock); a module without the named workload is refused
 *   with an error naming it.
 */
import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import { runDuet } from "../experiments/measure/duet.ts";
import { pairedRatios, ratioInterval } from "../experiments/measure/estimate.ts";
import { interleavedSchedule } from "../experiments/measure/schedule.ts";
import { allSteady, type Contender, runInterleaved } from "../experiments/measure/trials.ts";

/** A contender whose figures are fixed numbers, logging what ran. */
function fake(name: string, figure: number, log: string[], failBlock = -1): Contender {
  return {
    name,
    warmupChunk: () => {
      log.push(`${name}:warm`);
      return 1000;
    },
    trial: (b) => {
      log.push(`${name}:${b}`);
      if (b === failBlock) throw new Error(`${name} failed in block ${b}`);
      return figure + b;
    },
  };
}

describe("runInterleaved", () => {
  test("runs the seeded balanced order, warming each contender up once", async () => {
    const log: string[] = [];
    const r = await runInterleaved(
      [fake("a", 100, log), fake("b", 200, log), fake("c", 300, log)],
      {
        blocks: 6,
        seed: 42,
      },
    );
    expect(r.mode).toBe("interleaved");
    expect(r.order).toEqual(interleavedSchedule(3, 6, 42));
    const trials = log.filter((l) => !l.endsWith(":warm"));
    expect(trials).toEqual(r.order.flatMap((block, b) => block.map((c) => `${"abc"[c]}:${b}`)));
    expect(log.filter((l) => l.endsWith(":warm"))).toHaveLength(3 * 8); // one window of 8 chunks each
    expect(r.values[1]).toEqual([200, 201, 202, 203, 204, 205]);
    expect(allSteady(r)).toBe(true);
  });

  test("warmupEveryTrial warms up before every trial", async () => {
    const log: string[] = [];
    const r = await runInterleaved([fake("a", 1, log), fake("b", 2, log)], {
      blocks: 4,
      seed: 1,
      warmupEveryTrial: true,
    });
    expect(r.warmups.map((w) => w.length)).toEqual([4, 4]);
  });

  test("a trial that throws is NaN with its message; the run goes on", async () => {
    const log: string[] = [];
    const r = await runInterleaved([fake("a", 10, log, 2), fake("b", 20, log)], {
      blocks: 4,
      seed: 3,
    });
    expect(Number.isNaN(r.values[0]![2]!)).toBe(true);
    expect(r.errors[0]![2]).toBe("a failed in block 2");
    expect(r.values[0]![3]).toBe(13);
    expect(pairedRatios(r.values[0]!, r.values[1]!, true)).toHaveLength(3);
  });
});

describe("runDuet", () => {
  const modulePath = join(import.meta.dir, "workers", "duet-spin.ts");

  test("runs both workloads at once, behind a barrier, per block", async () => {
    const blocks = 6;
    const r = await runDuet(
      [
        { name: "single", modulePath, exportName: "single" },
        { name: "double", modulePath, exportName: "double" },
      ],
      { blocks, seed: 9, warmup: { maxChunks: 40 } },
    );
    expect(r.mode).toBe("duet");
    expect(r.names).toEqual(["single", "double"]);
    for (const side of r.values) {
      expect(side).toHaveLength(blocks);
      for (const v of side) expect(v).toBeGreaterThan(0);
    }
    expect(r.warmups.map((w) => w[0]!.chunks > 0)).toEqual([true, true]);
    for (let b = 0; b < blocks; b++) {
      const [s, d] = [r.timings[0]![b]!, r.timings[1]![b]!];
      const bothArrived = Math.max(s.arrivedNs, d.arrivedNs);
      expect(s.startNs).toBeGreaterThanOrEqual(bothArrived);
      expect(d.startNs).toBeGreaterThanOrEqual(bothArrived);
    }
    const i = ratioInterval(pairedRatios(r.values[1]!, r.values[0]!, false));
    expect(i.lo).toBeLessThanOrEqual(i.hi);
  });

  test("a module without the named workload is refused, naming it", async () => {
    await expect(
      runDuet(
        [
          { name: "single", modulePath, exportName: "single" },
          { name: "nope", modulePath, exportName: "nope" },
        ],
        { blocks: 2, seed: 1 },
      ),
    ).rejects.toThrow(/exports no workload "nope"/);
  });
});
