/**
 * The `raft-election` section: the Raft paper's Figure 16 redrawn from the
 * CSV, one row per trial. A line is every trial of one (figure, timeout
 * range, pre-vote, timer rule), pooled over repetitions. Each graph (top:
 * 150-X ms, varying randomness; bottom: X-2X ms, scaling the timeout) is one
 * chart of empirical CDFs, one line per range (a fixed color per range,
 * shared by both graphs), in panels: pre-vote off/on by timer rule.
 * Censored trials (no leader by the cap) are not drawn: their line levels
 * off below 1.
 *
 * Claims: the paper's statements beside the figure from the trials in the
 * paper's setting (pre-vote off, Figure 2 timer rule), each with a seeded
 * percentile-bootstrap 95% interval over the trials (a Wilson interval for
 * the share leaderless at the cap; stats.ts); a second
 * table gives the same statistics in every setting. Censored trials count at
 * the cap, so a median, mean or worst case with censored trials is a lower
 * bound.
 */

import { cdfFacetChart } from "../report/cdf.ts";
import type { ChartDef } from "../report/charts.ts";
import type { ClaimResult } from "../report/claims.ts";
import { fmt } from "../report/format.ts";
import type { Row, SectionBuilder, Table } from "../report/section.ts";
import {
  BOOTSTRAP_RESAMPLES,
  type BootstrapStat,
  bootstrapInterval,
  groupBy,
  type Interval,
  mean,
  quantileSorted,
  sortedCopy,
  wilsonInterval,
} from "../report/stats.ts";
import type { Experiment } from "../runner/types.ts";

const SOURCE = "Ongaro and Ousterhout, 2014, §9.3, Figure 16";

/** One color per timeout range, the same in both graphs (Tableau 10). */
const RANGE_COLORS: Readonly<Record<string, string>> = {
  "150-150": "#e15759",
  "150-151": "#f28e2b",
  "150-155": "#edc948",
  "150-175": "#59a14f",
  "150-200": "#76b7b2",
  "150-300": "#4e79a7",
  "12-24": "#9467bd",
  "25-50": "#bcbd22",
  "50-100": "#e377c2",
  "100-200": "#7f7f7f",
};

interface Line {
  figure: string;
  lo: number;
  hi: number;
  preVote: boolean;
  timerRule: string;
  /** Every trial's time (censored at the cap), sorted. */
  times: number[];
  censored: number;
  capMs: number;
  repeats: number;
}

const rangeOf = (l: { lo: number; hi: number }) => `${l.lo}-${l.hi}`;
const settingOf = (l: Line) => `pre-vote ${l.preVote ? "on" : "off"}, ${l.timerRule} timer rule`;

function linesOf(rows: readonly Row[]): Line[] {
  return groupBy(rows, ["figure", "timeoutMinMs", "timeoutMaxMs", "preVote", "timerRule"]).map(
    (g) => ({
      figure: String(g.key.figure),
      lo: g.key.timeoutMinMs as number,
      hi: g.key.timeoutMaxMs as number,
      preVote: g.key.preVote === true,
      timerRule: String(g.key.timerRule),
      times: sortedCopy(g.rows.map((r) => r.timeWithoutLeaderMs as number)),
      censored: g.rows.filter((r) => r.censored === true).length,
      capMs: Math.max(...g.rows.map((r) => r.capMs as number)),
      repeats: new Set(g.rows.map((r) => r.repeat)).size,
    }),
  );
}

/** The largest 1-2-5 step (1, 2, 5, 10, 20, ...) at or below x (>= 1). */
function niceBelow(x: number): number {
  const steps = [1, 2, 5].flatMap((m) => [1, 10, 100, 1000, 10_000].map((d) => m * d));
  return Math.max(1, ...steps.filter((v) => v <= x));
}

/** The smallest 1-2-5 step at or above x. */
function niceAbove(x: number): number {
  const steps = [1, 2, 5].flatMap((m) => [1, 10, 100, 1000, 10_000, 100_000].map((d) => m * d));
  return Math.min(...steps.filter((v) => v >= x));
}

