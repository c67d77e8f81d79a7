/**
 * Number formatting for tables and claim lines: three significant figures,
 * thousands separators, SI-ish suffixes for big rates. One place so the
 * README, the HTML and the test agree on every printed figure.
 */
import type { Spread } from "./stats.ts";

/** 3 significant figures; large values grouped ("13,100,000" -> "13.1M"). */
export function fmt(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  const abs = Math.abs(value);
  if (abs >= 1e9) return `${trim(value / 1e9)}G`;
  if (abs >= 1e6) return `${trim(value / 1e6)}M`;
  if (abs >= 1e4) return `${trim(value / 1e3)}k`;
  return trim(value);
}

function trim(v: number): string {
  if (v === 0) return "0";
  const abs = Math.abs(v);
  if (abs < 0.01) return String(Number(v.toPrecision(3)));
  const digits = abs >= 100 ? 0 : abs >= 10 ? 1 : abs >= 1 ? 2 : 3;
  const s = v.toFixed(digits);
  return s.includes(".") ? s.replace(/0+$/, "").replace(/\.$/, "") : s;
}

/** "12.3 (11.9–13) ns": median with min–max, then the unit; "12.3 ns" alone when min == max. */
export function fmtSpread(s: Spread, unit = ""): string {
  const u = unit ? ` ${unit}` : "";
  if (s.min === s.max) return `${fmt(s.median)}${u}`;
  return `${fmt(s.median)} (${fmt(s.min)}–${fmt(s.max)})${u}`;
}

/** Time units, largest first: a duration is shown in the largest one it reaches. */
const TIME_UNITS = [
  { unit: "s", ns: 1e9 },
  { unit: "ms", ns: 1e6 },
  { unit: "µs", ns: 1e3 },
  { unit: "ns", ns: 1 },
] as const;

/** The unit a duration of `ns` reads best in (481e6 ns -> ms; 850 ns -> ns). */
export function timeUnitFor(ns: number): { unit: string; ns: number } {
  const abs = Math.abs(ns);
  return TIME_UNITS.find((u) => abs >= u.ns) ?? TIME_UNITS[TIME_UNITS.length - 1]!;
}

/**
 * The unit for a chart of durations: the one their median reads best in, so
 * a chart and the tables beside it speak the same unit for the same figures.
 */
export function timeUnitForValues(ns: readonly number[]): { unit: string; ns: number } {
  const sorted = ns.filter(Number.isFinite).sort((a, b) => a - b);
  return timeUnitFor(sorted.length ? sorted[Math.floor(sorted.length / 2)]! : 0);
}

/** A duration in nanoseconds in its human unit: "481 ms", "12.3 µs", "2.5 s". */
export function fmtNs(ns: number): string {
  const u = timeUnitFor(ns);
  return `${trim(ns / u.ns)} ${u.unit}`;
}

/** fmtSpread for durations: all three figures in the median's unit, "481 (315–539) ms". */
export function fmtNsSpread(s: Spread): string {
  const u = timeUnitFor(s.median);
  const f = (v: number) => trim(v / u.ns);
  if (s.min === s.max) return `${f(s.median)} ${u.unit}`;
  return `${f(s.median)} (${f(s.min)}–${f(s.max)}) ${u.unit}`;
}

/** A ratio as "1.23x". */
export function fmtRatio(r: number): string {
  return `${trim(r)}x`;
}

/** Escapes a Markdown table cell. */
export function cell(text: string): string {
  return text.replace(/\|/g, "\\|").replace(/\n/g, " ");
}

/** A GitHub Markdown table. */
export function markdownTable(
  header: readonly string[],
  rows: readonly (readonly string[])[],
): string {
  const line = (cells: readonly string[]) => `| ${cells.map(cell).join(" | ")} |`;
  return [line(header), line(header.map(() => "---")), ...rows.map(line)].join("\n");
}

/** Escapes text for HTML element content and attribute values. */
export function escapeHtml(text: string): string {
  return text
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;");
}
