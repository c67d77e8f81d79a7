/**
 * Live per-lane counts of the threads that process events, for the
 * pipeline's GET /metrics: what the final summary prints per lane, readable
 * while the pipeline runs.
 *
 * One SharedArrayBuffer, one 64-byte line per processing thread (process
 * manager c: slot c; in the compact topology ingest Worker i: slot
 * consumers + i). Words are BigInt64 (a Uint32 counter would wrap after
 * about 70 minutes at 1M events/s), touched only through Atomics; each line
 * is written by its one thread, once per process() call, and summed by the
 * main thread at a scrape, so a scrape may miss the call in progress.
 *
 * Byte map of one line (8-byte words):
 *   0, 8, 16    events processed, by lane (REALTIME, TRANSACTIONAL, BATCH)
 *   24, 32, 40  events rejected INVALID (--verify found a corrupt payload), by lane
 *   48, 56      unused (pad the line, so two threads never share one)
 */
import { LANE_COUNT } from "../core/record.ts";

export const LANE_COUNTER_LINE_BYTES = 64;
const WORDS_PER_LINE = LANE_COUNTER_LINE_BYTES / 8;
const WORD_PROCESSED = 0;
const WORD_REJECTED_INVALID = LANE_COUNT;

export function laneCounterBytes(threads: number): number {
  if (!(Number.isInteger(threads) && threads >= 1))
    throw new RangeError(`lane counters: ${threads} threads, need an integer >= 1`);
  return threads * LANE_COUNTER_LINE_BYTES;
}

/** One processing thread's counts: plain numbers per event, published once per call. */
export class LaneTally {
  private readonly words: BigInt64Array;
  private readonly base: number;
  /** processed by lane, then rejected INVALID by lane, since the last publish(). */
  private readonly local = new Float64Array(2 * LANE_COUNT);

  constructor(buf: SharedArrayBuffer, slot: number) {
    this.words = new BigInt64Array(buf);
    const lines = buf.byteLength / LANE_COUNTER_LINE_BYTES;
    if (!(Number.isInteger(slot) && slot >= 0 && slot < lines))
      throw new RangeError(`lane counters: slot ${slot} outside 0..${lines - 1}`);
    this.base = slot * WORDS_PER_LINE;
  }

  processed(lane: number): void {
    this.local[WORD_PROCESSED + lane]!++;
  }

  rejectedInvalid(lane: number): void {
    this.local[WORD_REJECTED_INVALID + lane]!++;
  }

  /** Adds what was counted since the last call to the shared line. */
  publish(): void {
    for (let i = 0; i < this.local.length; i++) {
      const n = this.local[i]!;
      if (n === 0) continue;
      // Publishing add: a scrape on the main thread reads it with Atomics.load.
      Atomics.add(this.words, this.base + i, BigInt(n));
      this.local[i] = 0;
    }
  }
}

export interface LaneCounts {
  /** Events processed, by lane index. */
  processed: number[];
  /** Events rejected INVALID, by lane index. */
  rejectedInvalid: number[];
}

/** Sums every thread's line (main thread, at a scrape or at stop). */
export function readLaneCounts(buf: SharedArrayBuffer): LaneCounts {
  const words = new BigInt64Array(buf);
  const out: LaneCounts = {
    processed: new Array<number>(LANE_COUNT).fill(0),
    rejectedInvalid: new Array<number>(LANE_COUNT).fill(0),
  };
  for (let base = 0; base < words.length; base += WORDS_PER_LINE) {
    for (let lane = 0; lane < LANE_COUNT; lane++) {
      out.processed[lane]! += Number(Atomics.load(words, base + WORD_PROCESSED + lane));
      out.rejectedInvalid[lane]! += Number(
        Atomics.load(words, base + WORD_REJECTED_INVALID + lane),
      );
    }
  }
  return out;
}
