/**
 * The `pipeline-goodput` section: the latency-throughput curve of every
 * target on one figure (p50, p99 and p99.9 of each measured step against its
 * achieved rate; colour = target, shape = percentile), the goodput table per
 * target and SLO (median, min-max over repetitions), and findings computed
 * from the rows: goodput per target, eventlab / Redis at p99 <= 5 ms against
 * the 3x target.
 */

import { decideClaim } from "../measure/decide.ts";
import { scatterChart } from "../report/charts.ts";
import { fmt } from "../report/format.ts";
import { fmtPairedRatio, pairedRatioInterval } from "../report/ratio.ts";
import { type Row, type SectionBuilder, summaryTable } from "../report/section.ts";
import { median } from "../report/stats.ts";

const PERCENTILES: [string, string][] = [
  ["latencyNsP50", "p50"],
  ["latencyNsP99", "p99"],
  ["latencyNsP999", "p99.9"],
];

/** Registry-style names, so the report's fixed colours apply: queue kind, "compact" or "redis-xadd". */
export function targetLabel(r: Row): string {
  if (r.target === "resp") return "redis-xadd";
  return r.topology === "compact" ? "compact" : String(r.queue);
}

const one = (v: number) => ({ series: "", x: 0, median: v, min: v, max: v });

/** One row per search (its step 0): the search's figures repeat on every step row. */
function searches(rows: readonly Row[]): Row[] {
  return rows.filter((r) => r.step === 0);
}

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
  const curve = rows.flatMap((r) =>
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
    // The same figures keyed by repetition, so a ratio pairs the two targets' repetitions.
    const perRepeat = new Map<string, Map<number, number>>();
    for (const r of rs) {
      per.set(targetLabel(r), [...(per.get(targetLabel(r)) ?? []), r.goodputEventsPerS as number]);
      const m = perRepeat.get(targetLabel(r)) ?? new Map<number, number>();
      m.set(r.repeat as number, r.goodputEventsPerS as number);
      perRepeat.set(targetLabel(r), m);
    }
    const parts = [...per].map(([t, v]) => `${t} ${fmt(median(v))}/s`);
    findings.push(`Goodput at p99 <= ${slo} ms (median over repetitions): ${parts.join("; ")}.`);
    const unconfirmed = unconfirmedSearches(rows, rs);
    if (unconfirmed.length)
      findings.push(
        `Not confirmed (0 above means this, not "nothing passed"): ${unconfirmed.join("; ")}.`,
      );
    const redis = per.get("redis-xadd");
    if (slo === 5 && redis && median(redis) > 0) {
      for (const [t, v] of per) {
        if (t === "redis-xadd") continue;
        if (v.length === 0) continue;
        const p = pairedRatioInterval(perRepeat.get(t)!, perRepeat.get("redis-xadd")!);
        const verdict = p.interval ? decideClaim(p.interval, 3) : "not established";
        findings.push(
          `eventlab ${t} / Redis XADD at p99 <= 5 ms: ${fmtPairedRatio(p)} (target >= 3x: ${verdict}).`,
        );
      }
    } else if (slo === 5) {
      findings.push("Redis XADD reached no goodput at p99 <= 5 ms in this run: no ratio.");
    }
  }
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
        "pipeline-goodput: goodput at the SLO, median (min–max) over repetitions",
        searches(rows),
        ["target", "queue", "topology", "sloMs", "stepS"],
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
