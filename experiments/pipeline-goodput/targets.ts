/**
 * Issue 13's targets judged from the goodput rows: eventlab's goodput at
 * p99 <= 5 ms against 3x Redis XADD's (medians over the rounds, with the
 * rounds' spread), the soak's p99 at 10% of goodput against 1 ms and its
 * samples over 50 ms at 50%, and pinned against unpinned compact.
 */
import { fmt } from "../report/format.ts";
import type { Row } from "../report/section.ts";
import { median } from "../report/stats.ts";
import { goodputText, type SearchSummary, targetLabel } from "./summary.ts";

/** The issue's bar: eventlab's goodput at p99 <= 5 ms at least this multiple of Redis XADD's. */
export const REDIS_MULTIPLE_TARGET = 3;

const ms = (ns: number) => `${fmt(ns / 1e6)} ms`;
const rounds = (ss: readonly SearchSummary[]) => ss.flatMap((s) => s.roundGoodputsPerS);

/**
 * Per eventlab target: median goodput over its rounds / Redis XADD's, at
 * p99 <= 5 ms. Hit if that ratio of medians reaches 3, else miss; the
 * rounds' spread (lowest eventlab round over highest Redis round, and the
 * reverse) says whether every pairing of rounds agrees. Redis with no
 * confirmed goodput: hit only if eventlab's median is 3x the lowest rate a
 * Redis long step failed at (Redis's goodput is below it), else undecided.
 */
export function redisRatioFindings(at5: readonly SearchSummary[]): string[] {
  const redis = at5.filter((s) => s.label === "redis-xadd");
  if (redis.length === 0) return [];
  const r = rounds(redis);
  const rMed = median(r);
  const bar = `>= ${REDIS_MULTIPLE_TARGET}x`;
  const out: string[] = [];
  for (const label of [...new Set(at5.map((s) => s.label))]) {
    if (label === "redis-xadd") continue;
    const e = rounds(at5.filter((s) => s.label === label));
    const eMed = median(e);
    const head = `Target eventlab ${label} / Redis XADD goodput at p99 <= 5 ms ${bar}`;
    if (!(rMed > 0)) {
      const fails = redis.map((s) => s.lowestLongFailPerS).filter((v) => v > 0);
      const rFail = fails.length ? Math.min(...fails) : 0;
      const bound = rFail > 0 ? eMed / rFail : 0;
      out.push(
        rFail > 0 && bound >= REDIS_MULTIPLE_TARGET
          ? `${head}: hit (Redis XADD ${goodputText(redis[0]!)}; eventlab's median ${fmt(eMed)}/s is ${fmt(bound)}x that rate).`
          : `${head}: undecided (Redis XADD ${goodputText(redis[0]!)}; eventlab's median ${fmt(eMed)}/s${rFail > 0 ? ` is only ${fmt(bound)}x that rate` : ""}).`,
      );
      continue;
    }
    const ratio = eMed / rMed;
    const low = Math.min(...e) / Math.max(...r);
    const rMin = Math.min(...r);
    const high = rMin > 0 ? Math.max(...e) / rMin : Number.POSITIVE_INFINITY;
    const agree =
      low >= REDIS_MULTIPLE_TARGET || high < REDIS_MULTIPLE_TARGET
        ? "every pairing of rounds agrees"
        : `the rounds' spread straddles ${REDIS_MULTIPLE_TARGET}x`;
    out.push(
      `${head}: ${ratio >= REDIS_MULTIPLE_TARGET ? "hit" : "miss"} (${fmt(ratio)}x: ${fmt(eMed)}/s vs ${fmt(rMed)}/s, medians over ${e.length} and ${r.length} rounds; pairing rounds ${fmt(low)}x-${Number.isFinite(high) ? `${fmt(high)}x` : "open"}, ${agree}).`,
    );
  }
  return out;
}

/** Pinned against unpinned compact: goodput at p99 <= 5 ms, and p99 at the offered rates both measured. */
export function placementFindings(rows: readonly Row[], all: readonly SearchSummary[]): string[] {
  const at5 = all.filter((s) => s.sloMs === 5 && s.head.topology === "compact");
  const pinned = at5.find((s) => s.head.pinning === "split");
  const free = at5.find((s) => s.head.pinning === "none");
  if (!pinned || !free) return [];
  const search = rows.filter(
    (r) => r.mode === "search" && r.topology === "compact" && r.sloMs === 5,
  );
  const pairs: string[] = [];
  for (const f of search.filter((r) => r.pinning === "none")) {
    const p = search.find(
      (r) => r.pinning === "split" && r.ratePerS === f.ratePerS && r.phase === f.phase,
    );
    if (!p) continue;
    pairs.push(
      `${fmt(f.ratePerS as number)}/s ${f.phase}: p99 ${ms(p.latencyNsP99 as number)} pinned vs ${ms(f.latencyNsP99 as number)} unpinned`,
    );
  }
  return [
    `Placement (compact, p99 <= 5 ms): goodput ${goodputText(pinned)} pinned (server and load generator on separate CPUs) vs ${goodputText(free)} unpinned${pairs.length ? `; at equal offered rates: ${pairs.join("; ")}` : ""}.`,
  ];
}

/** The soak point: p99 at 10% of goodput against 1 ms, and samples over 50 ms at 50% for the soak's length. */
export function soakFindings(rows: readonly Row[]): string[] {
  const soak = rows.filter((r) => r.mode === "soak");
  const tenth = soak.find((r) => r.phase === "at-10pct");
  const half = soak.find((r) => r.phase === "soak");
  if (soak.length > 0 && !tenth)
    return ["Soak not run: the target reached no goodput at p99 <= 5 ms to take 10% and 50% of."];
  const out: string[] = [];
  if (tenth)
    out.push(
      `Target p99 at 10% of goodput <= 1 ms (${targetLabel(tenth)}, placement ${tenth.placement}, ${fmt(tenth.offeredEventsPerS as number)}/s for ${fmt(tenth.durationS as number)} s): ${(tenth.latencyNsP99 as number) <= 1e6 ? "hit" : "miss"} (p50 ${ms(tenth.latencyNsP50 as number)}, p99 ${ms(tenth.latencyNsP99 as number)}, max ${ms(tenth.latencyNsMax as number)}).`,
    );
  if (half)
    out.push(
      `Target no sample > 50 ms at 50% of goodput (${targetLabel(half)}, placement ${half.placement}, ${fmt(half.offeredEventsPerS as number)}/s for ${fmt(half.durationS as number)} s): ${half.passed === true ? "hit" : "miss"} (${half.samplesOver50Ms} batches over 50 ms${half.samplesOver50Ms ? `: ${half.samplesOver50MsAt}` : ""}; p99 ${ms(half.latencyNsP99 as number)}, max ${ms(half.latencyNsMax as number)}).`,
    );
  return out;
}
