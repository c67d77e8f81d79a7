/**
 * The `pipeline` section: latency against achieved throughput per queue and
 * the Redis XADD baseline (the hockey stick: open-loop points at fractions of
 * each configuration's closed-loop saturation), the per-stage p99 breakdown at
 * 80% load, a saturation table, the targets as claims, and findings
 * (saturation per queue, eventlab / Redis, p99 at 80% against 5 ms).
 */
import { barChart, scatterChart } from "../report/charts.ts";
import { reportClaim } from "../report/claims.ts";
import { fmt } from "../report/format.ts";
import { fmtPairedRatio, pairedRatioInterval } from "../report/ratio.ts";
import { type Row, type SectionBuilder, summaryPoints, summaryTable } from "../report/section.ts";
import { distinct, median, spread } from "../report/stats.ts";

/** The base configuration the queue comparison holds fixed. */
const BASE: Row = {
  alloc: "naive",
  ingestWorkers: 1,
  consumers: 1,
  recordBytes: 64,
  laneMix: "1:1:1",
};
const REDIS = "redis-xadd";
const STAGES: [string, string][] = [
  // Numbered so the x axis (sorted by name) keeps pipeline order.
  ["stageIngestParseToQueuedNsP99", "1 ingest: parse->queued"],
  ["stageDispatchSinceIngestNsP99", "2 dispatched*"],
  ["stageBusRealtimeSinceIngestNsP99", "3 bus REALTIME*"],
  ["stageBusTransactionalSinceIngestNsP99", "4 bus TRANSACTIONAL*"],
  ["stageBusBatchSinceIngestNsP99", "5 bus BATCH*"],
  ["stageProcessLocalNsP99", "6 process (local)"],
  ["stageAckDoneToWrittenNsP99", "7 ack: done->written"],
];

/** Rows of the base configuration per queue, and the Redis rows at the same record size and lane mix. */
function baseRows(rows: readonly Row[]): Row[] {
  return rows.filter((r) =>
    r.target === "resp"
      ? r.recordBytes === BASE.recordBytes && r.laneMix === BASE.laneMix
      : Object.entries(BASE).every(([k, v]) => r[k] === v),
  );
}

function medianOf(rows: readonly Row[], column: string): number | null {
  const v = rows.map((r) => r[column]).filter((x): x is number => typeof x === "number");
  return v.length ? median(v) : null;
}

