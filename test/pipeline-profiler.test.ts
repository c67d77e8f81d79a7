/**
 * The profiler's batch recording and the measured-window cut, no Workers:
 * - recordSinceIngest (one histogram call per run of equal ingest stamps) gives
 *   exactly the histogram a per-record loop gives, over seeded random batches
 *   whose stamps come in frame-like runs, and leaves out records stamped before
 *   `fromNs` (the warm-up), and only those.
 * - setStatsFromNs/statsFromNs round-trip through the control block, rounded
 *   up to a millisecond (never earlier than asked), and refuse a bad time.
 */
import { describe, expect, test } from "bun:test";
import { RecordWords } from "../impl/core/record.ts";
import { Rng } from "../impl/core/rng.ts";
import { controlBytes, setStatsFromNs, statsFromNs } from "../impl/pipeline/control-layout.ts";
import { newHistogram, recordNs, recordSinceIngest, summarize } from "../impl/pipeline/profiler.ts";

const SEED = 20261126;
const RECORD_BYTES = 64;

/** A batch of `count` records whose ingest stamps come in runs of 1..80, as frames do. */
function batchWithRuns(rng: Rng, count: number, baseNs: number): RecordWords {
  const words = new RecordWords(new ArrayBuffer(count * RECORD_BYTES));
  let stamp = baseNs;
  let left = 0;
  for (let i = 0; i < count; i++) {
    if (left === 0) {
      stamp += 1 + Math.floor(rng.next() * 50_000);
      left = 1 + Math.floor(rng.next() * 80);
    }
    words.writeHeader(i * RECORD_BYTES, 7, i, stamp, 0, 0, 0);
    left--;
  }
  return words;
}

function histogramBytes(h: ReturnType<typeof newHistogram>): string {
  const s = summarize(h);
  const percentiles = [1, 10, 25, 50, 75, 90, 99, 99.9, 100].map((q) => h.getValueAtPercentile(q));
  return JSON.stringify({ ...s, mean: h.mean, min: h.minNonZeroValue, percentiles });
}

describe("recordSinceIngest", () => {
  test("matches a per-record loop exactly, and cuts at fromNs", () => {
    console.log(`seed ${SEED}`);
    const rng = new Rng(SEED);
    for (let round = 0; round < 50; round++) {
      const count = 1 + Math.floor(rng.next() * 512);
      const baseNs = 1e12 + round * 1e9;
      const words = batchWithRuns(rng, count, baseNs);
      const nowNs = baseNs + 1e8;
      // A cut inside the batch's stamp range (or before it, every third round).
      const fromNs = round % 3 === 0 ? 0 : words.ingestNs(Math.floor(count / 2) * RECORD_BYTES);
      const fast = newHistogram();
      const slow = newHistogram();
      recordSinceIngest(fast, words, count, RECORD_BYTES, nowNs, fromNs);
      let kept = 0;
      for (let i = 0; i < count; i++) {
        const t = words.ingestNs(i * RECORD_BYTES);
        if (t < fromNs) continue;
        recordNs(slow, nowNs - t);
        kept++;
      }
      expect(fast.totalCount).toBe(kept);
      expect(histogramBytes(fast)).toBe(histogramBytes(slow));
      // Stamps rise through the batch: a cut above the first stamp must leave some records out.
      if (fromNs > words.ingestNs(0)) expect(kept).toBeLessThan(count);
    }
  });

  test("an empty batch records nothing", () => {
    const h = newHistogram();
    recordSinceIngest(h, new RecordWords(new ArrayBuffer(RECORD_BYTES)), 0, RECORD_BYTES, 5, 0);
    expect(h.totalCount).toBe(0);
  });
});

describe("stats-from word", () => {
  test("round-trips rounded up to a millisecond; 0 until set; refuses a bad time", () => {
    const ctl = new Int32Array(new SharedArrayBuffer(controlBytes(2)));
    expect(statsFromNs(ctl)).toBe(0);
    setStatsFromNs(ctl, 4_700_123_456_789);
    expect(statsFromNs(ctl)).toBe(4_700_124_000_000);
    expect(statsFromNs(ctl)).toBeGreaterThanOrEqual(4_700_123_456_789);
    expect(() => setStatsFromNs(ctl, -5e6)).toThrow(RangeError);
    expect(() => setStatsFromNs(ctl, 3e18)).toThrow(RangeError);
  });
});
