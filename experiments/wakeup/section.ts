/**
 * The `wakeup` section: per wait strategy, the ping-pong round trip's latency
 * (p50, p99) and the CPU the two threads burnt, idle and under competing
 * busy-loop load, with and without a gap that lets a waiter park; and latency
 * against CPU per round trip over every point (the trade-off in one picture).
 */
import { barChart, type ChartDef, scatterChart } from "../report/charts.ts";
import { fmtNsSpread, fmtSpread, timeUnitForValues } from "../report/format.ts";
import { type Row, type SectionBuilder, summaryPoints, summaryTable } from "../report/section.ts";
import { column, groupBy, spread } from "../report/stats.ts";

const panel = (r: Row) => `load ${r.loadThreads} threads, gap ${r.gapUs} µs`;

function latencyChart(rows: Row[], col: string, label: string): ChartDef {
  const t = timeUnitForValues(
    column(
      rows.filter((r) => typeof r[col] === "number"),
      col,
    ),
  );
  return {
    name: `round-trip-${label}`,
    title: `Round-trip latency ${label} by wait strategy`,
    caption: `Ping-pong between two Workers through two queues; ${label} of the round trip per run, median over repetitions with min–max bars. Panels: competing busy-loop threads and idle gap between round trips. Log scale.`,
    spec: barChart(
      `wakeup: round-trip ${label}`,
      summaryPoints(rows, {
        series: "queue",
        x: "waitStrategy",
        value: col,
        scale: t.ns,
        facet: panel,
      }),
      {
        xTitle: "wait strategy",
        yTitle: `round-trip ${label} (${t.unit})`,
        seriesTitle: "queue",
        yLog: true,
        facetTitle: "",
      },
    ),
  };
}

export const wakeupSection: SectionBuilder = (rows) => {
  const charts: ChartDef[] = [
    latencyChart(rows, "latencyNsP50", "p50"),
    latencyChart(rows, "latencyNsP99", "p99"),
  ];
  const withCpu = rows.filter((r) => typeof r.cpuUtilisationCores === "number");
  if (withCpu.length) {
    charts.push({
      name: "cpu-cores",
      title: "CPU burnt by ping and pong",
      caption:
        "CPU time of the two threads (their own thread clocks, so the load threads are not counted) over wall time: 2 cores means both spun the whole run, near 0 means they slept.",
      spec: barChart(
        "wakeup: CPU burnt (cores)",
        summaryPoints(withCpu, {
          series: "queue",
          x: "waitStrategy",
          value: "cpuUtilisationCores",
          facet: panel,
        }),
        {
          xTitle: "wait strategy",
          yTitle: "CPU used (cores)",
          seriesTitle: "queue",
          yLog: false,
          facetTitle: "",
        },
      ),
    });
    const t = timeUnitForValues(
      column(
        withCpu.filter((r) => typeof r.latencyNsP99 === "number"),
        "latencyNsP99",
      ),
    );
    const points = groupBy(
      withCpu.filter((r) => typeof r.cpuUsPerRoundTrip === "number"),
      ["queue", "waitStrategy", "loadThreads", "gapUs"],
    ).map((g) => ({
      series: String(g.key.queue),
      x: { series: "", x: 0, ...spread(column(g.rows, "cpuUsPerRoundTrip")) },
      y: { series: "", x: 0, ...spread(column(g.rows, "latencyNsP99").map((v) => v / t.ns)) },
      label: `${g.key.queue} ${g.key.waitStrategy} load=${g.key.loadThreads} gap=${g.key.gapUs}µs`,
      shape: String(g.key.waitStrategy),
    }));
    if (points.length)
      charts.push({
        name: "latency-vs-cpu",
        title: "p99 round trip vs CPU per round trip",
        caption:
          "Each dot is one point (strategy, load, gap): down-left is better. Spinning buys latency with CPU; parking saves CPU and pays a wake-up.",
        spec: scatterChart("wakeup: p99 latency vs CPU cost", points, {
          xTitle: "CPU per round trip (µs)",
          yTitle: `p99 round trip (${t.unit})`,
          seriesTitle: "queue",
          shapeTitle: "wait strategy",
        }),
      });
  }
  const findings: string[] = [];
  for (const g of groupBy(rows, ["queue", "loadThreads", "gapUs"])) {
    const parts = groupBy(g.rows, ["waitStrategy"]).map((s) => {
      const p50 = spread(column(s.rows, "latencyNsP50"));
      const cpu = s.rows.filter((r) => typeof r.cpuUtilisationCores === "number");
      const cores = cpu.length
        ? `, ${fmtSpread(spread(column(cpu, "cpuUtilisationCores")), "cores")}`
        : "";
      return `${s.key.waitStrategy} p50 ${fmtNsSpread(p50)}${cores}`;
    });
    findings.push(
      `${g.key.queue}, load ${g.key.loadThreads}, gap ${g.key.gapUs} µs: ${parts.join("; ")}.`,
    );
  }
  return {
    charts,
    tables: [
      summaryTable(
        "wakeup: per point, median (min–max) over repetitions",
        rows,
        ["queue", "waitStrategy", "loadThreads", "gapUs"],
        [
          { column: "roundTripsPerS", title: "round trips/s" },
          { column: "latencyNsP50", title: "p50", unit: "ns" },
          { column: "latencyNsP99", title: "p99", unit: "ns" },
          { column: "latencyNsP999", title: "p99.9", unit: "ns" },
          { column: "cpuUtilisationCores", title: "CPU (cores)" },
          { column: "cpuUsPerRoundTrip", title: "CPU µs / round trip" },
        ],
      ),
    ],
    claims: [],
    findings,
  };
};
