/** Markdown and JSON of a `compare --base` report (base-head.ts): one row per compare row. */
import type { BaseHeadReport, BaseHeadRowResult } from "./base-head.ts";

function median(values: readonly number[]): number {
  const s = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  if (s.length === 0) return Number.NaN;
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

function num(v: number): string {
  if (!Number.isFinite(v)) return "—";
  const a = Math.abs(v);
  return a >= 1e6
    ? `${(v / 1e6).toFixed(2)}M`
    : a >= 1e3
      ? `${(v / 1e3).toFixed(1)}k`
      : v.toFixed(1);
}

function verdictCell(x: BaseHeadRowResult): string {
  if (x.verdict === "regression") return "**REGRESSION**";
  if (x.verdict === "improvement") return "improvement";
  if (x.verdict === "not measured") return "**NOT MEASURED**";
  return "no change established";
}

function shape(x: BaseHeadRowResult): string {
  const i = x.interval;
  return i ? `${i.sessions} x ${(i.n / i.sessions).toFixed(i.n % i.sessions ? 1 : 0)}` : "—";
}

function ratioCell(x: BaseHeadRowResult): string {
  const i = x.interval;
  return i ? `${i.estimate.toFixed(3)} (${i.lo.toFixed(3)}–${i.hi.toFixed(3)})` : "—";
}

/** The Markdown summary: header with method and machine load, the table, then notes. */
export function baseHeadMarkdown(r: BaseHeadReport): string {
  const t = r.threshold;
  const lines = [
    `## eventlab compare --base ${r.baseRef}`,
    "",
    `base ${r.baseCommit.slice(0, 12)} vs head ${r.headCommit.slice(0, 12)}; ${r.sessions} independent sessions per row, each side warmed up to a flat rate first; mode per row: duet (each session: two fresh Workers running at once, trials started together behind a barrier; design "swap": both Workers run base and head in turn, trading sides every block, so a Worker that is slow for its life cancels, and a pair is a unit of two blocks, ${r.pairsPerSession} per session; design "split": one side per Worker, ${r.pairsPerSession} pairs, the side in the first Worker alternated across sessions) or interleaved (base and head trials in seeded balanced order, every trial in fresh Workers, so each pair is its own session; seed ${r.seed}); head/base is the geometric mean of per-pair ratios, sessions weighted alike, with a 95% interval from a two-stage bootstrap (sessions, then pairs within; expanded percentile) so the noise between sessions is in it (> 1: head better). A row is a regression only when the whole interval lies below ${(1 - t).toFixed(2)}, an improvement only when it lies above ${(1 + t).toFixed(2)}; otherwise no change is established. Load average (1 min) ${r.loadAvg1m[0].toFixed(2)} at start, ${r.loadAvg1m[1].toFixed(2)} at end; ${r.seconds.toFixed(0)} s.`,
    "",
    "| row | figure | mode | sessions x pairs | base median | head median | head/base (95% CI) | verdict |",
    "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ...r.rows.map(
      (x) =>
        `| ${x.row.id} | ${x.row.figureName} (${x.row.figureUnit}, ${x.row.higherIsBetter ? "higher" : "lower"} is better) | ${x.design ? `${x.mode}, ${x.design}` : x.mode} | ${shape(x)} | ${num(median(x.base))} | ${num(median(x.head))} | ${ratioCell(x)} | ${verdictCell(x)} |`,
    ),
    "",
  ];
  const notes = r.rows.flatMap((x) => x.notes.map((n) => `- ${x.row.id}: ${n}`));
  if (notes.length) lines.push("Notes:", "", ...notes, "");
  const bad = r.rows.filter((x) => x.verdict === "regression" || x.verdict === "not measured");
  lines.push(
    bad.length
      ? `**FAILED**: ${bad.map((x) => `${x.row.id} (${x.verdict})`).join(", ")}`
      : "**PASSED**: no regression established.",
  );
  return `${lines.join("\n")}\n`;
}

/** The JSON written to --out: the whole report, every trial figure included. */
export function baseHeadJson(r: BaseHeadReport): string {
  return `${JSON.stringify(r, null, 2)}\n`;
}