function figureChart(name: string, figure: string, lines: Line[]): ChartDef | null {
  // Panels: the paper's timer rule on the first row, pre-vote off first; lines in timeout order.
  const ruleOrder = (r: string) => (r === "paper" ? 0 : 1);
  const mine = lines
    .filter((l) => l.figure === figure)
    .sort(
      (a, b) =>
        ruleOrder(a.timerRule) - ruleOrder(b.timerRule) ||
        Number(a.preVote) - Number(b.preVote) ||
        a.lo - b.lo ||
        a.hi - b.hi,
    );
  if (mine.length === 0) return null;
  const names = [...new Set(mine.map(rangeOf))];
  const top = figure === "top";
  const cap = Math.max(...mine.map((l) => l.capMs));
  const shortest = Math.min(...mine.flatMap((l) => l.times.slice(0, 1)));
  const longest = Math.max(...mine.flatMap((l) => l.times.slice(l.times.length - 1)));
  // x from the decade step below the shortest trial to the longest, or the cap when one hit it.
  const xDomain: [number, number] = [niceBelow(shortest), Math.min(cap, niceAbove(longest))];
  return {
    name,
    title: top
      ? "Figure 16 (top): varying randomness, 150-X ms"
      : "Figure 16 (bottom): scaling the timeout, X-2X ms",
    caption: top
      ? "CDF of the time without a leader after the leader crashes, one line per election-timeout range (5 servers, simulated), log x; panels: pre-vote off/on (columns) by election timer rule (rows: Figure 2's rule, then etcd's). The paper: a little randomness (150-151 ms) already helps; 5 ms gives a 287 ms median; none leaves the cluster splitting votes for over 10 s. A line that levels off below 1 has trials with no leader by the cap."
      : "Shorter timeouts elect faster until they approach the broadcast time (~15 ms); the paper: 12-24 ms averages 35 ms, worst 152 ms. Log x (the paper's is linear): the short ranges sit close together and a long tail would squeeze them.",
    spec: cdfFacetChart(
      `Figure 16 (${figure}): time without leader after a leader crash`,
      mine.map((l) => ({
        name: rangeOf(l),
        values: l.times.slice(0, l.times.length - l.censored),
        censored: l.censored,
        row: `${l.timerRule} timer rule`,
        column: `pre-vote ${l.preVote ? "on" : "off"}`,
      })),
      {
        xTitle: "time without leader (ms)",
        yTitle: "cumulative fraction of trials",
        xLog: true,
        xDomain,
        seriesTitle: "timeout (ms)",
        names,
        colors: names.map((n) => RANGE_COLORS[n] ?? "#bab0ac"),
      },
    ),
  };
}

/** "287 ms (95% bootstrap interval 250–301 ms, 1000 trials)". */
function fmtInterval(i: Interval, unit: string, kind = "bootstrap"): string {
  return `${fmt(i.estimate)} ${unit} (95% ${kind} interval ${fmt(i.lo)}–${fmt(i.hi)} ${unit}, ${i.n} trials)`;
}

interface Statement {
  id: string;
  text: string;
  source: string;
  claimed: string;
  interpretation: string;
  figure: string;
  lo: number;
  hi: number;
  /** A statistic of the times, or "censored": the share of trials leaderless at the cap. */
  stat: BootstrapStat | "censored";
}

const INTERVAL_NOTE =
  "Measured in the paper's setting (pre-vote off; Figure 2 timer rule when run); the interval is a percentile bootstrap over the trials (2000 resamples, seeded; a Wilson interval for the share leaderless). Other settings: the next table.";

/**
 * The paper's statements: the experiment's declared claims (their `where`
 * names the line, their aggregate the statistic), then the split-vote one,
 * which is a share of censored trials rather than a statistic of times.
 */
function statements(exp: Experiment): Statement[] {
  const declared = exp.claims.flatMap((c): Statement[] => {
    if (c.measured.kind !== "value") return [];
    const { where, aggregate } = c.measured.measure;
    const stat = aggregate === "mean" || aggregate === "max" ? aggregate : "median";
    return [
      {
        id: c.id,
        text: c.text,
        source: c.source,
        claimed: c.claimed ? `${fmt(c.claimed.value)} ms ${stat === "max" ? "worst" : stat}` : "—",
        interpretation: `${c.interpretation} ${INTERVAL_NOTE}`,
        figure: String(where.figure),
        lo: Number(where.timeoutMinMs),
        hi: Number(where.timeoutMaxMs),
        stat,
      },
    ];
  });
  return [
    ...declared,
    {
      id: "raft-no-randomness-split-votes",
      text: "Without randomness (150-150 ms), split votes kept the cluster leaderless for over 10 s in some trials.",
      source: SOURCE,
      claimed: "> 10 s in some trials",
      interpretation: `Share of trials with no leader at the cap (censored there); above 0 agrees with the paper. ${INTERVAL_NOTE}`,
      figure: "top",
      lo: 150,
      hi: 150,
      stat: "censored",
    },
  ];
}

/**
 * The statement's figure for one line with its interval, as text: a
 * percentile bootstrap for a statistic of the times, a Wilson interval for
 * the share censored (a bootstrap of 10 of 10 would say 100–100%).
 */
function measure(st: Statement, l: Line): { interval: Interval; text: string } {
  if (st.stat === "censored") {
    const interval = wilsonInterval(l.censored, l.times.length);
    return {
      interval,
      text: `${fmtInterval(interval, "%", "Wilson")} of trials leaderless at the ${fmt(l.capMs)} ms cap`,
    };
  }
  const interval = bootstrapInterval(l.times, st.stat);
  const bound = l.censored > 0 ? `; ${l.censored} censored at the cap, so a lower bound` : "";
  return { interval, text: `${st.stat} ${fmtInterval(interval, "ms")}${bound}` };
}