export const pipelineSection: SectionBuilder = (rows, exp) => {
  const base = baseRows(rows);
  const queues = distinct<string>(base, "queue");
  const curve = queues.flatMap((q) =>
    distinct<number>(
      base.filter((r) => r.queue === q),
      "offeredFraction",
    )
      .filter((f) => f > 0)
      .map((f) => {
        const at = base.filter((r) => r.queue === q && r.offeredFraction === f);
        const s = (c: string, scale: number) => {
          const sp = spread(at.map((r) => (r[c] as number) / scale));
          return { series: q, x: f, median: sp.median, min: sp.min, max: sp.max };
        };
        return {
          series: q,
          x: s("achievedEventsPerS", 1e3),
          y: s("latencyNsP99", 1e6),
          label: `${q} at ${Math.round(f * 100)}% of saturation`,
        };
      }),
  );
  const stageRows = base
    .filter((r) => r.target === "eventlab" && r.offeredFraction === 0.8)
    .flatMap((r) =>
      STAGES.filter(([c]) => typeof r[c] === "number").map(([c, name]) => ({
        ...r,
        stage: name,
        stageP99: r[c],
      })),
    );
  const charts = [
    {
      name: "latency-vs-throughput",
      title: "p99 latency vs achieved throughput (open loop)",
      caption:
        "Each point is one offered load (20%–100% of the configuration's closed-loop saturation): achieved events/s against end-to-end p99 from the intended send time. The knee is where the implementation saturates. 64 B events, 1 ingest Worker, 1 consumer, naive allocator; Redis XADD with the same client.",
      spec: scatterChart("pipeline: p99 latency vs throughput", curve, {
        xTitle: "achieved throughput (k events/s)",
        yTitle: "e2e p99 latency (ms)",
        seriesTitle: "queue",
      }),
    },
    {
      name: "stage-p99",
      title: "Per-stage p99 at 80% of saturation",
      caption:
        "Server-side stages of the 80% runs, per queue. Stages marked * are cumulative from the ingest timestamp (the step between two of them is the time spent between); the others are local to one step.",
      spec: barChart(
        "pipeline: per-stage p99 at 80% load",
        summaryPoints(stageRows, { series: "queue", x: "stage", value: "stageP99", scale: 1e6 }),
        { xTitle: "stage", yTitle: "p99 (ms)", seriesTitle: "queue", yLog: false },
      ),
    },
  ];
  const findings: string[] = [];
  const saturation = (q: string) =>
    medianOf(
      base.filter((r) => r.queue === q && r.offeredFraction === 0),
      "achievedEventsPerS",
    );
  // Saturation per repetition: the ratio to Redis pairs the two by repetition index.
  const saturationPerRepeat = (q: string) => {
    const byRepeat = new Map<number, number[]>();
    for (const r of base.filter((r) => r.queue === q && r.offeredFraction === 0)) {
      const v = r.achievedEventsPerS;
      if (typeof v !== "number") continue;
      byRepeat.set(r.repeat as number, [...(byRepeat.get(r.repeat as number) ?? []), v]);
    }
    return new Map([...byRepeat].map(([k, vs]) => [k, median(vs)]));
  };
  const redisSat = saturationPerRepeat(REDIS);
  for (const q of queues) {
    const sat = saturation(q);
    const p99at80 = medianOf(
      base.filter((r) => r.queue === q && r.offeredFraction === 0.8),
      "latencyNsP99",
    );
    const parts: string[] = [];
    if (sat !== null) parts.push(`saturation ${fmt(sat)} events/s`);
    if (sat !== null && redisSat.size && q !== REDIS)
      parts.push(
        `${fmtPairedRatio(pairedRatioInterval(saturationPerRepeat(q), redisSat))} Redis XADD (target >= 2x)`,
      );
    if (p99at80 !== null)
      parts.push(
        `p99 at 80% load ${fmt(p99at80 / 1e6)} ms (${p99at80 < 5e6 ? "under" : "over"} the 5 ms target)`,
      );
    if (parts.length) findings.push(`${q}: ${parts.join("; ")}.`);
  }
  const broken = rows.filter(
    (r) => (r.conservationErrors as number) > 0 || (r.unresolved as number) > 0,
  );
  findings.push(
    broken.length === 0
      ? `Conservation held in all ${rows.length} runs: every event sent was acked or rejected.`
      : `Conservation FAILED in ${broken.length} of ${rows.length} runs (see conservationErrors / unresolved).`,
  );
  return {
    charts,
    tables: [
      summaryTable(
        "pipeline: saturation (closed loop), median (min–max) over repetitions",
        rows.filter((r) => r.offeredFraction === 0),
        ["target", "alloc", "queue", "ingestWorkers", "consumers", "laneMix", "recordBytes"],
        [
          { column: "achievedEventsPerS", title: "events/s" },
          { column: "latencyNsP99", title: "p99", unit: "ns" },
          { column: "cpuSPerMillionEvents", title: "server CPU s / M events" },
          { column: "rejected", title: "rejects" },
        ],
      ),
      summaryTable(
        "pipeline: open loop, median (min–max) over repetitions",
        rows.filter((r) => (r.offeredFraction as number) > 0),
        [
          "target",
          "alloc",
          "queue",
          "ingestWorkers",
          "consumers",
          "laneMix",
          "recordBytes",
          "offeredFraction",
        ],
        [
          { column: "offeredEventsPerS", title: "offered/s" },
          { column: "achievedEventsPerS", title: "achieved/s" },
          { column: "latencyNsP50", title: "p50", unit: "ns" },
          { column: "latencyNsP99", title: "p99", unit: "ns" },
          { column: "latencyNsP999", title: "p99.9", unit: "ns" },
        ],
      ),
    ],
    claims: exp.claims.map((c) => reportClaim(c, rows)),
    findings,
  };
};
