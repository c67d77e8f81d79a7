/**
 * The `queue` section. The sweep is a union of one-dimension slices around a
 * base point (the most frequent value of each parameter), so each chart takes
 * the rows that differ from the base only in the swept dimension (and in the
 * batch size, which becomes the panel): events/s vs batch, capacity,
 * producers, record size and wait strategy; latency against throughput over
 * every point; latency percentiles and CPU per million events at the base.
 * The control (null conduit, the harness ceiling) is one more series in the
 * charts, and control.ts gives each point as a fraction of it.
 */
import {
  barChart,
  type ChartDef,
  lineChart,
  type SummaryPoint,
  scatterChart,
} from "../report/charts.ts";
import { claimLine, reportClaim } from "../report/claims.ts";
import { fmt, timeUnitForValues } from "../report/format.ts";
import {
  basePoint,
  dropThinPanels,
  type Row,
  type SectionBuilder,
  sliceRows,
  summaryPoints,
  summaryTable,
} from "../report/section.ts";
import { column, groupBy, spread } from "../report/stats.ts";
import { controlFinding, controlTable, POINT } from "./control.ts";
import { NULL_CONDUIT_NAME } from "./null-conduit.ts";

const PARAMS = POINT;
const batchPanel = (r: Row) => `batch ${r.batchRecords}`;
const THROUGHPUT_TITLE = "throughput (M events/s)";

function throughputVs(
  rows: Row[],
  base: Row,
  dim: string,
  xTitle: string,
  name: string,
  title: string,
): ChartDef | null {
  // Batch size is the panel of every other sweep; swept itself it is the x axis (no panels).
  const alongBatch = dim === "batchRecords";
  const slice = sliceRows(rows, base, [dim, "batchRecords", "mode"]);
  const points = dropThinPanels(
    summaryPoints(slice, {
      series: "queue",
      x: dim,
      value: "throughputEventsPerS",
      scale: 1e6,
      ...(alongBatch ? {} : { facet: batchPanel }),
    }),
  );
  if (points.length === 0) return null;
  return {
    name,
    title,
    caption: `Events/s across Workers, median with min–max over repetitions; other parameters at the base point.${alongBatch ? "" : " One panel per batch size."}`,
    spec: lineChart(`queue: ${title.toLowerCase()}`, points, {
      xTitle,
      yTitle: THROUGHPUT_TITLE,
      seriesTitle: "queue",
      facetTitle: "",
    }),
  };
}

function latencyVsThroughput(rows: Row[]): ChartDef | null {
  const withLatency = rows.filter((r) => typeof r.latencyNsP99 === "number");
  const groups = groupBy(withLatency, ["queue", ...PARAMS]);
  const t = timeUnitForValues(column(withLatency, "latencyNsP99"));
  const points = groups.map((g) => {
    const x = spread(column(g.rows, "throughputEventsPerS").map((v) => v / 1e6));
    const y = spread(column(g.rows, "latencyNsP99").map((v) => v / t.ns));
    const k = g.key;
    return {
      series: String(k.queue),
      x: { series: String(k.queue), x: 0, ...x },
      y: { series: String(k.queue), x: 0, ...y },
      label: `${k.queue} p=${k.producers} cap=${k.capacitySlots} batch=${k.batchRecords} ${k.recordBytes}B ${k.waitStrategy}`,
    };
  });
  if (points.length === 0) return null;
  return {
    name: "latency-vs-throughput",
    title: "p99 latency vs throughput, every point",
    caption:
      "Each dot is one sweep point (median over repetitions, bars min–max both ways). Down and right is better; batching moves points right and, past the ring's capacity, up.",
    spec: scatterChart("queue: p99 push-to-pop latency vs throughput", points, {
      xTitle: THROUGHPUT_TITLE,
      yTitle: `p99 push-to-pop latency (${t.unit})`,
      seriesTitle: "queue",
    }),
  };
}

