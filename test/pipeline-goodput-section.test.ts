/**
 * The pipeline-goodput report section on hand-made rows: a search that
 * records goodput 0 although steps passed (its boundary repeats failed and
 * the step budget ran out) is named as "not confirmed" with its highest
 * passing step, so a 0 in the goodput line is never read as "nothing
 * passed"; a search where nothing passed, and a confirmed one, are not named.
 */
import { expect, test } from "bun:test";
import experiment from "../experiments/pipeline-goodput/experiment.ts";
import { goodputSection } from "../experiments/pipeline-goodput/section.ts";
import type { Row } from "../experiments/report/section.ts";
import type { Experiment } from "../experiments/runner/types.ts";

function step(
  target: { queue: string; topology: string },
  sloMs: number,
  n: number,
  phase: string,
  ratePerS: number,
  passed: boolean,
  goodput: number,
): Row {
  return {
    target: "eventlab",
    queue: target.queue,
    topology: target.topology,
    sloMs,
    stepS: 1.5,
    repeat: 0,
    seed: 1,
    step: n,
    phase,
    ratePerS,
    offeredEventsPerS: ratePerS,
    achievedEventsPerS: ratePerS,
    latencyNsP50: 3e5,
    latencyNsP99: passed ? 4e6 : 6e6,
    latencyNsP999: 7e6,
    latencyNsMax: 9e6,
    passed,
    goodputEventsPerS: goodput,
    boundaryPassFraction: 0,
    placement: "server cpu 0, load cpu 1",
    loadAverage1m: 1,
  };
}

test("a 0 whose steps passed is reported as not confirmed, with its highest passing step", () => {
  const compact = { queue: "-", topology: "compact" };
  const fanIn = { queue: "fan-in", topology: "staged" };
  const rows: Row[] = [
    step(compact, 5, 0, "ramp", 1_000_000, true, 0),
    step(compact, 5, 1, "ramp", 2_000_000, true, 0),
    step(compact, 5, 2, "ramp", 4_000_000, false, 0),
    step(compact, 5, 3, "boundary", 2_000_000, false, 0),
    step(compact, 5, 4, "boundary", 2_000_000, true, 0),
    step(compact, 5, 5, "boundary", 2_000_000, false, 0),
    step(compact, 1, 0, "ramp", 100_000, false, 0), // nothing passed: a true 0
    step(fanIn, 5, 0, "ramp", 500_000, true, 500_000),
  ];
  const out = goodputSection(rows, experiment as unknown as Experiment);
  const notConfirmed = out.findings.filter((f) => f.startsWith("Not confirmed"));
  expect(notConfirmed).toHaveLength(1);
  expect(notConfirmed[0]).toContain(
    "compact repetition 0: highest passing step 2M/s, boundary 1/3 passed",
  );
  expect(notConfirmed[0]).not.toContain("fan-in");
});
