/**
 * The consumer-side checker of the cross-Worker workload: per-producer order
 * and completeness, payload integrity, and push-to-pop latency.
 *
 * For each producer a bitset of sequence numbers seen (eventsPerProducer bits):
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
  errors: string[];
}

export class WorkloadChecker {
  private readonly seen: Uint32Array[] = [];
  private readonly maxSeen: Float64Array;
  private readonly distinct: Float64Array;
  private readonly histogram: hdr.Histogram | null;
  eventsReceived = 0;
  duplicated = 0;
  reordered = 0;
  corrupted = 0;
  readonly errors: string[] = [];

  constructor(
    private readonly producers: number,
    private readonly eventsPerProducer: number,
    private readonly recordBytes: number,
    private readonly checkPayload: boolean,
    recordLatency: boolean,
  ) {
    for (let p = 0; p < producers; p++)
      this.seen.push(new Uint32Array(Math.ceil(eventsPerProducer / 32)));
    this.maxSeen = new Float64Array(producers).fill(-1);
    this.distinct = new Float64Array(producers);
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

  /** Checks `count` contiguous records starting at byte `off` of `words`. */
  checkRecords(words: RecordWords, off: number, count: number): void {
    const popNs = this.histogram ? monoNowNs() : 0;
    const rb = this.recordBytes;
    for (let i = 0; i < count; i++) this.checkOne(words, off + i * rb, popNs);
    this.eventsReceived += count;
  }

  private checkOne(words: RecordWords, off: number, popNs: number): void {
    const u32 = words.u32;
    const p = u32[(off + OFF_PRODUCER) >>> 2]!;
    const s = u32[(off + OFF_SEQUENCE) >>> 2]!;
    if (p >= this.producers || s >= this.eventsPerProducer) {
      this.corrupted++;
      this.note(
        `record with id ${p}/${s} outside ${this.producers} producers x ${this.eventsPerProducer} events`,
      );
      return;
    }
    if (this.checkPayload) {
      const bad = checkPatternRecord(words, off, this.recordBytes);
      if (bad !== null) {
        this.corrupted++;
        this.note(bad);
        return;
      }
    }
    const bits = this.seen[p]!;
    const w = s >>> 5;
    const bit = 1 << (s & 31);
    if ((bits[w]! & bit) !== 0) {
      this.duplicated++;
      return;
    }
    bits[w] = bits[w]! | bit;
    this.distinct[p]!++;
    if (s < this.maxSeen[p]!) this.reordered++;
    else this.maxSeen[p] = s;
    if (this.histogram) {
      const latencyNs = popNs - words.ingestNs(off);
      this.histogram.recordValue(Math.min(Math.max(latencyNs, 1), MAX_TRACKED_LATENCY_NS));
    }
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
    return {
      eventsReceived: this.eventsReceived,
      distinctPerProducer: [...this.distinct],
      duplicated: this.duplicated,
      reordered: this.reordered,
      corrupted: this.corrupted,
      latencyNs,
      errors: [...this.errors],
    };
  }
}
