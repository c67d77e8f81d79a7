/**
 * The `alloc` section: ns/op against the live set per allocator (one panel
 * per record size), the GC's mark (p99 chunk time, share of time in slow
 * chunks), heap growth, the C++ pool claim beside the measured ratio, and the
 * pool/naive ratio at every live-set size as a finding.
 */
import { barChart, lineChart } from "../report/charts.ts";
import { reportClaim } from "../report/claims.ts";
import { fmtSpread } from "../report/format.ts";
import { fmtPairedRatio, pairedRatioInterval } from "../report/ratio.ts";
import { type Row, type SectionBuilder, summaryPoints, summaryTable } from "../report/section.ts";
import { distinct, spread } from "../report/stats.ts";

const byRecord = (r: Row) => `${r.recordBytes} B records`;

/** pool / naive ops/s at one (liveSetSize, recordBytes), paired by repetition, with its 95% interval. */
export function poolRatio(
  rows: readonly Row[],
  pool: string,
  liveSetSize: number,
  recordBytes: number,
) {
  const at = (alloc: string) =>
    new Map(
      rows
        .filter(
          (r) =>
            r.allocator === alloc && r.liveSetSize === liveSetSize && r.recordBytes === recordBytes,
        )
        .map((r) => [r.repeat as number, r.opsPerS as number]),
    );
  const num = at(pool);
  return num.size ? pairedRatioInterval(num, at("naive")) : null;
}

export const allocSection: SectionBuilder = (rows, exp) => {
  const chunkOps = distinct<number>(rows, "chunkOps");
  const chunkLabel = chunkOps.length === 1 ? `${chunkOps[0]} ops` : "a chunk";
  const charts = [
    {
      name: "ns-per-op",
      title: "Time per operation vs live set",
      caption:
        "Acquire + write + release, median over repetitions with min–max bars; one panel per record size. Lower is better.",
      spec: lineChart(
        "alloc: time per operation vs live set",
        summaryPoints(rows, {
          series: "allocator",
          x: "liveSetSize",
          value: "nsPerOp",
          facet: byRecord,
        }),
        {
          xTitle: "live set (events kept alive)",
          yTitle: "time per op (ns)",
          seriesTitle: "allocator",
        },
      ),
    },
    {
      name: "chunk-p99",
      title: "p99 chunk time (GC pauses) vs live set",
      caption: `Runs are cut into chunks of ${chunkLabel}; the p99 chunk time shows pauses (collections) landing in chunks. Lower is better.`,
      spec: lineChart(
        "alloc: p99 chunk time vs live set",
        summaryPoints(rows, {
          series: "allocator",
          x: "liveSetSize",
          value: "chunkNsP99",
          scale: 1e3,
          facet: byRecord,
        }),
        {
          xTitle: "live set (events kept alive)",
          yTitle: `p99 chunk time (µs per ${chunkLabel})`,
          seriesTitle: "allocator",
        },
      ),
    },
    {
      name: "slow-chunk-share",
      title: "Share of time in slow chunks vs live set",
      caption:
        "Time in chunks slower than 3x the median chunk, as a share of the run: where the collector's pauses go.",
      spec: lineChart(
        "alloc: share of time in slow chunks",
        summaryPoints(rows, {
          series: "allocator",
          x: "liveSetSize",
          value: "slowChunkTimeFraction",
          scale: 0.01,
          facet: byRecord,
        }),
        {
          xTitle: "live set (events kept alive)",
          yTitle: "time in slow chunks (%)",
          seriesTitle: "allocator",
          yLog: false,
        },
      ),
    },
    {
      name: "heap-growth",
      title: "Heap growth over the measured operations",
      caption:
        "JS heap size after minus before the measured operations (after a full GC before). Negative: the collector freed more than the run added.",
      spec: barChart(
        "alloc: heap growth",
        summaryPoints(
          rows.filter((r) => r.recordBytes === 64 || distinct(rows, "recordBytes").length === 1),
          {
            series: "allocator",
            x: "liveSetSize",
            value: "heapGrowthBytes",
            scale: 1024 * 1024,
          },
        ),
        {
          xTitle: "live set (events kept alive)",
          yTitle: "heap growth (MiB)",
          seriesTitle: "allocator",
          yLog: false,
        },
      ),
    },
  ];
  const findings: string[] = [];
  for (const pool of distinct<string>(rows, "allocator").filter((a) => a !== "naive")) {
    for (const rb of distinct<number>(rows, "recordBytes").filter((b) => b === 64)) {
      const parts = distinct<number>(rows, "liveSetSize")
        .map((live) => ({ live, s: poolRatio(rows, pool, live, rb) }))
        .filter((p) => p.s !== null)
        .map((p) => `live ${p.live}: ${fmtPairedRatio(p.s!)}`);
      if (parts.length)
        findings.push(`${pool} / naive ops/s at ${rb} B records: ${parts.join("; ")}.`);
    }
  }
  const live0 = rows.filter((r) => r.liveSetSize === 0 && r.recordBytes === 64);
  for (const a of distinct<string>(live0, "allocator")) {
    const ops = live0.filter((r) => r.allocator === a).map((r) => r.opsPerS as number);
    if (ops.length)
      findings.push(
        `${a} at live set 0, 64 B: ${fmtSpread(spread(ops.map((o) => o / 1e6)), "M ops/s")}.`,
      );
  }
  return {
    charts,
    tables: [
      summaryTable(
        "alloc: per point, median (min–max) over repetitions",
        rows,
        ["allocator", "liveSetSize", "recordBytes"],
        [
          { column: "nsPerOp", title: "time/op", unit: "ns" },
          { column: "opsPerS", title: "ops/s" },
          { column: "chunkNsP99", title: "p99 chunk", unit: "ns" },
          { column: "slowChunkTimeFraction", title: "slow-chunk share" },
          { column: "heapGrowthBytes", title: "heap growth (B)" },
        ],
      ),
    ],
    claims: exp.claims.map((c) => reportClaim(c, rows)),
    findings,
  };
};
