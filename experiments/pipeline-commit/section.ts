/**
 * The `pipeline-commit` section: per-lane p99 latency by commit stage (one
 * panel per TRANSACTIONAL share), achieved events/s by stage and mix, and a
 * table of every point's per-lane p50/p99/p99.9 and the commit stage's share.
 */
import { barChart, type ChartDef } from "../report/charts.ts";
import { type ClaimResult, reportClaim } from "../report/claims.ts";
import { type Row, type SectionBuilder, summaryPoints, summaryTable } from "../report/section.ts";

const LANES = [
  ["REALTIME", "realtime"],
  ["TRANSACTIONAL", "transactional"],
  ["BATCH", "batch"],
] as const;
const load = (r: Row) =>
  r.offeredEventsPerS === 0 ? "closed" : `${Number(r.offeredEventsPerS) / 1000}k/s`;

/** Short x labels, so four stages fit under a small-multiple panel. */
const SHORT: Record<string, string> = {
  immediate: "imm",
  "raft-fsync": "raft",
  "raft-nofsync": "raft-nf",
  etcd: "etcd",
};

function laneLatencyChart(rows: Row[], pct: "P50" | "P99"): ChartDef {
  const melted: Row[] = rows.flatMap((r) =>
    LANES.map(([lane, col]) => ({
      ...r,
      stage: SHORT[String(r.commit)] ?? r.commit,
      lane,
      v: r[`${col}Ns${pct}`],
    })),
  );
  return {
    name: `lane-latency-${pct.toLowerCase()}`,
    title: `Per-lane ${pct.toLowerCase()} end-to-end latency by commit stage`,
    caption: `Open loop; REALTIME+BATCH and TRANSACTIONAL on separate connections. Stages: imm = immediate, raft = Raft with fsync, raft-nf = Raft without fsync, etcd = 3-member etcd. Panels: TRANSACTIONAL share and offered load. A stage whose commits slow the other lanes shows taller REALTIME bars than immediate. Log scale.`,
    spec: barChart(
      `pipeline-commit: ${pct.toLowerCase()} by lane`,
      summaryPoints(
        melted.filter((r) => r.offeredEventsPerS !== 0),
        {
          series: "lane",
          x: "stage",
          value: "v",
          scale: 1e6,
          facet: (r) => `${r.txPercent}% TX, ${load(r)}`,
        },
      ),
      {
        xTitle: "commit stage",
        yTitle: `${pct.toLowerCase()} (ms)`,
        seriesTitle: "lane",
        yLog: true,
        facetTitle: "",
      },
    ),
  };
}

/** Hit when the claim's median satisfies its target's direction (at most, or at least, the claimed value). */
const TARGET_DIRECTION: Record<string, "atMost" | "atLeast"> = {
  "commit-realtime-isolation": "atMost",
  "commit-raft-vs-etcd": "atLeast",
};

function verdicts(claims: ClaimResult[], exp: Parameters<SectionBuilder>[1]): string[] {
  return claims.map((c) => {
    const target = exp.claims.find((k) => k.id === c.id)?.claimed?.value;
    const dir = TARGET_DIRECTION[c.id];
    if (!c.spread || target === undefined || !dir) return `${c.id}: not measured (${c.measured}).`;
    const hit = dir === "atMost" ? c.spread.median <= target : c.spread.median >= target;
    return `${c.id}: ${hit ? "HIT" : "MISS"}: measured ${c.measured}, target ${dir === "atMost" ? "at most" : "at least"} ${target}.`;
  });
}

export const pipelineCommitSection: SectionBuilder = (rows, exp) => {
  const claims = exp.claims.map((c) => reportClaim(c, rows));
  const charts: ChartDef[] = [
    laneLatencyChart(rows, "P99"),
    laneLatencyChart(rows, "P50"),
    {
      name: "throughput",
      title: "Achieved events/s by commit stage and mix",
      caption:
        "Open-loop points achieve their offered load when the stage keeps up; closed-loop 100% TRANSACTIONAL points show each stage's saturation.",
      spec: barChart(
        "pipeline-commit: achieved events/s",
        summaryPoints(
          rows.map((r) => ({ ...r, mix: `${r.txPercent}% TX ${load(r)}` })),
          { series: "commit", x: "mix", value: "achievedEventsPerS" },
        ),
        { xTitle: "mix and load", yTitle: "events/s", seriesTitle: "commit stage", yLog: true },
      ),
    },
  ];
  return {
    charts,
    tables: [
      summaryTable(
        "pipeline-commit: per point, median (min–max) over repetitions",
        rows,
        ["commit", "txPercent", "offeredEventsPerS"],
        [
          { column: "achievedEventsPerS", title: "events/s" },
          { column: "realtimeNsP50", title: "RT p50", unit: "ns" },
          { column: "realtimeNsP99", title: "RT p99", unit: "ns" },
          { column: "realtimeNsP999", title: "RT p99.9", unit: "ns" },
          { column: "transactionalNsP50", title: "TX p50", unit: "ns" },
          { column: "transactionalNsP99", title: "TX p99", unit: "ns" },
          { column: "transactionalNsP999", title: "TX p99.9", unit: "ns" },
          { column: "batchNsP50", title: "BATCH p50", unit: "ns" },
          { column: "batchNsP99", title: "BATCH p99", unit: "ns" },
          { column: "batchNsP999", title: "BATCH p99.9", unit: "ns" },
          { column: "commitStageShare", title: "commit share" },
        ],
      ),
    ],
    claims,
    findings: verdicts(claims, exp),
  };
};
