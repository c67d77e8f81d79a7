/**
 * Sets a published claim beside the measured figure. The figure itself comes
 * from the runner's evaluateClaim (runner/claims.ts: per repetition, ratios
 * side by side, then median with min-max over repetitions); this file only
 * words it for the report.
 */
import { evaluateClaim } from "../runner/claims.ts";
import type { Claim } from "../runner/types.ts";
import { fmt, fmtNs, fmtNsSpread, fmtSpread } from "./format.ts";
import type { Spread } from "./stats.ts";

export interface ClaimResult {
  id: string;
  text: string;
  source: string;
  /** "1.23 ratio", or "" when the claim states no figure. */
  claimed: string;
  /** The measured figure with its spread, or why it could not be measured. */
  measured: string;
  spread: Spread | null;
  interpretation: string;
}

/**
 * A unit of "ns" or "ns (what)" marks a duration: it is shown in the unit its
 * magnitude reads best in (ms, µs, s), the same way the tables and charts do.
 */
function durationUnit(unit: string): { rest: string } | null {
  const m = /^ns(?:\s+(.*))?$/.exec(unit);
  return m ? { rest: m[1] ?? "" } : null;
}

function fmtValueWithUnit(value: number, unit: string): string {
  const d = durationUnit(unit);
  return (d ? `${fmtNs(value)} ${d.rest}` : `${fmt(value)} ${unit}`).trim();
}

function fmtSpreadWithUnit(s: Spread, unit: string): string {
  const d = durationUnit(unit);
  return d ? `${fmtNsSpread(s)} ${d.rest}`.trim() : fmtSpread(s, unit);
}

/** A claim line from a figure the section computed itself (e.g. a CDF percentile). */
export function claimLine(
  fields: Omit<ClaimResult, "measured" | "spread">,
  measured: Spread | null,
  unit: string,
  over: string,
  missingReason = "no matching rows",
): ClaimResult {
  return {
    ...fields,
    spread: measured,
    measured: measured
      ? `${fmtSpreadWithUnit(measured, unit)} ${over}`.trim()
      : `not measured: ${missingReason}`,
  };
}

/** Evaluates an experiment-declared claim against its rows. */
export function reportClaim(claim: Claim, rows: readonly Record<string, unknown>[]): ClaimResult {
  const f = evaluateClaim(claim, rows);
  const s =
    f.median === null || f.min === null || f.max === null
      ? null
      : { median: f.median, min: f.min, max: f.max, n: f.repetitions };
  return claimLine(
    {
      id: claim.id,
      text: claim.text,
      source: claim.source,
      claimed: claim.claimed ? fmtValueWithUnit(claim.claimed.value, claim.claimed.unit) : "",
      interpretation: claim.interpretation,
    },
    s,
    f.unit,
    s ? `over ${s.n} repetition${s.n === 1 ? "" : "s"}` : "",
    "no repetition has rows on every side of the claim",
  );
}