function findLine(lines: Line[], st: Statement, preVote: boolean, rule: string) {
  return lines.find(
    (l) =>
      l.figure === st.figure &&
      l.lo === st.lo &&
      l.hi === st.hi &&
      l.preVote === preVote &&
      l.timerRule === rule,
  );
}

function claims(lines: Line[], sts: Statement[]): ClaimResult[] {
  return sts.map((st) => {
    const l = findLine(lines, st, false, "paper") ?? findLine(lines, st, false, "etcd");
    const { id, text, source, claimed, interpretation } = st;
    // Not a ratio: the figure and its interval are shown, no verdict decided here.
    const base = { id, text, source, claimed, interpretation, verdict: "—" };
    if (!l)
      return { ...base, measured: `not measured: no ${st.lo}-${st.hi} ms line`, spread: null };
    const m = measure(st, l);
    const { estimate, lo, hi, n } = m.interval;
    return {
      ...base,
      measured: `${m.text} (${settingOf(l)})`,
      spread: { median: estimate, min: lo, max: hi, n },
    };
  });
}

function settingsTable(lines: Line[], sts: Statement[]): Table {
  const settings = groupBy(
    lines.map((l) => ({ preVote: l.preVote, timerRule: l.timerRule })),
    ["preVote", "timerRule"],
  ).map((g) => g.key as { preVote: boolean; timerRule: string });
  return {
    caption: `raft-election: the paper's statements in every setting (95% interval over the trials: percentile bootstrap, ${BOOTSTRAP_RESAMPLES} resamples; Wilson for the share leaderless)`,
    header: [
      "statement",
      "paper",
      ...settings.map((s) => `pre-vote ${s.preVote ? "on" : "off"}, ${s.timerRule} timers`),
    ],
    rows: sts.map((st) => [
      `${st.lo}-${st.hi} ms ${st.stat === "censored" ? "leaderless at cap" : st.stat}`,
      st.claimed,
      ...settings.map((s) => {
        const l = findLine(lines, st, s.preVote, s.timerRule);
        if (!l) return "—";
        const { interval: i } = measure(st, l);
        const unit = st.stat === "censored" ? "%" : "ms";
        return `${fmt(i.estimate)} ${unit} (${fmt(i.lo)}–${fmt(i.hi)})`;
      }),
    ]),
  };
}

function linesTable(lines: Line[]): Table {
  const q = (l: Line, p: number) => fmt(quantileSorted(l.times, p));
  return {
    caption:
      "raft-election: per line, over its trials (censored trials count at the cap; repetitions pooled)",
    header: [
      "figure",
      "timeout (ms)",
      "pre-vote",
      "timer rule",
      "trials",
      "leaderless at cap",
      "P50 (ms)",
      "P25–P75 (ms)",
      "mean (ms)",
      "P99 (ms)",
      "worst (ms)",
    ],
    rows: lines.map((l) => [
      l.figure,
      rangeOf(l),
      l.preVote ? "on" : "off",
      l.timerRule,
      String(l.times.length),
      `${l.censored} (${fmt((100 * l.censored) / l.times.length)}%)`,
      q(l, 0.5),
      `${q(l, 0.25)}–${q(l, 0.75)}`,
      fmt(mean(l.times)),
      q(l, 0.99),
      fmt(l.times[l.times.length - 1]!),
    ]),
  };
}

function findings(lines: Line[]): string[] {
  const out: string[] = [];
  for (const l of lines.filter((x) => x.preVote)) {
    const base = lines.find(
      (b) =>
        !b.preVote &&
        b.figure === l.figure &&
        b.lo === l.lo &&
        b.hi === l.hi &&
        b.timerRule === l.timerRule,
    );
    if (!base || l.figure !== "top" || (l.hi !== 150 && l.hi !== 155)) continue;
    out.push(
      `${rangeOf(l)} ms, ${l.timerRule} timer rule: median ${fmt(quantileSorted(l.times, 0.5))} ms with pre-vote vs ${fmt(quantileSorted(base.times, 0.5))} ms without; leaderless at the cap ${l.censored}/${l.times.length} vs ${base.censored}/${base.times.length} trials.`,
    );
  }
  const repeats = Math.max(...lines.map((l) => l.repeats));
  out.push(
    `Each line pools ${repeats} repetition${repeats === 1 ? "" : "s"} of its trials; intervals are over trials, not repetitions.`,
  );
  return out;
}

export const raftElectionSection: SectionBuilder = (rows, exp) => {
  const lines = linesOf(rows);
  const sts = statements(exp);
  const charts = [
    figureChart("figure16-top", "top", lines),
    figureChart("figure16-bottom", "bottom", lines),
  ].filter((c): c is ChartDef => c !== null);
  return {
    charts,
    tables: [settingsTable(lines, sts), linesTable(lines)],
    claims: claims(lines, sts),
    findings: findings(lines),
  };
};
