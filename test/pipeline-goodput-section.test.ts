/**
 * The pipeline-goodput report section on hand-made rows: a search that
 * records goodput 0 although steps passed (its boundary repeats failed and
 * the step budget ran out) is named as "not confirmed" with its highest
 * passing step, so a 0 in the goodput line is never read as "nothing
 * passed"; a search where nothing passed, and a confirmed one, are not named.
 * The targets are judged from the rows: the 3x-Redis ratio is a hit only when
 * even the bracket's low end (eventlab's goodput over the lowest rate Redis
 * failed at) reaches 3, a miss when its high end stays below; the soak's
 * 10% step is a hit at p99 <= 1 ms and its 50% step only with no sample over
 * 50 ms; pinned and unpinned compact are compared at equal offered rates.
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
  extra: Partial<Row> = {},
): Row {
  return {
    mode: "search",
    target: "eventlab",
    queue: target.queue,
    topology: target.topology,
    pinning: "split",
    sloMs,
    stepS: 0.5,
    boundaryS: 10,
    soakS: 0,
    repeat: 0,
    seed: 1,
    step: n,
    phase,
    ratePerS,
    durationS: phase === "boundary" ? 10 : 0.5,
    offeredEventsPerS: ratePerS,
    achievedEventsPerS: ratePerS,
    latencyNsP50: 3e5,
    latencyNsP99: passed ? 4e6 : 6e6,
    latencyNsP999: 7e6,
    latencyNsMax: 9e6,
    passed,
    goodputEventsPerS: goodput,
    lowestFailEventsPerS: 0,
    boundaryPassFraction: 0,
    samplesOver50Ms: 0,
    samplesOver50MsAt: "",
    placement: "server cpu 0, load cpu 1",
    loadAverage1m: 1,
    ...extra,
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

const compact = { queue: "-", topology: "compact" };
const redis = (n: number, phase: string, rate: number, passed: boolean, extra: Partial<Row> = {}) =>
  step({ queue: "redis-xadd", topology: "-" }, 5, n, phase, rate, passed, 100_000, {
    target: "resp",
    ...extra,
  });

function findingsOf(rows: Row[]): string[] {
  return goodputSection(rows, experiment as unknown as Experiment).findings;
}

test("3x Redis: hit only if the bracket's low end reaches 3, miss if its high end stays below", () => {
  // The bracket's top is the lowest rate a ramp or bisection step failed at.
  const eventlab = (goodput: number, fail: number) => [
    step(compact, 5, 0, "ramp", goodput, true, goodput),
    step(compact, 5, 1, "ramp", fail, false, goodput),
    step(compact, 5, 2, "boundary", goodput, true, goodput),
  ];
  const base = [redis(0, "ramp", 100_000, true), redis(1, "ramp", 120_000, false)];
  const line = (rows: Row[]) => findingsOf(rows).find((f) => f.includes(">= 3x"))!;
  expect(line([...base, ...eventlab(400_000, 450_000)])).toContain(": hit"); // 400k / 120k = 3.3
  expect(line([...base, ...eventlab(200_000, 250_000)])).toContain(": miss"); // 250k / 100k = 2.5
  expect(line([...base, ...eventlab(320_000, 400_000)])).toContain("undecided");
});

test("soak: 10% step judged against 1 ms, 50% step against any sample over 50 ms", () => {
  const soak = (n: number, phase: string, rate: number, p99: number, slow: number) =>
    step(compact, 5, n, phase, rate, slow === 0, 500_000, {
      mode: "soak",
      soakS: 60,
      latencyNsP99: p99,
      samplesOver50Ms: slow,
      samplesOver50MsAt: slow ? "12.50 s: 61.0 ms" : "",
      durationS: phase === "soak" ? 60 : 10,
    });
  const f1 = findingsOf([soak(0, "at-10pct", 50_000, 0.8e6, 0), soak(1, "soak", 250_000, 3e6, 0)]);
  expect(f1.find((f) => f.includes("10% of goodput"))).toContain(": hit");
  expect(f1.find((f) => f.includes("> 50 ms"))).toContain(": hit");
  const f2 = findingsOf([soak(0, "at-10pct", 50_000, 1.2e6, 0), soak(1, "soak", 250_000, 3e6, 1)]);
  expect(f2.find((f) => f.includes("10% of goodput"))).toContain(": miss");
  const half = f2.find((f) => f.includes("> 50 ms"))!;
  expect(half).toContain(": miss");
  expect(half).toContain("12.50 s: 61.0 ms");
});

test("placement: pinned and unpinned compact compared at equal offered rates", () => {
  const rows = [
    step(compact, 5, 0, "ramp", 100_000, true, 400_000),
    step(compact, 5, 0, "ramp", 100_000, true, 300_000, {
      pinning: "none",
      latencyNsP99: 2e6,
    }),
  ];
  const f = findingsOf(rows).find((x) => x.startsWith("Placement"))!;
  expect(f).toContain("400k/s pinned");
  expect(f).toContain("300k/s unpinned");
  expect(f).toContain("p99 4 ms pinned vs 2 ms unpinned");
});
