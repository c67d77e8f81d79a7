/**
 * The `pipeline-goodput` section: the latency-throughput curve of every
 * target on one figure (p50, p99 and p99.9 of each measured step against its
 * achieved rate; colour = target, shape = percentile), the goodput table per
 * target and SLO, and findings computed from the rows: goodput per target
 * with the boundary's long-step p99s, pinned against unpinned, the soak
 * (10% and 50% of goodput), and issue 13's three targets as hit or miss.
 */

import { scatterChart } from "../report/charts.ts";
import { fmt } from "../report/format.ts";
import { type Row, type SectionBuilder, summaryTable } from "../report/section.ts";
import { median } from "../report/stats.ts";

const PERCENTILES: [string, string][] = [
  ["latencyNsP50", "p50"],
  ["latencyNsP99", "p99"],
  ["latencyNsP999", "p99.9"],
];

/** Registry-style names, so the report's fixed colours apply: queue kind, "compact" or "redis-xadd". */
export function targetLabel(r: Row): string {
  const name =
    r.target === "resp" ? "redis-xadd" : r.topology === "compact" ? "compact" : String(r.queue);
  return r.pinning === "none" ? `${name} (unpinned)` : name;
}

const one = (v: number) => ({ series: "", x: 0, median: v, min: v, max: v });

/** One row per search (its step 0): the search's figures repeat on every step row. */
function searches(rows: readonly Row[]): Row[] {
  return rows.filter((r) => r.step === 0 && r.mode !== "soak");
}

const ms = (ns: number) => `${fmt(ns / 1e6)} ms`;

/**
 * Searches that recorded goodput 0 although some step passed: the boundary
 * check at the highest passing rate failed its majority and the step budget
 * (search.ts MAX_SEARCH_STEPS, the profile's maxSteps) left no room to step
 * down. Their figure is unknown, not zero; say so with what did pass.
 */
function unconfirmedSearches(all: readonly Row[], searchRows: readonly Row[]): string[] {
  const out: string[] = [];
  for (const s of searchRows) {
    if ((s.goodputEventsPerS as number) > 0) continue;
    const same = all.filter(
      (r) => targetLabel(r) === targetLabel(s) && r.sloMs === s.sloMs && r.repeat === s.repeat,
    );
    const passed = same.filter((r) => r.passed === true).map((r) => r.offeredEventsPerS as number);
    if (passed.length === 0) continue;
    const boundary = same.filter((r) => r.phase === "boundary");
    const ok = boundary.filter((r) => r.passed === true).length;
    out.push(
      `${targetLabel(s)} repetition ${s.repeat}: highest passing step ${fmt(Math.max(...passed))}/s, boundary ${ok}/${boundary.length} passed, step budget spent`,
    );
  }
  return out;
}

