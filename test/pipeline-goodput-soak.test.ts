/**
 * The goodput experiment's soak (experiments/pipeline-goodput/soak.ts) with
 * a scripted measurement (no sockets): it runs at 10% and 50% of the best
 * goodput the run's searches remembered for its target, with that search's
 * pinning; the 10% step passes only at p99 <= 1 ms, the 50% step only with
 * no sample over 50 ms; with no goodput it writes one "no-goodput" row.
 */
import { expect, test } from "bun:test";
import type { StepResult } from "../experiments/pipeline-goodput/measure.ts";
import { rememberGoodput, runSoak } from "../experiments/pipeline-goodput/soak.ts";

const base = { target: "eventlab", queue: "-", sloMs: 5, stepS: 0.5, boundaryS: 10, soakS: 60 };

function scripted(p99Ns: number, slow: StepResult["slow"], calls: string[]) {
  return (pinning: string) => async (rate: number, durationS: number) => {
    calls.push(`${pinning} ${rate} ${durationS}`);
    const m: StepResult = {
      offeredPerS: rate,
      achievedPerS: rate,
      p50Ns: 3e5,
      p99Ns,
      p999Ns: p99Ns,
      maxNs: p99Ns,
      errors: 0,
      slow: durationS === 60 ? slow : [],
    };
    return { m, loadAverage: 1 };
  };
}

test("runs at 10% and 50% of the best remembered goodput, with its pinning", async () => {
  const p = { ...base, topology: "compact", pinning: "split" as const };
  rememberGoodput({ ...p, pinning: "split" }, 0);
  rememberGoodput({ ...p, pinning: "none" }, 84_000);
  const calls: string[] = [];
  const slow = [{ atS: 12.5, latencyNs: 61e6 }];
  const r = await runSoak(p, scripted(0.8e6, slow, calls), (s) => `${s.length} slow`);
  expect(r.pinning).toBe("none");
  expect(calls).toEqual(["none 8400 10", "none 42000 60"]);
  expect(r.rows.map((x) => [x.phase, x.passed, x.samplesOver50Ms])).toEqual([
    ["at-10pct", true, 0],
    ["soak", false, 1],
  ]);
});

test("the 10% step fails above 1 ms; no goodput gives one no-goodput row", async () => {
  const p = { ...base, topology: "staged", pinning: "split" as const };
  rememberGoodput(p, 50_000);
  const r = await runSoak(p, scripted(1.2e6, [], []), () => "");
  expect(r.rows.map((x) => [x.phase, x.passed])).toEqual([
    ["at-10pct", false],
    ["soak", true],
  ]);
  const q = { ...base, queue: "mutex", topology: "staged", pinning: "split" as const };
  rememberGoodput(q, 0);
  const none = await runSoak(q, scripted(1e6, [], []), () => "");
  expect(none.rows.map((x) => x.phase)).toEqual(["no-goodput"]);
});
