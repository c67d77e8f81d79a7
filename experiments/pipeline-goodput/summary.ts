/**
 * One summary per goodput search, read back from its CSV rows (the report
 * has only rows): the median goodput over its rounds with their min-max,
 * each round's goodput and outcome, and the lowest rate a long step failed
 * at. CSVs from before rounds (no round columns) read as one round whose
 * goodput is the search's figure.
 */
import { fmt } from "../report/format.ts";
import type { Row } from "../report/section.ts";

/** Registry-style names, so the report's fixed colours apply: queue kind, "compact" or "redis-xadd". */
export function targetLabel(r: Row): string {
  const name =
    r.target === "resp" ? "redis-xadd" : r.topology === "compact" ? "compact" : String(r.queue);
  return r.pinning === "none" ? `${name} (unpinned)` : name;
}

export interface SearchSummary {
  /** The search's step-0 row (its params and search-wide columns). */
  head: Row;
  label: string;
  sloMs: number;
  /** Median of the rounds' goodputs, events/s (0: not confirmed). */
  goodputPerS: number;
  minPerS: number;
  maxPerS: number;
  /** Each round's goodput, events/s (0: no long pass in that round), in round order. */
  roundGoodputsPerS: number[];
  /** Each round's outcome (empty for CSVs from before rounds). */
  outcomes: string[];
  /** Lowest rate a long step of the search failed at (0: none failed); a search with no long steps (older CSVs): its lowest failing short step. */
  lowestLongFailPerS: number;
  /** True when lowestLongFailPerS comes from a short step (the search had no long step). */
  failFromShort: boolean;
  /** Highest rate a long step of the search passed at (0: none passed). */
  highestLongPassPerS: number;
  longSteps: number;
  /** Seconds of one long step. */
  longS: number;
  /** The search's long steps (for their p99s). */
  long: Row[];
}

/** Rows of the search that `s` (its step 0 row) heads. */
export function rowsOfSearch(all: readonly Row[], s: Row): Row[] {
  return all.filter(
    (r) =>
      r.mode !== "soak" &&
      targetLabel(r) === targetLabel(s) &&
      r.sloMs === s.sloMs &&
      r.repeat === s.repeat,
  );
}

const num = (v: unknown, fallback: number) => (typeof v === "number" ? v : fallback);

export function summarise(all: readonly Row[], head: Row): SearchSummary {
  const rows = rowsOfSearch(all, head);
  const long = rows.filter((r) => r.phase === "boundary");
  const goodput = head.goodputEventsPerS as number;
  const byRound = new Map<number, Row>();
  for (const r of long)
    if (typeof r.roundGoodputEventsPerS === "number") byRound.set(r.round as number, r);
  const rounds = [...byRound.entries()].sort((a, b) => a[0] - b[0]).map(([, r]) => r);
  const failFromShort = long.length === 0;
  const failed = (failFromShort ? rows : long)
    .filter((r) => r.passed !== true)
    .map((r) => r.ratePerS as number);
  const passed = long.filter((r) => r.passed === true).map((r) => r.ratePerS as number);
  return {
    head,
    label: targetLabel(head),
    sloMs: head.sloMs as number,
    goodputPerS: goodput,
    minPerS: num(head.goodputMinEventsPerS, goodput),
    maxPerS: num(head.goodputMaxEventsPerS, goodput),
    roundGoodputsPerS: rounds.length
      ? rounds.map((r) => r.roundGoodputEventsPerS as number)
      : [goodput],
    outcomes: rounds.map((r) => String(r.roundOutcome)),
    lowestLongFailPerS: failed.length ? Math.min(...failed) : 0,
    failFromShort,
    highestLongPassPerS: passed.length ? Math.max(...passed) : 0,
    longSteps: long.length,
    longS: num(long[0]?.durationS, 0) || num(head.boundaryS, 0) || num(head.stepS, 0),
    long,
  };
}

/** Every search in the rows (one per target, SLO and repetition of the point), summarised. */
export function searchSummaries(rows: readonly Row[]): SearchSummary[] {
  return rows.filter((r) => r.step === 0 && r.mode !== "soak").map((h) => summarise(rows, h));
}

/** "3 bracketed" / "2 bracketed, 1 budget-exhausted" (empty: a CSV from before rounds). */
export function outcomeText(s: SearchSummary): string {
  const counts = new Map<string, number>();
  for (const o of s.outcomes) counts.set(o, (counts.get(o) ?? 0) + 1);
  return [...counts].map(([o, n]) => `${n} ${o}`).join(", ");
}

/** "951k/s (900k–1.09M over 3 rounds)", or the not-confirmed wording with the lowest long failing rate. */
export function goodputText(s: SearchSummary): string {
  if (!(s.goodputPerS > 0))
    return `not confirmed, lowest failing rate ${s.lowestLongFailPerS > 0 ? `${fmt(s.lowestLongFailPerS)}/s${s.failFromShort ? " (a short step: no long step ran)" : ""}` : "none"}`;
  const n = s.roundGoodputsPerS.length;
  const range = s.minPerS === s.maxPerS ? "" : ` (${fmt(s.minPerS)}–${fmt(s.maxPerS)})`;
  return `${fmt(s.goodputPerS)}/s${range}${n > 1 ? ` over ${n} rounds` : ""}`;
}
