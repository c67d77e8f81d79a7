/**
 * Lines the load generator's slow samples up with the episodes every thread
 * noted (stall-log.ts) and with garbage collections, all on CLOCK_MONOTONIC:
 * for each slow sample, which episodes overlapped the time between its
 * intended send and its ack. Pure functions over records; the caller prints.
 */
import { fmtNs } from "./profiler.ts";
import type { StallRecord } from "./stall-log.ts";

/** One garbage collection as JSC logs it (BUN_JSC_logGC=1), stamped when its END line was read. */
export interface GcEvent {
  /** JSC heap address: one per VM, so one per Worker. */
  heap: string;
  endNs: number;
  /** Longest stop-the-world pause of the collection, ms. */
  maxPauseMs: number;
  /** Whole collection, concurrent phases included, ms. */
  cycleMs: number;
}

const GC_END = /GC<(0x[0-9a-f]+)>: .*p=([\d.]+)ms \(max ([\d.]+)\).*cycle ([\d.]+)ms END/;

/** Parses one JSC logGC line; null unless it is a collection's END line. */
export function parseGcLine(line: string, nowNs: number): GcEvent | null {
  const m = GC_END.exec(line);
  if (!m) return null;
  return { heap: m[1]!, endNs: nowNs, maxPauseMs: Number(m[3]), cycleMs: Number(m[4]) };
}

export interface StallSummary {
  /** Episodes per kind and thread: count, total and longest, ns. */
  byKind: { key: string; count: number; totalNs: number; maxNs: number }[];
  gcByHeap: { heap: string; count: number; maxPauseMs: number; maxCycleMs: number }[];
}

export function summarizeStalls(stalls: StallRecord[], gcs: GcEvent[]): StallSummary {
  const kinds = new Map<string, { key: string; count: number; totalNs: number; maxNs: number }>();
  for (const s of stalls) {
    const key = `${s.thread} ${s.kind}`;
    const k = kinds.get(key) ?? { key, count: 0, totalNs: 0, maxNs: 0 };
    k.count++;
    k.totalNs += s.durationNs;
    k.maxNs = Math.max(k.maxNs, s.durationNs);
    kinds.set(key, k);
  }
  const heaps = new Map<
    string,
    { heap: string; count: number; maxPauseMs: number; maxCycleMs: number }
  >();
  for (const g of gcs) {
    const h = heaps.get(g.heap) ?? { heap: g.heap, count: 0, maxPauseMs: 0, maxCycleMs: 0 };
    h.count++;
    h.maxPauseMs = Math.max(h.maxPauseMs, g.maxPauseMs);
    h.maxCycleMs = Math.max(h.maxCycleMs, g.cycleMs);
    heaps.set(g.heap, h);
  }
  return {
    byKind: [...kinds.values()].sort((a, b) => b.totalNs - a.totalNs),
    gcByHeap: [...heaps.values()].sort((a, b) => b.count - a.count),
  };
}

/**
 * One stall as the client saw it: slow samples whose windows [intended,
 * ack] overlap, merged, with what overlapped the merged window.
 */
export interface SlowEpisode {
  fromNs: number;
  toNs: number;
  batches: number;
  events: number;
  worstNs: number;
  overlapping: StallRecord[];
  gcs: GcEvent[];
}

/** Named maximum: slow episodes explained one by one (the rest are only counted). */
export const MAX_EPISODES_EXPLAINED = 40;

export function slowEpisodes(stalls: StallRecord[], gcs: GcEvent[]): SlowEpisode[] {
  const slow = stalls.filter((s) => s.kind === "e2e-slow").sort((a, b) => a.atNs - b.atNs);
  const episodes = stalls.filter((s) => s.kind !== "e2e-slow");
  const out: SlowEpisode[] = [];
  for (const s of slow) {
    const end = s.atNs + s.durationNs;
    const last = out[out.length - 1];
    if (last && s.atNs <= last.toNs) {
      last.toNs = Math.max(last.toNs, end);
      last.batches++;
      last.events += s.detail;
      last.worstNs = Math.max(last.worstNs, s.durationNs);
      continue;
    }
    out.push({
      fromNs: s.atNs,
      toNs: end,
      batches: 1,
      events: s.detail,
      worstNs: s.durationNs,
      overlapping: [],
      gcs: [],
    });
  }
  for (const e of out) {
    e.overlapping = episodes.filter((o) => o.atNs < e.toNs && o.atNs + o.durationNs > e.fromNs);
    e.gcs = gcs.filter((g) => g.endNs - g.cycleMs * 1e6 < e.toNs && g.endNs > e.fromNs);
  }
  return out;
}

/** Human text: the summary, then each explained sample with its time since `originNs`. */
export function formatStallReport(stalls: StallRecord[], gcs: GcEvent[], originNs: number): string {
  const sum = summarizeStalls(stalls, gcs);
  const eps = slowEpisodes(stalls, gcs);
  const at = (ns: number) => `${((ns - originNs) / 1e9).toFixed(3)}s`;
  const lines = ["episodes >= 5 ms by thread and kind (count, total, longest):"];
  for (const k of sum.byKind)
    lines.push(
      `  ${k.key.padEnd(34)} ${String(k.count).padStart(6)} ${fmtNs(k.totalNs).padStart(9)} ${fmtNs(k.maxNs).padStart(9)}`,
    );
  lines.push("garbage collections by heap (count, longest pause, longest cycle):");
  if (gcs.length === 0) lines.push("  (none logged: run with --log-gc)");
  for (const h of sum.gcByHeap)
    lines.push(
      `  ${h.heap.padEnd(16)} ${String(h.count).padStart(6)} ${h.maxPauseMs.toFixed(2)}ms ${h.maxCycleMs.toFixed(2)}ms`,
    );
  const batches = eps.reduce((a, e) => a + e.batches, 0);
  lines.push(
    `e2e samples >= 50 ms: ${batches} batches in ${eps.length} episodes (window: first intended send to last ack)`,
  );
  for (const e of eps.slice(0, MAX_EPISODES_EXPLAINED)) {
    const what = e.overlapping.map(
      (o) => `${o.thread} ${o.kind} ${fmtNs(o.durationNs)} @${at(o.atNs)}`,
    );
    const gc = e.gcs.map(
      (g) => `gc ${g.heap} pause<=${g.maxPauseMs.toFixed(1)}ms cycle ${g.cycleMs.toFixed(1)}ms`,
    );
    lines.push(
      `  @${at(e.fromNs)}..${at(e.toNs)} worst ${fmtNs(e.worstNs)}, ${e.events} events: ${[...what, ...gc].join("; ") || "no episode overlapped"}`,
    );
  }
  return lines.join("\n");
}