function basePercentiles(rows: Row[], base: Row): ChartDef | null {
  const slice = sliceRows(rows, base, ["batchRecords", "mode"]).filter(
    (r) => typeof r.latencyNsP50 === "number",
  );
  const points: SummaryPoint[] = [];
  const t = timeUnitForValues(
    ["latencyNsP50", "latencyNsP99", "latencyNsP999"].flatMap((c) => column(slice, c)),
  );
  for (const [col, label] of [
    ["latencyNsP50", "p50"],
    ["latencyNsP99", "p99"],
    ["latencyNsP999", "p99.9"],
  ] as const) {
    for (const g of groupBy(slice, ["queue", "batchRecords"])) {
      const s = spread(column(g.rows, col).map((v) => v / t.ns));
      points.push({
        series: String(g.key.queue),
        x: label,
        facet: `batch ${g.key.batchRecords}`,
        ...s,
      });
    }
  }
  if (points.length === 0) return null;
  return {
    name: "latency-percentiles",
    title: "Push-to-pop latency percentiles at the base point",
    caption:
      "From the ingest timestamp in each record to its pop, HDR histogram per run; median over repetitions with min–max bars. Log scale.",
    spec: barChart("queue: latency percentiles", points, {
      xTitle: "percentile",
      yTitle: `push-to-pop latency (${t.unit})`,
      seriesTitle: "queue",
      yLog: true,
    }),
  };
}

function cpuChart(rows: Row[], base: Row): ChartDef | null {
  const slice = sliceRows(rows, base, ["batchRecords", "mode"]).filter(
    (r) => typeof r.cpuSPerMillionEvents === "number",
  );
  const points = summaryPoints(slice, {
    series: "queue",
    x: "batchRecords",
    value: "cpuSPerMillionEvents",
  });
  if (points.length === 0) return null;
  return {
    name: "cpu-per-million",
    title: "CPU per million events vs batch size",
    caption:
      "process.cpuUsage over every thread (user + system) per million events received; includes waiting (spinning burns CPU). Lower is better.",
    spec: barChart("queue: CPU seconds per million events", points, {
      xTitle: "batch (records per push/pop)",
      yTitle: "CPU (s per million events)",
      seriesTitle: "queue",
    }),
  };
}

function integrityFinding(rows: Row[]): string {
  const bad = rows.filter(
    (r) =>
      (r.lost as number) +
        (r.duplicated as number) +
        (r.reordered as number) +
        (r.corrupted as number) >
        0 ||
      r.timedOut === true ||
      (r.errorCount as number) > 0,
  );
  if (bad.length === 0)
    return `Integrity: all ${rows.length} runs delivered every event exactly once, in per-producer order, ids intact (lost = duplicated = reordered = corrupted = 0, no timeouts); payload bytes are checked by the contract suite and \`bun run compare\`, not in these timed runs.`;
  const where = bad
    .slice(0, 5)
    .map((r) => `${r.queue} p=${r.producers} batch=${r.batchRecords} repeat ${r.repeat}`);
  return `**Integrity broken in ${bad.length} of ${rows.length} runs**: ${where.join("; ")}${bad.length > 5 ? "; ..." : ""}.`;
}

