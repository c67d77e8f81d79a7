/**
 * The `pipeline-goodput` section: the latency-throughput curve of every
 * target on one figure (p50, p99 and p99.9 of each measured step against its
 * achieved rate; colour = target, shape = percentile), the goodput table per
 * target and SLO (median over the rounds of long steps, min-max, how each
 * round ended, the lowest long failing rate; "not confirmed" rows say so),
 * and findings computed from the rows: goodput per target, the p99 of the
 * long steps at each round's goodput, and (targets.ts) issue 13's three
 * targets as hit or miss, pinned against unpinned.
 */

import { scatterChart } from "../report/charts.ts";
import { fmt } from "../report/format.ts";
import type { Row, SectionBuilder, Table } from "../report/section.ts";
import { median } from "../report/stats.ts";
import {
  goodputText,
  outcomeText,
  type SearchSummary,
  searchSummaries,
  targetLabel,
} from "./summary.ts";
import { placementFindings, redisRatioFindings, soakFindings } from "./targets.ts";

export { targetLabel };

const PERCENTILES: [string, string][] = [
  ["latencyNsP50", "p50"],
  ["latencyNsP99", "p99"],
  ["latencyNsP999", "p99.9"],
];

const one = (v: number) => ({ series: "", x: 0, median: v, min: v, max: v });
const ms = (ns: number) => `${fmt(ns / 1e6)} ms`;

function goodputTable(all: readonly SearchSummary[]): Table {
  return {
    caption:
      "pipeline-goodput: goodput at the SLO on long steps, median (min–max) over the rounds (repetitions of the long-step search); 0 rounds' goodputs count as 0",
    header: [
      "target",
      "SLO p99 ms",
      "long step s",
      "goodput events/s",
      "round goodputs",
      "rounds ended",
      "lowest long failure",
      "long steps",
    ],
    rows: all.map((s) => [
      s.label,
      fmt(s.sloMs),
      fmt(s.longS),
      s.goodputPerS > 0 ? goodputText(s) : `${goodputText(s)} (0)`,
      s.roundGoodputsPerS.map((g) => (g > 0 ? fmt(g) : "none")).join(", "),
      outcomeText(s) || "—",
      s.lowestLongFailPerS > 0
        ? `${fmt(s.lowestLongFailPerS)}${s.failFromShort ? " (short)" : ""}`
        : "none",
      String(s.longSteps),
    ]),
  };
}

/** Per search: its figure, and the long steps' p99 at each round's goodput rate. */
function searchFindings(s: SearchSummary): string[] {
  const rep = (s.head.repeat as number) > 0 ? ` (repetition ${s.head.repeat})` : "";
  const head = `${s.label}${rep} at p99 <= ${fmt(s.sloMs)} ms`;
  const exhausted = s.outcomes.filter((o) => o === "budget-exhausted").length;
  const budget = exhausted
    ? ` ${exhausted} round(s) spent their long-step budget before bracketing (the round's figure is its highest long pass, a lower bound, or none).`
    : "";
  if (!(s.goodputPerS > 0))
    return [
      `${head}: ${goodputText(s)} (${s.longSteps} long steps of ${fmt(s.longS)} s${s.highestLongPassPerS > 0 ? `; highest long pass ${fmt(s.highestLongPassPerS)}/s, in a minority of rounds` : "; no long step passed"}).${budget}`,
    ];
  const atGoodput = s.long.filter(
    (r) => r.passed === true && s.roundGoodputsPerS.includes(r.ratePerS as number),
  );
  const p99 = atGoodput.map((r) => r.latencyNsP99 as number);
  const p99Text = p99.length
    ? `; p99 of the passing long steps at the rounds' goodputs ${ms(median(p99))} (${ms(Math.min(...p99))}-${ms(Math.max(...p99))}, n ${p99.length})`
    : "";
  return [
    `${head}: goodput ${goodputText(s)} of ${fmt(s.longS)} s steps; ${s.outcomes.length ? `rounds ${outcomeText(s)}` : "one figure (a CSV from before rounds)"}; lowest long failure ${s.lowestLongFailPerS > 0 ? `${fmt(s.lowestLongFailPerS)}/s` : "none"}${p99Text}.${budget}`,
  ];
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
  const all = searchSummaries(rows);
  const findings: string[] = [];
  for (const slo of [...new Set(all.map((s) => s.sloMs))].sort((a, b) => b - a)) {
    const at = all.filter((s) => s.sloMs === slo);
    findings.push(
      `Goodput at p99 <= ${fmt(slo)} ms (long steps; median (min–max) over rounds): ${at.map((s) => `${s.label} ${goodputText(s)}`).join("; ")}.`,
    );
    for (const s of at) findings.push(...searchFindings(s));
    if (slo === 5) findings.push(...redisRatioFindings(at));
  }
  findings.push(...placementFindings(rows, all), ...soakFindings(rows));
  const loads = rows.map((r) => r.loadAverage1m as number);
  if (loads.length)
    findings.push(
      `Load average (1 min) during the steps: ${fmt(Math.min(...loads))} to ${fmt(Math.max(...loads))} on this host; placement: ${[...new Set(rows.map((r: Row) => r.placement))].join(", ")}.`,
    );
  return {
    charts: [
      {
        name: "latency-vs-achieved",
        title: "p50, p99, p99.9 vs achieved rate (every search step)",
        caption:
          "Each measured step of the goodput searches (both SLOs; short bracketing steps and long rounds), open loop, latency from the intended send time: colour is the target, shape the percentile. eventlab and Redis XADD on one figure, same client, same run.",
        spec: scatterChart("pipeline-goodput: latency vs achieved rate", curve, {
          xTitle: "achieved rate (k events/s)",
          yTitle: "e2e latency (ms)",
          seriesTitle: "target",
          shapeTitle: "percentile",
        }),
      },
    ],
    tables: [goodputTable(all)],
    claims: [],
    findings,
  };
};
