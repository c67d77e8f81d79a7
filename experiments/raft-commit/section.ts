/**
 * The `raft-commit` report section: throughput against concurrency and
 * latency against throughput, eventlab (3 members, fsync on and off) against
 * etcd (3 members); the full table; the two targets as hit/miss with the
 * ratio of paired trials (same repetition) and a 95% bootstrap interval of
 * their median where there are at least 3 pairs.
 */
import { lineChart, scatterChart } from "../report/charts.ts";
import { reportClaim } from "../report/claims.ts";
import { fmt, fmtRatio } from "../report/format.ts";
import { type Row, type SectionBuilder, summaryPoints, summaryTable } from "../report/section.ts";
import { bootstrapInterval, distinct, median, spread } from "../report/stats.ts";
import { TARGET_P50_RATIO, TARGET_THROUGHPUT_RATIO, TARGETS } from "./targets.ts";

/** Fewer pairs than this: no interval, only the ratios. */
const MIN_PAIRS_FOR_INTERVAL = 3;

function matches(r: Row, where: Record<string, unknown>): boolean {
  return Object.entries(where).every(([k, v]) => r[k] === v);
}

/** Chart series: etcd, eventlab with fsync, eventlab without. */
function seriesOf(r: Row): string {
  return r.target === "etcd" ? "etcd" : r.fsync === "on" ? "eventlab" : "eventlab (no fsync)";
}

/** Per repetition: numerator / denominator of that repetition's rows (medians when several). */
export function pairedRatios(
  rows: readonly Row[],
  num: { where: Record<string, unknown>; column: string },
  den: { where: Record<string, unknown>; column: string },
): number[] {
  const out: number[] = [];
  for (const rep of distinct<number>(rows, "repeat")) {
    const pick = (s: typeof num) =>
      rows
        .filter((r) => r.repeat === rep && matches(r, s.where))
        .map((r) => r[s.column])
        .filter((v): v is number => typeof v === "number");
    const n = pick(num);
    const d = pick(den);
    if (n.length && d.length && median(d) > 0) out.push(median(n) / median(d));
  }
  return out;
}

function targetLine(
  name: string,
  ratios: number[],
  target: number,
  atLeast: boolean,
  what: string,
): string {
  if (ratios.length === 0)
    return `${name}: not measured (no repetition has both sides; etcd missing?).`;
  const m = median(ratios);
  const hit = atLeast ? m >= target : m <= target;
  let interval = "";
  if (ratios.length >= MIN_PAIRS_FOR_INTERVAL) {
    const iv = bootstrapInterval(ratios, "median");
    const sure = atLeast ? iv.lo >= target : iv.hi <= target;
    const sureMiss = atLeast ? iv.hi < target : iv.lo > target;
    interval = `, 95% interval ${fmt(iv.lo)}–${fmt(iv.hi)} (${sure ? "clear of the target" : sureMiss ? "entirely on the wrong side" : "straddles the target"})`;
  }
  return `${name}: ${hit ? "HIT" : "MISS"}: ${what} ${fmtRatio(m)} (median of ${ratios.length} paired repetition${ratios.length === 1 ? "" : "s"}: ${ratios.map((r) => fmt(r)).join(", ")}${interval}); target ${atLeast ? ">=" : "<="} ${target}x.`;
}

/** "c in flight x k records: ratio" for every shape both systems ran (3 members, fsync on). */
function likeForLike(rows: readonly Row[]): string[] {
  const out: string[] = [];
  const etcd = rows.filter((r) => r.target === "etcd");
  for (const c of distinct<number>(etcd, "concurrency").sort((a, b) => a - b))
    for (const k of distinct<number>(etcd, "recordsPerAppend").sort((a, b) => a - b)) {
      const shape = { members: 3, fsync: "on", concurrency: c, recordsPerAppend: k };
      const ratios = pairedRatios(
        rows,
        { where: { ...shape, target: "eventlab" }, column: "recordsPerS" },
        { where: { ...shape, target: "etcd" }, column: "recordsPerS" },
      );
      if (ratios.length > 0) out.push(`${c} in flight x ${k} records: ${fmtRatio(median(ratios))}`);
    }
  return out;
}

