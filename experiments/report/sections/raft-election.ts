/**
 * The `raft-election` section: the Raft paper's Figure 16 redrawn from the
 * CSV. Each row is one line of the figure (a timeout range) with the
 * percentiles P00..P100 of the time without a leader over its trials, so each
 * CDF is drawn from those percentile points. Top graph: the 150-X ms lines
 * (varying randomness); bottom graph: X-2X ms lines (varying the timeout
 * scale); a third chart sets pre-vote on against off where both ran. The
 * paper's statements sit beside the measured figures, with the spread of the
 * trials (P25–P75 around a median, P99 below a worst case) since a line is one
 * repetition of many trials.
 */
import { type ChartDef, cdfChart } from "../charts.ts";
import { claimLine, reportClaim } from "../claims.ts";
import { sequentialColors } from "../colors.ts";
import { fmt, fmtSpread } from "../format.ts";
import type { Row, SectionBuilder, Table } from "../section.ts";
import { groupBy, median, spread } from "../stats.ts";

const PCT_RE = /^timeWithoutLeaderMsP(\d+)$/;

interface Line {
  lo: number;
  hi: number;
  preVote: boolean;
  trials: number;
  /** Median over repetitions of each percentile column, by percentile. */
  pct: Map<number, number>;
  mean: number;
  censoredFraction: number;
  rows: Row[];
}

function percentileColumns(rows: readonly Row[]): { column: string; p: number }[] {
  const first = rows[0] ?? {};
  return Object.keys(first)
    .map((c) => ({ column: c, m: PCT_RE.exec(c) }))
    .filter((x) => x.m !== null)
    .map((x) => ({ column: x.column, p: Number(x.m![1]) }))
    .sort((a, b) => a.p - b.p);
}

function linesOf(rows: readonly Row[]): Line[] {
  const cols = percentileColumns(rows);
  return groupBy(rows, ["timeoutMinMs", "timeoutMaxMs", "preVote"]).map((g) => {
    const pct = new Map<number, number>();
    for (const c of cols) pct.set(c.p, median(g.rows.map((r) => r[c.column] as number)));
    return {
      lo: g.key.timeoutMinMs as number,
      hi: g.key.timeoutMaxMs as number,
      preVote: g.key.preVote === true,
      trials: g.rows.reduce((a, r) => a + (r.trials as number), 0),
      pct,
      mean: median(g.rows.map((r) => r.timeWithoutLeaderMsMean as number)),
      censoredFraction: median(g.rows.map((r) => r.censoredFraction as number)),
      rows: g.rows,
    };
  });
}

const label = (l: Line) => `${l.lo}-${l.hi} ms${l.preVote ? " pre-vote" : ""}`;

function cdfPoints(l: Line): { x: number; p: number }[] {
  return [...l.pct].map(([p, x]) => ({ x: Math.max(x, 1), p: p / 100 }));
}

function cdf(
  name: string,
  title: string,
  caption: string,
  lines: Line[],
  dashPreVote = false,
): ChartDef | null {
  if (lines.length === 0) return null;
  return {
    name,
    title,
    caption,
    spec: cdfChart(
      title,
      lines.map((l) => ({ name: label(l), points: cdfPoints(l), dash: dashPreVote && l.preVote })),
      {
        xTitle: "time without leader (ms)",
        yTitle: "cumulative fraction of trials",
        seriesTitle: "election timeout",
        dashTitle: "pre-vote",
        colors: sequentialColors(lines.length),
        xLog: true,
      },
    ),
  };
}

function findLine(lines: Line[], lo: number, hi: number): Line | undefined {
  return lines.find((l) => l.lo === lo && l.hi === hi && !l.preVote);
}