export const goodputSection: SectionBuilder = (rows) => {
  const curve = rows
    .filter((r) => r.phase !== "no-goodput")
    .flatMap((r) =>
      PERCENTILES.map(([column, name]) => ({
        series: targetLabel(r),
        shape: name,
        x: one((r.achievedEventsPerS as number) / 1e3),
        y: one(Math.max(1e-3, (r[column] as number) / 1e6)),
        label: `${targetLabel(r)} ${name}, step ${r.step} (SLO search ${r.sloMs} ms)`,
      })),
    );
  const findings: string[] = [];
  const bySlo = new Map<number, Row[]>();
  for (const r of searches(rows)) {
    const k = r.sloMs as number;
    bySlo.set(k, [...(bySlo.get(k) ?? []), r]);
  }
  for (const [slo, rs] of [...bySlo].sort((a, b) => b[0] - a[0])) {
    const per = new Map<string, number[]>();
    for (const r of rs)
      per.set(targetLabel(r), [...(per.get(targetLabel(r)) ?? []), r.goodputEventsPerS as number]);
    const parts = [...per].map(([t, v]) => `${t} ${fmt(median(v))}/s`);
    findings.push(`Goodput at p99 <= ${slo} ms (median over repetitions): ${parts.join("; ")}.`);
    const unconfirmed = unconfirmedSearches(rows, rs);
    if (unconfirmed.length)
      findings.push(
        `Not confirmed (0 above means this, not "nothing passed"): ${unconfirmed.join("; ")}.`,
      );
    findings.push(...boundaryFindings(rows, rs));
    if (slo === 5) findings.push(...redisRatioFindings(rows, rs));
  }
  findings.push(...placementFindings(rows), ...soakFindings(rows));
  const loads = rows.map((r) => r.loadAverage1m as number);
  if (loads.length)
    findings.push(
      `Load average (1 min) during the steps: ${fmt(Math.min(...loads))} to ${fmt(Math.max(...loads))} on this host; placement: ${[...new Set(rows.map((r) => r.placement))].join(", ")}.`,
    );
  return {
    charts: [
      {
        name: "latency-vs-achieved",
        title: "p50, p99, p99.9 vs achieved rate (every search step)",
        caption:
          "Each measured step of the goodput searches (both SLOs), open loop, latency from the intended send time: colour is the target, shape the percentile. eventlab and Redis XADD on one figure, same client, same run.",
        spec: scatterChart("pipeline-goodput: latency vs achieved rate", curve, {
          xTitle: "achieved rate (k events/s)",
          yTitle: "e2e latency (ms)",
          seriesTitle: "target",
          shapeTitle: "percentile",
        }),
      },
    ],
    tables: [
      summaryTable(
        "pipeline-goodput: goodput at the SLO (confirmed by the boundary's long steps), median (min–max) over repetitions",
        searches(rows),
        ["target", "queue", "topology", "pinning", "sloMs", "stepS", "boundaryS"],
        [
          { column: "goodputEventsPerS", title: "goodput events/s" },
          { column: "boundaryPassFraction", title: "boundary pass fraction" },
        ],
      ),
    ],
    claims: [],
    findings,
  };
};

/** Rows of the search that `s` (its step 0 row) heads. */
function searchRows(all: readonly Row[], s: Row): Row[] {
  return all.filter(
    (r) =>
      r.mode !== "soak" &&
      targetLabel(r) === targetLabel(s) &&
      r.sloMs === s.sloMs &&
      r.repeat === s.repeat,
  );
}

/** The lowest rate a ramp or bisection step of the search headed by `s` failed at (0: none failed). */
function lowestFail(all: readonly Row[], s: Row): number {
  const failed = searchRows(all, s)
    .filter((r) => (r.phase === "ramp" || r.phase === "bisect") && r.passed !== true)
    .map((r) => r.ratePerS as number);
  return failed.length ? Math.min(...failed) : 0;
}

/** Per confirmed search: the long boundary steps' p99 at the goodput rate (median, min-max, n) and the bracket. */
function boundaryFindings(all: readonly Row[], searchHeads: readonly Row[]): string[] {
  const out: string[] = [];
  for (const s of searchHeads) {
    const g = s.goodputEventsPerS as number;
    if (!(g > 0)) continue;
    const long = searchRows(all, s).filter((r) => r.phase === "boundary" && r.ratePerS === g);
    if (long.length === 0) continue;
    const p99 = long.map((r) => r.latencyNsP99 as number);
    const fail = lowestFail(all, s);
    const rep = all.some((r) => (r.repeat as number) > 0) ? ` (repetition ${s.repeat})` : "";
    out.push(
      `${targetLabel(s)}${rep} at p99 <= ${s.sloMs} ms: goodput ${fmt(g)}/s confirmed by ${long.filter((r) => r.passed === true).length}/${long.length} steps of ${fmt((long[0]!.durationS as number) || (long[0]!.stepS as number))} s, p99 there ${ms(median(p99))} (${ms(Math.min(...p99))}-${ms(Math.max(...p99))})${fail ? `; a short step failed at ${fmt(fail)}/s` : ""}.`,
    );
  }
  return out;
}

/**
 * eventlab / Redis goodput at p99 <= 5 ms against the 3x target, with the
 * search's bracket as the interval: low end = eventlab's confirmed goodput
 * over the lowest rate Redis failed at, high end = the lowest rate eventlab
 * failed at over Redis's goodput. Hit only if the low end is >= 3.
 */