export const raftCommitSection: SectionBuilder = (rows, exp) => {
  const three = rows.filter((r) => r.members === 3);
  const perSeries: Row[] = three.map((r) => ({
    ...r,
    series: seriesOf(r),
    facetLabel: `${r.recordsPerAppend} x ${r.recordBytes} B`,
  }));
  const throughput = summaryPoints(perSeries, {
    series: "series",
    x: "concurrency",
    value: "recordsPerS",
    scale: 1e3,
    facet: (r) => String(r.facetLabel),
  });
  const scatter = distinct<string>(perSeries, "series").flatMap((s) =>
    distinct<number>(
      perSeries.filter((r) => r.series === s),
      "concurrency",
    ).flatMap((c) =>
      distinct<number>(
        perSeries.filter((r) => r.series === s && r.concurrency === c),
        "recordsPerAppend",
      ).map((k) => {
        const at = perSeries.filter(
          (r) => r.series === s && r.concurrency === c && r.recordsPerAppend === k,
        );
        const sp = (col: string, scale: number) => {
          const v = spread(at.map((r) => (r[col] as number) / scale));
          return { series: s, x: c, median: v.median, min: v.min, max: v.max };
        };
        return {
          series: s,
          x: sp("recordsPerS", 1e3),
          y: sp("commitLatencyNsP50", 1e6),
          label: `${s}: ${c} in flight, ${k} records/request`,
        };
      }),
    ),
  );
  const charts = [
    {
      name: "throughput-vs-concurrency",
      title: "Committed records/s vs requests in flight (3 members)",
      caption:
        "Closed loop, one panel per request size: eventlab appends of N 64-byte records against etcd puts of the same N x 64 bytes. Median and min–max over repetitions.",
      spec: lineChart("raft-commit: throughput vs concurrency", throughput, {
        xTitle: "requests in flight",
        yTitle: "committed records/s (thousands)",
        seriesTitle: "system",
        facetTitle: "request size (records x bytes)",
      }),
    },
    {
      name: "latency-vs-throughput",
      title: "p50 commit latency vs committed records/s (3 members)",
      caption:
        "Each point is one (concurrency, records per request) configuration; up and to the left is better. eventlab without fsync shows what the disk costs.",
      spec: scatterChart("raft-commit: p50 latency vs throughput", scatter, {
        xTitle: "committed records/s (thousands)",
        yTitle: "p50 commit latency (ms)",
        seriesTitle: "system",
      }),
    },
  ];
  const thr = pairedRatios(
    rows,
    { where: TARGETS.throughput.eventlab, column: "recordsPerS" },
    { where: TARGETS.throughput.etcd, column: "appendsPerS" },
  );
  const p50 = pairedRatios(
    rows,
    { where: TARGETS.p50.eventlab, column: "commitLatencyNsP50" },
    { where: TARGETS.p50.etcd, column: "commitLatencyNsP50" },
  );
  const findings = [
    targetLine(
      "Throughput target (3 members, fsync on, 64 in flight)",
      thr,
      TARGET_THROUGHPUT_RATIO,
      true,
      "eventlab records/s (256 per append) / etcd puts/s (64 B) =",
    ),
    targetLine(
      "Latency target (3 members, fsync on, 1 in flight)",
      p50,
      TARGET_P50_RATIO,
      false,
      "eventlab p50 / etcd p50 =",
    ),
  ];
  const like = likeForLike(rows);
  if (like.length > 0)
    findings.push(
      `Same bytes per request, same concurrency (3 members, fsync on), eventlab records/s / etcd records/s, median of paired repetitions: ${like.join("; ")}.`,
    );
  const failed = rows.filter((r) => (r.failedAppends as number) > 0);
  findings.push(
    failed.length === 0
      ? `No request failed in any of the ${rows.length} trials.`
      : `${failed.length} of ${rows.length} trials had failed requests (see failedAppends).`,
  );
  const wrongMode = rows.filter((r) => (r.fsync === "on") !== (r.fsyncMode === "fsync"));
  if (wrongMode.length > 0)
    findings.push(
      `${wrongMode.length} trials ran a different fsync mode than asked (see fsyncMode).`,
    );
  return {
    charts,
    tables: [
      summaryTable(
        "raft-commit: median (min–max) over repetitions",
        rows,
        ["target", "members", "fsyncMode", "concurrency", "recordsPerAppend"],
        [
          { column: "appendsPerS", title: "appends/s" },
          { column: "recordsPerS", title: "records/s" },
          { column: "commitLatencyNsP50", title: "p50", unit: "ns" },
          { column: "commitLatencyNsP99", title: "p99", unit: "ns" },
          { column: "commitLatencyNsP999", title: "p99.9", unit: "ns" },
          { column: "fsyncsPerS", title: "fsyncs/s" },
          { column: "bytesWritten", title: "bytes written" },
        ],
      ),
    ],
    claims: exp.claims.map((c) => reportClaim(c, rows)),
    findings,
  };
};
