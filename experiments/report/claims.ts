/**
 * Sets a published claim beside the measured figure. The figure itself comes
 * from the runner's evaluateClaim (runner/claims.ts: a ratio is paired by
 * repetition and estimated with its 95% interval; a value is the median with
 * min-max over repetitions); this file words it for the report and gives a
 * ratio claim its verdict by measure/decide.ts's rule, on the interval only.
 */
import { decideClaim, decideClaimAtMost } from "../measure/decide.ts";
import { MIN_PAIRS } from "../measure/estimate.ts";
import { evaluateClaim } from "../runner/claims.ts";
import type { Claim } from "../runner/types.ts";
import { fmt, fmtNs, fmtNsSpread, fmtSpread } from "./format.ts";
import { fmtRatioInterval } from "./ratio.ts";
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
  /**
   * A ratio claim's verdict on its interval (holds, fails, not established);
   * "—" for a figure that is not a ratio (its spread is shown, nothing decided).
   */
  verdict: string;
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
  fields: Omit<ClaimResult, "measured" | "spread" | "verdict">,
  measured: Spread | null,
  unit: string,
  over: string,
  missingReason = "no matching rows",
): ClaimResult {
  return {
    ...fields,
    verdict: "—",
    spread: measured,
    measured: measured
      ? `${fmtSpreadWithUnit(measured, unit)} ${over}`.trim()
      : `not measured: ${missingReason}`,
  };
}

/** Evaluates an experiment-declared claim against its rows. */
export function reportClaim(claim: Claim, rows: readonly Record<string, unknown>[]): ClaimResult {
  const f = evaluateClaim(claim, rows);
  const fields = {
    id: claim.id,
    text: claim.text,
    source: claim.source,
    claimed: claim.claimed ? fmtValueWithUnit(claim.claimed.value, claim.claimed.unit) : "",
    interpretation: claim.interpretation,
  };
  if (claim.measured.kind === "ratio")
    return ratioClaim(fields, f, claim.claimed?.value ?? 1, claim.measured.atMost === true);
  const s =
    f.median === null || f.min === null || f.max === null
      ? null
      : { median: f.median, min: f.min, max: f.max, n: f.repetitions };
  return claimLine(
    fields,
    s,
    f.unit,
    s ? `over ${s.n} repetition${s.n === 1 ? "" : "s"}` : "",
    "no repetition has rows on every side of the claim",
  );
}

/** A ratio unit without its leading "x" (the figure already ends in x): "(pool / naive ops/s)". */
function ratioUnit(unit: string): string {
  return unit.replace(/^x\b\s*/, "");
}

/**
 * A ratio claim: the paired estimate with its 95% interval, and the verdict
 * of "ratio >= claimed" (1 when the claim names no figure, i.e. "beats"), or
 * of "ratio <= claimed" for an `atMost` claim.
 */
function ratioClaim(
  fields: Omit<ClaimResult, "measured" | "spread" | "verdict">,
  f: ReturnType<typeof evaluateClaim>,
  bound: number,
  atMost: boolean,
): ClaimResult {
  const i = f.interval;
  return {
    ...fields,
    spread: null,
    measured: i
      ? `${fmtRatioInterval(i)} ${ratioUnit(f.unit)}`.trim()
      : `not measured: ${f.repetitions} paired repetition${f.repetitions === 1 ? "" : "s"}, an interval needs ${MIN_PAIRS}`,
    verdict: i ? (atMost ? decideClaimAtMost(i, bound) : decideClaim(i, bound)) : "not established",
  };
}
