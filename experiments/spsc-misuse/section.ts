/**
 * The `spsc-misuse` section: what several producers pushing into one SPSC
 * ring (opened with unsafe: true) lose, against fan-in as the control. The
 * C++ system's claims ("lock-free dispatcher, zero contention"; several TCP
 * threads push into the SPSC ring without synchronization) are set beside the
 * damage counts measured per producer count.
 */
import { barChart, type ChartDef, lineChart, type SummaryPoint } from "../report/charts.ts";
import { claimLine, reportClaim } from "../report/claims.ts";
import { fmt, fmtSpread } from "../report/format.ts";
import { type Row, type SectionBuilder, summaryPoints, summaryTable } from "../report/section.ts";
import { column, distinct, groupBy, spread } from "../report/stats.ts";

const KINDS = ["lost", "duplicated", "reordered", "corrupted"] as const;
const modePanel = (r: Row) =>
  r.mode === "single" ? "one record per push" : `batch ${r.batchRecords}`;

/** Per (queue, producers, mode): the spread over repetitions of each damage count. */
function damageBreakdown(rows: Row[]): SummaryPoint[] {
  const points: SummaryPoint[] = [];
  for (const g of groupBy(
    rows.filter((r) => r.mode === "single" || distinct(rows, "mode").length === 1),
    ["queue", "producers"],
  ))
    for (const kind of KINDS)
      points.push({
        series: String(g.key.queue),
        x: g.key.producers as number,
        facet: kind,
        ...spread(column(g.rows, kind)),
      });
  return points;
}

export const spscMisuseSection: SectionBuilder = (rows, exp) => {
  const charts: ChartDef[] = [
    {
      name: "damaged-fraction",
      title: "Events damaged vs producers",
      caption:
        "Share of sent events lost, duplicated or corrupted (the consumer checks every id and payload); median over repetitions with min–max bars. spsc with more than one producer is the misuse; fan-in is the control.",
      spec: lineChart(
        "spsc-misuse: events damaged vs producers",
        summaryPoints(rows, {
          series: "queue",
          x: "producers",
          value: "damagedFraction",
          scale: 0.01,
          facet: modePanel,
        }),
        {
          xTitle: "producers (Workers)",
          yTitle: "events damaged (% of sent)",
          seriesTitle: "queue",
          xLog: false,
          yLog: false,
          facetTitle: "",
        },
      ),
    },
    {
      name: "damage-by-kind",
      title: "Lost, duplicated, reordered and corrupted events",
      caption:
        "Counts per run by kind, median over repetitions with min–max bars (one record per push).",
      spec: barChart("spsc-misuse: damage by kind", damageBreakdown(rows), {
        xTitle: "producers (Workers)",
        yTitle: "events per run",
        seriesTitle: "queue",
        yLog: false,
        facetTitle: "",
      }),
    },
    {
      name: "throughput",
      title: "Throughput vs producers",
      caption:
        "Events received per second. A faster broken queue is not a faster queue: read it with the damage above.",
      spec: lineChart(
        "spsc-misuse: throughput vs producers",
        summaryPoints(rows, {
          series: "queue",
          x: "producers",
          value: "throughputEventsPerS",
          scale: 1e6,
          facet: modePanel,
        }),
        {
          xTitle: "producers (Workers)",
          yTitle: "throughput (M events/s)",
          seriesTitle: "queue",
          xLog: false,
          facetTitle: "",
        },
      ),
    },
  ];
  const claims = exp.claims.map((c) => reportClaim(c, rows));
  const multi = rows.filter((r) => r.queue === "spsc" && (r.producers as number) > 1);
  const perRun = multi.map((r) => KINDS.reduce((a, k) => a + (r[k] as number), 0));
  claims.unshift(
    claimLine(
      {
        id: "lock-free-dispatcher-zero-contention",
        text: "Lock-free dispatcher, zero contention: several TCP threads push into the SPSC ring without synchronization.",
        source: "docs/claims.md: the C++ event system this harness studies",
        claimed: "0 events lost or duplicated (implied)",
        interpretation:
          "Events per run lost + duplicated + reordered + corrupted over every spsc run with 2 or more producers. Above 0 refutes the claim: an SPSC ring has no contention because it allows one producer; several unsynchronized producers race on its write index.",
      },
      perRun.length ? spread(perRun) : null,
      "events damaged per run",
      perRun.length ? `over ${perRun.length} runs` : "",
      "no spsc row with more than one producer",
    ),
  );
  const findings: string[] = [];
  for (const g of groupBy(rows, ["queue", "producers", "mode"])) {
    const counts = KINDS.map((k) => `${k} ${fmtSpread(spread(column(g.rows, k)))}`).join(", ");
    const sent = spread(column(g.rows, "eventsSent"));
    findings.push(
      `${g.key.queue}, ${g.key.producers} producer(s), ${g.key.mode}: of ${fmt(sent.median)} events sent per run, ${counts}.`,
    );
  }
  return {
    charts,
    tables: [
      summaryTable(
        "spsc-misuse: per point, median (min–max) over repetitions",
        rows,
        ["queue", "producers", "mode", "batchRecords"],
        [
          { column: "lost", title: "lost" },
          { column: "duplicated", title: "duplicated" },
          { column: "reordered", title: "reordered" },
          { column: "corrupted", title: "corrupted" },
          { column: "damagedFraction", title: "damaged fraction" },
          { column: "throughputEventsPerS", title: "events/s" },
        ],
      ),
    ],
    claims,
    findings,
  };
};