export const raftElectionSection: SectionBuilder = (rows, exp) => {
  const lines = linesOf(rows);
  const off = lines.filter((l) => !l.preVote);
  const top = off.filter((l) => l.lo === 150).sort((a, b) => a.hi - b.hi);
  const bottom = off.filter((l) => l.hi === 2 * l.lo).sort((a, b) => a.lo - b.lo);
  const withPreVote = lines.filter((l) => l.preVote);
  const compared = lines
    .filter((l) => withPreVote.some((p) => p.lo === l.lo && p.hi === l.hi))
    .sort((a, b) => a.lo - b.lo || Number(a.preVote) - Number(b.preVote));
  const charts = [
    cdf(
      "figure16-top",
      "Figure 16 (top): varying randomness, 150-X ms",
      "CDF of the time without a leader after the leader crashes, one line per election-timeout range (5 servers, simulated). The paper: a little randomness (150-151 ms) already helps; 5 ms gives a 287 ms median; none leaves the cluster splitting votes.",
      top,
    ),
    cdf(
      "figure16-bottom",
      "Figure 16 (bottom): scaling the timeout, X-2X ms",
      "Shorter timeouts elect faster until they approach the broadcast time (~15 ms); the paper: 12-24 ms averages 35 ms, worst 152 ms.",
      bottom,
    ),
    compared.length > 0
      ? cdf(
          "pre-vote",
          "Pre-vote on vs off",
          "Same timeout ranges with pre-vote (dashed) and without (solid).",
          compared,
          true,
        )
      : null,
  ].filter((c): c is ChartDef => c !== null);

  // One repetition is one line of many trials: the spread worth quoting is the trials'.
  const claims = exp.claims.map((c) => {
    const result = reportClaim(c, rows);
    const where = c.measured.kind === "value" ? c.measured.measure.where : {};
    const line = findLine(lines, where.timeoutMinMs as number, where.timeoutMaxMs as number);
    if (!line || result.spread === null) return result;
    const g = (p: number) => fmt(line.pct.get(p) ?? Number.NaN);
    return {
      ...result,
      measured: `${result.measured}; its ${line.trials} trials: P25–P75 ${g(25)}–${g(75)} ms, P99 ${g(99)} ms`,
    };
  });
  const flat = findLine(lines, 150, 150);
  claims.push(
    claimLine(
      {
        id: "raft-no-randomness-split-votes",
        text: "Without randomness (150-150 ms), split votes kept the cluster leaderless for over 10 s in some trials.",
        source: "Ongaro and Ousterhout, 2014, §9.3, Figure 16",
        claimed: "> 10 s in some trials",
        interpretation:
          "Share of trials with no leader at the simulator's cap (the trial is censored there); above 0 agrees with the paper.",
      },
      flat ? spread(flat.rows.map((r) => (r.censoredFraction as number) * 100)) : null,
      "% of trials leaderless at the cap",
      flat
        ? `(${flat.trials} trials; cap ${fmt(flat.rows[0]!.capMs as number)} ms; worst ${fmt(flat.pct.get(100) ?? Number.NaN)} ms)`
        : "",
      "no 150-150 ms line in the CSV",
    ),
  );

  // A line is one repetition of many trials: quote the trial spread beside each paper figure.
  const findings: string[] = [];
  const paper: [number, number, string][] = [
    [150, 155, "paper: median 287 ms"],
    [150, 200, "paper: worst 513 ms"],
    [12, 24, "paper: mean 35 ms, worst 152 ms"],
  ];
  for (const [lo, hi, what] of paper) {
    const l = findLine(lines, lo, hi);
    if (!l) continue;
    const g = (p: number) => fmt(l.pct.get(p) ?? Number.NaN);
    findings.push(
      `${lo}-${hi} ms (${what}): median ${g(50)} ms (P25–P75 ${g(25)}–${g(75)} ms), mean ${fmt(l.mean)} ms, P99 ${g(99)} ms, worst ${g(100)} ms over ${l.trials} trials.`,
    );
  }
  for (const l of compared.filter((c) => c.preVote)) {
    const base = lines.find((b) => b.lo === l.lo && b.hi === l.hi && !b.preVote);
    if (base)
      findings.push(
        `${l.lo}-${l.hi} ms: median ${fmt(l.pct.get(50)!)} ms with pre-vote vs ${fmt(base.pct.get(50)!)} ms without; worst ${fmt(l.pct.get(100)!)} vs ${fmt(base.pct.get(100)!)} ms.`,
      );
  }
  const table: Table = {
    caption: "raft-election: per line (median over repetitions of each column)",
    header: [
      "timeout (ms)",
      "pre-vote",
      "trials",
      "P50 (ms)",
      "P25–P75 (ms)",
      "P99 (ms)",
      "worst (ms)",
      "mean (ms)",
      "leaderless at cap",
    ],
    rows: lines.map((l) => [
      `${l.lo}-${l.hi}`,
      l.preVote ? "on" : "off",
      String(l.trials),
      fmt(l.pct.get(50) ?? Number.NaN),
      `${fmt(l.pct.get(25) ?? Number.NaN)}–${fmt(l.pct.get(75) ?? Number.NaN)}`,
      fmt(l.pct.get(99) ?? Number.NaN),
      fmt(l.pct.get(100) ?? Number.NaN),
      fmt(l.mean),
      fmtSpread(spread(l.rows.map((r) => (r.censoredFraction as number) * 100)), "%"),
    ]),
  };
  return { charts, tables: [table], claims, findings };
};
