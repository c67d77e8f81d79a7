/**
 * Per-stage latency histograms (HDR, nanoseconds). Each Worker records into
 * its own histograms and ships them, compressed, to the main thread at stop,
 * where they merge. Timestamps come from CLOCK_MONOTONIC (impl/core/clock.ts),
 * the one clock every Worker shares, so a timestamp written by the ingest
 * Worker into the record's ingestNs can be subtracted in any later stage.
 *
 * Stages (what each histogram measures, per event):
 *   ingest.parse_to_queued  frame validated -> pushed into the dispatcher queue (ingest Worker)
 *   dispatch.since_ingest   ingestNs -> pushed into a lane queue (dispatcher)
 *   bus.<LANE>.since_ingest ingestNs -> popped by a process manager, per lane
 *   process.local           popped -> processed (work + commit stage), in the process manager
 *   commit.since_ingest     ingestNs -> committed by a remote commit stage (main thread, TRANSACTIONAL)
 *   ack.done_to_written     processed -> ACK frame written to the socket (ingest Worker)
 * "since_ingest" stages are cumulative: the step between two of them is the
 * time spent in between (queue wait included).
 */
import * as hdr from "hdr-histogram-js";
import { LANE_NAMES, type RecordWords } from "../core/record.ts";

/** Named maximum: latencies above this (ns) are clamped when recorded. */
export const MAX_TRACKED_LATENCY_NS = 120e9;

/** A bus stage's name: the time from ingest until a process manager popped the event, per lane. */
export type BusStage = `bus.${(typeof LANE_NAMES)[number]}.since_ingest`;
export function busStage(lane: (typeof LANE_NAMES)[number]): BusStage {
  return `bus.${lane}.since_ingest`;
}

/** Every stage name, typed: a misspelt stage is a compile error, not an empty histogram. */
export const STAGES = [
  "ingest.parse_to_queued",
  "dispatch.since_ingest",
  ...LANE_NAMES.map(busStage),
  "process.local",
  "commit.since_ingest",
  "ack.done_to_written",
] as const;
export type Stage = (typeof STAGES)[number];

/** Latency summaries by stage (stages with no samples absent). */
export type StageSummaries = Partial<Record<Stage, LatencySummary>>;

export function newHistogram(): hdr.Histogram {
  return hdr.build({
    bitBucketSize: 64,
    lowestDiscernibleValue: 1,
    highestTrackableValue: MAX_TRACKED_LATENCY_NS,
    numberOfSignificantValueDigits: 3,
    useWebAssembly: false,
  });
}

/** Records `count` samples of `valueNs`, clamped to [1, MAX_TRACKED_LATENCY_NS]. */
export function recordNs(h: hdr.Histogram, valueNs: number, count = 1): void {
  const v = valueNs < 1 ? 1 : Math.min(valueNs, MAX_TRACKED_LATENCY_NS);
  h.recordValueWithCount(Math.round(v), count);
}

/**
 * Records, for each of the `count` records at byte offsets 0, recordBytes, ...
 * of `words` ingested at or after `fromNs` (the measured window; warm-up
 * records are left out), the time from its ingestNs to `nowNs`, one histogram call per
 * run of equal ingestNs. The ingest Worker stamps every record of a frame with
 * the same time, so a popped batch holds a few long runs: the histogram gets
 * exactly the samples a per-record loop would give, at a fraction of its cost
 * (one recordNs is ~100 ns, more than the rest of a record's trip through the
 * dispatcher).
 */
export function recordSinceIngest(
  h: hdr.Histogram,
  words: RecordWords,
  count: number,
  recordBytes: number,
  nowNs: number,
  fromNs: number,
): void {
  if (count === 0) return;
  let runNs = words.ingestNs(0);
  let run = 1;
  for (let i = 1, off = recordBytes; i < count; i++, off += recordBytes) {
    const t = words.ingestNs(off);
    if (t === runNs) {
      run++;
      continue;
    }
    if (runNs >= fromNs) recordNs(h, nowNs - runNs, run);
    runNs = t;
    run = 1;
  }
  if (runNs >= fromNs) recordNs(h, nowNs - runNs, run);
}

/** A set of named histograms owned by one Worker. */
export class StageProfiler {
  readonly histograms = new Map<Stage, hdr.Histogram>();
  get(stage: Stage): hdr.Histogram {
    let h = this.histograms.get(stage);
    if (!h) {
      h = newHistogram();
      this.histograms.set(stage, h);
    }
    return h;
  }
  /** Compressed form for postMessage. */
  encode(): Partial<Record<Stage, string>> {
    const out: Partial<Record<Stage, string>> = {};
    for (const [k, h] of this.histograms) {
      if (h.totalCount > 0) out[k] = hdr.encodeIntoCompressedBase64(h);
    }
    return out;
  }
  /** Adds histograms encoded by another Worker. */
  merge(encoded: Partial<Record<Stage, string>>): void {
    for (const stage of STAGES) {
      const s = encoded[stage];
      if (s !== undefined) this.get(stage).add(hdr.decodeFromCompressedBase64(s, 64, false));
    }
  }
}

export interface LatencySummary {
  count: number;
  p50Ns: number;
  p99Ns: number;
  p999Ns: number;
  maxNs: number;
}

export function summarize(h: hdr.Histogram): LatencySummary {
  return {
    count: h.totalCount,
    p50Ns: h.getValueAtPercentile(50),
    p99Ns: h.getValueAtPercentile(99),
    p999Ns: h.getValueAtPercentile(99.9),
    maxNs: h.maxValue,
  };
}

/** Formats ns as a short human figure (ns, µs, ms, s). */
export function fmtNs(ns: number): string {
  if (ns < 1e3) return `${ns.toFixed(0)}ns`;
  if (ns < 1e6) return `${(ns / 1e3).toFixed(1)}µs`;
  if (ns < 1e9) return `${(ns / 1e6).toFixed(2)}ms`;
  return `${(ns / 1e9).toFixed(2)}s`;
}

/** One aligned table row per stage, in STAGES order. */
export function formatStageTable(stages: Record<string, LatencySummary>): string {
  const rows = [
    `${"stage".padEnd(32)} ${"count".padStart(10)} ${"p50".padStart(9)} ${"p99".padStart(9)} ${"p99.9".padStart(9)} ${"max".padStart(9)}`,
  ];
  for (const name of STAGES) {
    const s = stages[name];
    if (!s) continue;
    rows.push(
      `${name.padEnd(32)} ${String(s.count).padStart(10)} ${fmtNs(s.p50Ns).padStart(9)} ${fmtNs(s.p99Ns).padStart(9)} ${fmtNs(s.p999Ns).padStart(9)} ${fmtNs(s.maxNs).padStart(9)}`,
    );
  }
  return rows.join("\n");
}