function redisRatioFindings(all: readonly Row[], heads: readonly Row[]): string[] {
  const redis = heads.filter((r) => targetLabel(r) === "redis-xadd");
  if (redis.length === 0) return [];
  const rg = median(redis.map((r) => r.goodputEventsPerS as number));
  if (!(rg > 0)) return ["Redis XADD reached no goodput at p99 <= 5 ms in this run: no ratio."];
  const rFail = Math.max(...redis.map((r) => lowestFail(all, r)));
  const out: string[] = [];
  for (const t of [...new Set(heads.map(targetLabel))]) {
    if (t === "redis-xadd") continue;
    const e = heads.filter((r) => targetLabel(r) === t);
    const eg = median(e.map((r) => r.goodputEventsPerS as number));
    const eFail = Math.max(...e.map((r) => lowestFail(all, r)));
    const low = rFail > 0 ? eg / rFail : 0;
    const high = eFail > 0 ? eFail / rg : Number.POSITIVE_INFINITY;
    const verdict = low >= 3 ? "hit" : high < 3 ? "miss" : "undecided within the search's steps";
    out.push(
      `Target eventlab ${t} / Redis XADD goodput at p99 <= 5 ms >= 3x: ${verdict} (${fmt(eg / rg)}x; bracket ${fmt(low)}x-${Number.isFinite(high) ? `${fmt(high)}x` : "open"}).`,
    );
  }
  return out;
}

/** Pinned against unpinned compact: goodput at each SLO both ran, and p99 at the offered rates both measured. */
function placementFindings(rows: readonly Row[]): string[] {
  const search = rows.filter((r) => r.mode === "search" && r.topology === "compact");
  const pinned = search.filter((r) => r.pinning === "split" && r.sloMs === 5);
  const free = search.filter((r) => r.pinning === "none" && r.sloMs === 5);
  if (pinned.length === 0 || free.length === 0) return [];
  const pairs: string[] = [];
  for (const f of free) {
    const p = pinned.find((r) => r.ratePerS === f.ratePerS && r.phase === f.phase);
    if (!p) continue;
    pairs.push(
      `${fmt(f.ratePerS as number)}/s ${f.phase}: p99 ${ms(p.latencyNsP99 as number)} pinned vs ${ms(f.latencyNsP99 as number)} unpinned`,
    );
  }
  const g = (rs: Row[]) => fmt((rs[0]?.goodputEventsPerS as number) ?? 0);
  return [
    `Placement (compact, p99 <= 5 ms): goodput ${g(pinned)}/s pinned (server and load generator on separate CPUs) vs ${g(free)}/s unpinned${pairs.length ? `; at equal offered rates: ${pairs.join("; ")}` : ""}.`,
  ];
}

/** The soak point: p99 at 10% of goodput against 1 ms, and samples over 50 ms at 50% for the soak's length. */
function soakFindings(rows: readonly Row[]): string[] {
  const soak = rows.filter((r) => r.mode === "soak");
  const tenth = soak.find((r) => r.phase === "at-10pct");
  const half = soak.find((r) => r.phase === "soak");
  if (soak.length > 0 && !tenth)
    return ["Soak not run: the target reached no goodput at p99 <= 5 ms to take 10% and 50% of."];
  const out: string[] = [];
  if (tenth)
    out.push(
      `Target p99 at 10% of goodput <= 1 ms (${targetLabel(tenth)}, placement ${tenth.placement}, ${fmt(tenth.offeredEventsPerS as number)}/s for ${fmt(tenth.durationS as number)} s): ${(tenth.latencyNsP99 as number) <= 1e6 ? "hit" : "miss"} (p50 ${ms(tenth.latencyNsP50 as number)}, p99 ${ms(tenth.latencyNsP99 as number)}, max ${ms(tenth.latencyNsMax as number)}).`,
    );
  if (half)
    out.push(
      `Target no sample > 50 ms at 50% of goodput (${targetLabel(half)}, placement ${half.placement}, ${fmt(half.offeredEventsPerS as number)}/s for ${fmt(half.durationS as number)} s): ${half.passed === true ? "hit" : "miss"} (${half.samplesOver50Ms} batches over 50 ms${half.samplesOver50Ms ? `: ${half.samplesOver50MsAt}` : ""}; p99 ${ms(half.latencyNsP99 as number)}, max ${ms(half.latencyNsMax as number)}).`,
    );
  return out;
}
