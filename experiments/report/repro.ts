/**
 * The report's "Reproducibility" section: the reference run (results/)
 * against a second full reference run from the same commit (results/repeat/,
 * written by `bun run experiments --reference-repeat`), the way
 * `experiments diff results results/repeat` compares them.
 *
 * Per headline ratio (each experiment's Experiment.headline.ratios, ratio
 * claims paired by repetition within a run): both runs' estimates with their
 * 95% intervals, whether the two intervals overlap, each interval's
 * half-width, and whether each meets the target (half-width at most 10%).
 * A miss is printed as a miss: the decision uses the unrounded half-width.
 * Per headline metric, the count of grid points `experiments diff` marks as
 * changed beyond the noise. Without results/repeat/ the section says the
 * repeat has not been run and how to run it.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { DEFAULT_CHANGE_THRESHOLD } from "../measure/base-head.ts";
import { diffDirs } from "../measure/diff-dir.ts";
import {
  DEFAULT_BOOTSTRAP_SEED,
  type RatioInterval,
  relativeHalfWidth,
} from "../measure/estimate.ts";
import { evaluateClaim } from "../runner/claims.ts";
import { parseCsv } from "../runner/csv.ts";
import { type Experiment, headlineMetrics } from "../runner/types.ts";
import { escapeHtml, fmtRatio, markdownTable } from "./format.ts";

/** Where the second reference run lives, under the reference directory. */
export const REPEAT_SUBDIR = "repeat";
/** The reproducibility target: each headline interval's half-width (log scale) at most this. */
export const HALF_WIDTH_TARGET = 0.1;
export const REPEAT_COMMAND = "bun run experiments --reference-repeat";

export interface ReproRatio {
  experiment: string;
  claimId: string;
  text: string;
  /** The run's paired interval, or null (no CSV, or fewer than 3 pairs). */
  a: RatioInterval | null;
  b: RatioInterval | null;
  /** null when either interval is missing. */
  overlap: boolean | null;
  halfWidthA: number | null;
  halfWidthB: number | null;
}

export interface ReproChanged {
  experiment: string;
  column: string;
  points: number;
  changed: number;
}

export type Reproducibility =
  | { status: "not run"; dirB: string }
  | {
      status: "ok";
      dirA: string;
      dirB: string;
      ratios: ReproRatio[];
      changed: ReproChanged[];
      /** Ratio claims their experiments do not declare headline ratios ("experiment / id"). */
      notHeadline: string[];
    };

function claimInterval(exp: Experiment, dir: string, claimId: string): RatioInterval | null {
  const csv = join(dir, `${exp.name}.csv`);
  if (!existsSync(csv)) return null;
  const claim = exp.claims.find((c) => c.id === claimId)!;
  const rows = parseCsv(readFileSync(csv, "utf8"), exp.rowSchema, csv);
  return evaluateClaim(claim, rows).interval;
}

/** Whether the repeat exists, and if it does, every headline ratio of both runs. */
export function reproducibility(
  experiments: readonly Experiment[],
  dirA: string,
  dirB = join(dirA, REPEAT_SUBDIR),
): Reproducibility {
  if (!existsSync(dirB)) return { status: "not run", dirB };
  const ratios: ReproRatio[] = [];
  for (const exp of experiments)
    for (const claimId of exp.headline.ratios) {
      const a = claimInterval(exp, dirA, claimId);
      const b = claimInterval(exp, dirB, claimId);
      ratios.push({
        experiment: exp.name,
        claimId,
        text: exp.claims.find((c) => c.id === claimId)!.text,
        a,
        b,
        overlap: a && b ? a.lo <= b.hi && b.lo <= a.hi : null,
        halfWidthA: a ? relativeHalfWidth(a) : null,
        halfWidthB: b ? relativeHalfWidth(b) : null,
      });
    }
  const d = diffDirs(dirA, dirB, {
    threshold: DEFAULT_CHANGE_THRESHOLD,
    seed: DEFAULT_BOOTSTRAP_SEED,
    headlines: headlineMetrics(experiments),
  });
  const changed = d.experiments.map((e) => ({
    experiment: e.experiment,
    column: e.metric.column,
    points: e.points.length,
    changed: e.points.filter((p) => p.verdict === "regression" || p.verdict === "improvement")
      .length,
  }));
  const notHeadline = experiments.flatMap((e) =>
    e.claims
      .filter((c) => c.measured.kind === "ratio" && !e.headline.ratios.includes(c.id))
      .map((c) => `${e.name} / ${c.id}`),
  );
  return { status: "ok", dirA, dirB, ratios, changed, notHeadline };
}

function fmtInterval(i: RatioInterval | null): string {
  return i ? `${fmtRatio(i.estimate)} (${fmtRatio(i.lo)}–${fmtRatio(i.hi)})` : "no interval";
}

/** "12.3%", never rounded across the target: 10.04% shows as 10.04%. */
function fmtHalf(h: number | null): string {
  if (h === null) return "—";
  const pct = h * 100;
  const shown = pct.toFixed(1);
  const t = HALF_WIDTH_TARGET * 100;
  return pct > t && Number(shown) <= t ? `${pct.toFixed(3)}%` : `${shown}%`;
}

function meets(r: ReproRatio): string {
  if (r.halfWidthA === null || r.halfWidthB === null) return "no (an interval is missing)";
  const ok = (h: number) => h <= HALF_WIDTH_TARGET;
  if (ok(r.halfWidthA) && ok(r.halfWidthB)) return "yes";
  const which = [!ok(r.halfWidthA) ? "run 1" : "", !ok(r.halfWidthB) ? "run 2" : ""].filter(
    Boolean,
  );
  return `**no** (${which.join(", ")} wider than ${HALF_WIDTH_TARGET * 100}%)`;
}

