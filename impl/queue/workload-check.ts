/**
 * The consumer-side checker of the cross-Worker workload: per-producer order
 * and completeness, payload integrity, and push-to-pop latency.
 *
 * For each producer, the length of the prefix 0..n-1 seen so far, and a bitset
 * (eventsPerProducer bits, allocated on the first out-of-order record) of
 * sequences seen beyond it:
 * - a record whose bit is already set is `duplicated`;
 * - a new record whose sequence is below the highest seen from that producer
 *   is `reordered` (it arrived after a later one);
 * - a record with a producer id or sequence out of range, or (checkPayload) a
 *   damaged pattern payload, is `corrupted` and not counted as seen;
 * - `lost` (computed by the driver) = events sent - distinct records seen.
 * So eventsReceived = distinct + duplicated + corrupted.
 *
 * Latency (recordLatency only): the pop time is read once per pop call and
 * each record's ingestNs subtracted from it, into an HDR histogram (3
 * significant digits). Owner: the consumer Worker.
 */
import * as hdr from "hdr-histogram-js";
import { monoNowNs } from "../core/clock.ts";
import {
  checkPatternRecord,
  OFF_PRODUCER,
  OFF_SEQUENCE,
  type RecordWords,
} from "../core/record.ts";

/** Messages about individual bad records kept for the report (the counts stay exact). */
export const MAX_ERROR_MESSAGES = 10;
/** Largest latency the histogram tracks: one hour in ns. */
export const MAX_TRACKED_LATENCY_NS = 3_600_000_000_000;

export interface CheckSummary {
  eventsReceived: number;
  distinctPerProducer: number[];
  duplicated: number;
  reordered: number;
  corrupted: number;
  latencyNs: { p50: number; p99: number; p999: number; max: number } | null;
  /** Records whose latency went into the histogram (all, or 1 in latencySampleEvery). */
  latencySamples: number;
  errors: string[];
}

export class WorkloadChecker {
  /** Per producer: every sequence below contiguous[p] has been seen. */
  private readonly contiguous: Float64Array;
  /** Per producer: sequences >= contiguous[p] seen early, each a set bit in seen[p]. */
  private readonly pending: Float64Array;
  private readonly maxSeen: Float64Array;
  /** Bitsets, allocated at the first out-of-order record of a producer. */
  private readonly seen: (Uint32Array | null)[] = [];
  private readonly histogram: hdr.Histogram | null;
  eventsReceived = 0;
  duplicated = 0;
  reordered = 0;
  corrupted = 0;
  readonly errors: string[] = [];
  /** Latency is recorded for sequences with (s & sampleMask) === 0. */
  private readonly sampleMask: number;

  constructor(
    private readonly producers: number,
    private readonly eventsPerProducer: number,
    private readonly recordBytes: number,
    private readonly checkPayload: boolean,
    recordLatency: boolean,
    latencySampleEvery = 1,
  ) {
    this.sampleMask = latencySampleEvery - 1;
    this.contiguous = new Float64Array(producers);
    this.pending = new Float64Array(producers);
    this.maxSeen = new Float64Array(producers).fill(-1);
    for (let p = 0; p < producers; p++) this.seen.push(null);
    this.histogram = recordLatency
      ? hdr.build({
          lowestDiscernibleValue: 1,
          highestTrackableValue: MAX_TRACKED_LATENCY_NS,
          numberOfSignificantValueDigits: 3,
          autoResize: false,
        })
      : null;
  }

  private note(message: string): void {
    if (this.errors.length < MAX_ERROR_MESSAGES) this.errors.push(message);
  }

  /**
   * Checks `count` contiguous records starting at byte `off` of `words`. The
   * common case, the next sequence of a producer with nothing pending, costs
   * two loads and a store; anything else goes through the bitset.
   */
  checkRecords(words: RecordWords, off: number, count: number): void {
    const h = this.histogram;
    const popNs = h ? monoNowNs() : 0;
    const u32 = words.u32;
    const rb = this.recordBytes;
    for (let i = 0; i < count; i++) {
      const at = off + i * rb;
      const p = u32[(at + OFF_PRODUCER) >>> 2]!;
      const s = u32[(at + OFF_SEQUENCE) >>> 2]!;
      if (p >= this.producers || s >= this.eventsPerProducer) {
        this.corrupted++;
        this.note(
          `record with id ${p}/${s} outside ${this.producers} producers x ${this.eventsPerProducer} events`,
        );
        continue;
      }
      if (this.checkPayload) {
        const bad = checkPatternRecord(words, at, rb);
        if (bad !== null) {
          this.corrupted++;
          this.note(bad);
          continue;
        }
      }
      if (s === this.contiguous[p] && this.pending[p] === 0) this.contiguous[p] = s + 1;
      else if (!this.firstSight(p, s)) continue;
      if (h && (s & this.sampleMask) === 0) {
        const latencyNs = popNs - words.ingestNs(at);
        h.recordValue(Math.min(Math.max(latencyNs, 1), MAX_TRACKED_LATENCY_NS));
      }
    }
    this.eventsReceived += count;
  }

  /** The slow path: false (and counted) for a duplicate; true for a new sequence, counting a reorder. */
  private firstSight(p: number, s: number): boolean {
    const c = this.contiguous[p]!;
    if (s < c) {
      this.duplicated++;
      return false;
    }
    let bits = this.seen[p]!;
    if (!bits) {
      bits = new Uint32Array(Math.ceil(this.eventsPerProducer / 32));
      this.seen[p] = bits;
    }
    if ((bits[s >>> 5]! & (1 << (s & 31))) !== 0) {
      this.duplicated++;
      return false;
    }
    const maxSeen = Math.max(this.maxSeen[p]!, c - 1);
    if (s < maxSeen) this.reordered++;
    this.maxSeen[p] = Math.max(maxSeen, s);
    if (s === c) {
      let next = c + 1;
      while (this.pending[p]! > 0 && (bits[next >>> 5]! & (1 << (next & 31))) !== 0) {
        bits[next >>> 5] = bits[next >>> 5]! & ~(1 << (next & 31));
        this.pending[p]!--;
        next++;
      }
      this.contiguous[p] = next;
    } else {
      bits[s >>> 5] = bits[s >>> 5]! | (1 << (s & 31));
      this.pending[p]!++;
    }
    return true;
  }

  /** Drops the latency samples taken so far (the warm-up's); counts are kept. */
  resetLatency(): void {
    this.histogram?.reset();
  }

  summary(): CheckSummary {
    const h = this.histogram;
    const latencyNs =
      h && h.totalCount > 0
        ? {
            p50: h.getValueAtPercentile(50),
            p99: h.getValueAtPercentile(99),
            p999: h.getValueAtPercentile(99.9),
            max: h.maxValue,
          }
        : null;
    const distinctPerProducer: number[] = [];
    for (let p = 0; p < this.producers; p++)
      distinctPerProducer.push(this.contiguous[p]! + this.pending[p]!);
    return {
      eventsReceived: this.eventsReceived,
      distinctPerProducer,
      duplicated: this.duplicated,
      reordered: this.reordered,
      corrupted: this.corrupted,
      latencyNs,
      latencySamples: h ? h.totalCount : 0,
      errors: [...this.errors],
    };
  }
}