export const queueSection: SectionBuilder = (rows, exp) => {
  const base = basePoint(rows, PARAMS);
  const charts = [
    throughputVs(
      rows,
      base,
      "batchRecords",
      "batch (records per push/pop)",
      "throughput-vs-batch",
      "Throughput vs batch size",
    ),
    throughputVs(
      rows,
      base,
      "capacitySlots",
      "capacity (slots)",
      "throughput-vs-capacity",
      "Throughput vs capacity",
    ),
    throughputVs(
      rows,
      base,
      "producers",
      "producers (Workers)",
      "throughput-vs-producers",
      "Throughput vs producers",
    ),
    throughputVs(
      rows,
      base,
      "recordBytes",
      "record size (bytes)",
      "throughput-vs-record-size",
      "Throughput vs record size",
    ),
    (() => {
      const slice = sliceRows(rows, base, ["waitStrategy", "batchRecords", "mode"]);
      const points = dropThinPanels(
        summaryPoints(slice, {
          series: "queue",
          x: "waitStrategy",
          value: "throughputEventsPerS",
          scale: 1e6,
          facet: batchPanel,
        }),
      );
      return new Set(points.map((p) => p.x)).size < 2
        ? null
        : {
            name: "throughput-by-wait-strategy",
            title: "Throughput by wait strategy",
            caption:
              "Spin burns a core while waiting; park sleeps at once; spin-then-park spins briefly first. Other parameters at the base point.",
            spec: barChart("queue: throughput by wait strategy", points, {
              xTitle: "wait strategy",
              yTitle: THROUGHPUT_TITLE,
              seriesTitle: "queue",
              facetTitle: "",
            }),
          };
    })(),
    latencyVsThroughput(rows),
    basePercentiles(rows, base),
    cpuChart(rows, base),
  ].filter((c): c is ChartDef => c !== null);

  const claims = exp.claims.map((c) => reportClaim(c, rows));
  const mp = rows.filter(
    (r) =>
      r.queue === "message-port" &&
      r.producers === 1 &&
      r.recordBytes === 64 &&
      r.batchRecords === 256 &&
      r.capacitySlots === base.capacitySlots &&
      r.waitStrategy === base.waitStrategy,
  );
  claims.push(
    claimLine(
      {
        id: "message-port-batched-rate",
        text: "A MessagePort that transfers one ArrayBuffer per batch reaches 25-30M records/s of 64 B.",
        source: "docs/claims.md: design notes (measured on a 16-core machine)",
        claimed: "25–30 M records/s",
        interpretation:
          "The baseline's strength on this machine; a 2-core box shares its cores between producer, consumer and the main thread.",
      },
      mp.length ? spread(column(mp, "throughputEventsPerS").map((v) => v / 1e6)) : null,
      "M events/s",
      mp.length ? `over ${mp.length} runs (batch 256, 1 producer)` : "",
      "no message-port row at batch 256, 1 producer, 64 B",
    ),
  );

  const findings = [
    `Base point (the value most rows share): ${PARAMS.map((p) => `${p}=${base[p]}`).join(", ")}.`,
    integrityFinding(rows),
    controlFinding(rows),
  ];
  for (const g of groupBy(sliceRows(rows, base, ["batchRecords", "mode"]), ["batchRecords"])) {
    const best = groupBy(g.rows, ["queue"])
      .map((q) => ({ q: String(q.key.queue), s: spread(column(q.rows, "throughputEventsPerS")) }))
      .sort((a, b) => b.s.median - a.s.median);
    findings.push(
      `At batch ${g.key.batchRecords}: ${best.map((b) => `${b.q} ${fmt(b.s.median)} events/s`).join(" > ")}.`,
    );
  }

  return {
    charts,
    tables: [
      summaryTable(
        "queue: per point, median (min–max) over repetitions",
        rows,
        ["queue", "producers", "capacitySlots", "batchRecords", "recordBytes", "waitStrategy"],
        [
          { column: "throughputEventsPerS", title: "events/s" },
          { column: "latencyNsP50", title: "p50", unit: "ns" },
          { column: "latencyNsP99", title: "p99", unit: "ns" },
          { column: "latencyNsP999", title: "p99.9", unit: "ns" },
          { column: "cpuSPerMillionEvents", title: "CPU s / M events" },
        ],
      ),
      // Without control rows (results from before the control) the finding says so; no empty table.
      ...(rows.some((r) => r.queue === NULL_CONDUIT_NAME) ? [controlTable(rows)] : []),
    ],
    claims,
    findings,
  };
};