export const REPRO_TITLE = "Reproducibility";

function intro(r: Reproducibility): string {
  if (r.status === "not run")
    return `The repeat reference run has not been run: ${r.dirB}/ does not exist. To run it, from the same clean commit as results/, run \`${REPEAT_COMMAND}\` (about as long as the reference run), then \`bun run reports\`.`;
  return `Run 1 = ${r.dirA}/, run 2 = ${r.dirB}/: two full reference runs of one commit, compared as \`bun run experiments diff ${r.dirA} ${r.dirB}\` does. Per headline ratio: each run's paired estimate with its 95% interval, whether the two intervals overlap, and each interval's half-width ((ln hi − ln lo) / 2, about ± that fraction around the estimate) against the target of at most ${HALF_WIDTH_TARGET * 100}%.`;
}

export interface ReproTables {
  intro: string;
  ratios: { header: string[]; rows: string[][] } | null;
  changed: { header: string[]; rows: string[][] } | null;
  /** One plain sentence per headline ratio that misses the target or does not overlap. */
  misses: string[];
  /** Which ratio claims are left out, or "". */
  notHeadline: string;
}

export function reproTables(r: Reproducibility): ReproTables {
  if (r.status === "not run")
    return { intro: intro(r), ratios: null, changed: null, misses: [], notHeadline: "" };
  const misses: string[] = [];
  for (const x of r.ratios) {
    const m = meets(x);
    if (m !== "yes")
      misses.push(
        x.a && x.b
          ? `${x.experiment} / ${x.claimId} does not meet the ${HALF_WIDTH_TARGET * 100}% half-width target: half-widths ${fmtHalf(x.halfWidthA)} and ${fmtHalf(x.halfWidthB)}.`
          : `${x.experiment} / ${x.claimId} has no interval in ${!x.a && !x.b ? "either run" : !x.a ? "run 1" : "run 2"} (no CSV, or fewer than 3 paired repetitions), so it does not meet the target.`,
      );
    if (x.overlap === false)
      misses.push(
        `${x.experiment} / ${x.claimId}: the two runs' intervals do not overlap (${fmtInterval(x.a)} vs ${fmtInterval(x.b)}).`,
      );
  }
  return {
    intro: intro(r),
    ratios: {
      header: [
        "experiment",
        "headline ratio",
        "run 1 (95% CI)",
        "run 2 (95% CI)",
        "intervals overlap",
        "half-width run 1",
        "half-width run 2",
        `half-width ≤ ${HALF_WIDTH_TARGET * 100}%`,
      ],
      rows: r.ratios.map((x) => [
        x.experiment,
        `${x.claimId}: ${x.text}`,
        fmtInterval(x.a),
        fmtInterval(x.b),
        x.overlap === null ? "—" : x.overlap ? "yes" : "**no**",
        fmtHalf(x.halfWidthA),
        fmtHalf(x.halfWidthB),
        meets(x),
      ]),
    },
    changed: {
      header: [
        "experiment",
        "headline metric",
        "points",
        "changed beyond the noise (run 2 / run 1)",
      ],
      rows: r.changed.map((c) => [c.experiment, c.column, String(c.points), String(c.changed)]),
    },
    misses,
    notHeadline: r.notHeadline.length
      ? `Ratio claims their experiments do not declare headline ratios (measured in too few repetitions for an interval; see each experiment's headline): ${r.notHeadline.join(", ")}.`
      : "",
  };
}

/** The section as Markdown lines (README.md and reproducibility.md). */
export function reproMarkdown(r: Reproducibility, level = "##"): string[] {
  const t = reproTables(r);
  const out = [`${level} ${REPRO_TITLE}`, "", t.intro, ""];
  if (t.ratios) out.push(markdownTable(t.ratios.header, t.ratios.rows), "");
  if (t.misses.length) out.push(...t.misses.map((m) => `- ${m}`), "");
  else if (t.ratios) out.push("Every headline ratio's intervals overlap and meet the target.", "");
  if (t.notHeadline) out.push(t.notHeadline, "");
  if (t.changed)
    out.push(
      `Headline metrics point by point (threshold ${DEFAULT_CHANGE_THRESHOLD * 100}%; absolute figures move with the machine, ratios should not):`,
      "",
      markdownTable(t.changed.header, t.changed.rows),
      "",
    );
  return out;
}

function htmlTable(t: { header: string[]; rows: string[][] }): string {
  const cell = (s: string) => escapeHtml(s).replace(/\*\*(.+?)\*\*/g, "<strong>$1</strong>");
  return `<table><thead><tr>${t.header.map((h) => `<th>${escapeHtml(h)}</th>`).join("")}</tr></thead><tbody>${t.rows
    .map((r) => `<tr>${r.map((c) => `<td>${cell(c)}</td>`).join("")}</tr>`)
    .join("")}</tbody></table>`;
}

/** The section as HTML (index.html). */
export function reproHtml(r: Reproducibility): string {
  const t = reproTables(r);
  const parts = [`<h2 id="reproducibility">${REPRO_TITLE}</h2>`, `<p>${escapeHtml(t.intro)}</p>`];
  if (t.ratios) parts.push(htmlTable(t.ratios));
  if (t.misses.length)
    parts.push(`<ul>${t.misses.map((m) => `<li>${escapeHtml(m)}</li>`).join("")}</ul>`);
  if (t.notHeadline) parts.push(`<p>${escapeHtml(t.notHeadline)}</p>`);
  if (t.changed) parts.push(htmlTable(t.changed));
  return parts.join("\n");
}
