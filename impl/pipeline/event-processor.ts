/**
 * What processing an event means, in one place for both topologies: the
 * staged process manager (process-worker.ts) calls it per lane batch, the
 * compact ingest Worker (ingest-target.ts) per admitted run of a frame.
 *
 * Per event: materialise it through the configured allocator, apply
 * --work-ns of simulated work, with --verify check the pattern payload
 * (a corrupt event is rejected), and pass TRANSACTIONAL events through the
 * commit stage seam (commit-stage.ts); every other outcome goes straight to
 * the sink. Outcomes of committed events reach the sink from poll().
 *
 * Owner: one Worker; single-threaded; allocates nothing per event beyond
 * what the allocator itself does.
 */

import { monoNowNs } from "../core/clock.ts";
import {
  type EventFields,
  HEADER_BYTES,
  Lane,
  newEventFields,
  OFF_INGEST_NS_HI,
  OFF_INGEST_NS_LO,
  OFF_LANE,
  OFF_PAYLOAD,
  OFF_PAYLOAD_LEN,
  OFF_PRODUCER,
  OFF_SEQUENCE,
  OFF_TYPE,
  patternByte,
} from "../core/record.ts";
import { createAllocator } from "../core/registry.ts";
import { TWO_POW_32 } from "../core/words.ts";
import { type CommitStage, createCommitStage, type OutcomeSink } from "./commit-stage.ts";
import type { PipelineConfig } from "./config.ts";
import type { LaneTally } from "./lane-counters.ts";
import { ACK_OUTCOME_ACKED, ACK_OUTCOME_REJECTED } from "./messages.ts";

export class EventProcessor {
  private readonly alloc;
  private readonly refs: unknown[] = [];
  private readonly scratch: EventFields;
  readonly commit: CommitStage;

  constructor(
    private readonly cfg: PipelineConfig,
    private readonly sink: OutcomeSink,
    /** Most records one process() call gets (the allocator's capacity). */
    maxRecords: number,
    /** A remote commit stage's channel to the main thread (commit-remote.ts); null for local stages. */
    commitPort: MessagePort | null = null,
    /** This thread's live per-lane counts for /metrics (lane-counters.ts); null: not counted. */
    private readonly tally: LaneTally | null = null,
  ) {
    this.alloc = createAllocator(cfg.alloc, { capacity: maxRecords, recordBytes: cfg.recordBytes });
    this.scratch = newEventFields(cfg.recordBytes);
    this.commit = createCommitStage(cfg.commitStage, {
      port: commitPort,
      batchEvents: cfg.commitBatchEvents,
      batchBytes: cfg.commitBatchBytes,
      lingerUs: cfg.commitLingerUs,
      maxPendingEvents: cfg.commitMaxPendingEvents,
    });
  }

  /** Processes `count` records of `buf` from byte `off`; then polls the commit stage. */
  process(buf: Uint8Array, dv: DataView, off: number, count: number): void {
    const rb = this.cfg.recordBytes;
    for (let i = 0, o = off; i < count; i++, o += rb) {
      const ref = this.alloc.acquire();
      this.refs.push(ref);
      this.alloc.write(ref, readEvent(buf, dv, o, this.scratch));
      const ok = !this.cfg.verify || wirePatternIntact(buf, dv, o, rb);
      if (this.cfg.workNs > 0) spinNs(this.cfg.workNs);
      const lane = buf[o + OFF_LANE]!;
      if (this.tally) {
        this.tally.processed(lane);
        if (!ok) this.tally.rejectedInvalid(lane);
      }
      if (ok && lane === Lane.TRANSACTIONAL) {
        this.commit.submit(buf, o, 1, rb);
      } else {
        const outcome = ok ? ACK_OUTCOME_ACKED : ACK_OUTCOME_REJECTED;
        this.sink(
          dv.getUint32(o + OFF_PRODUCER, true),
          dv.getUint32(o + OFF_SEQUENCE, true),
          outcome,
        );
      }
    }
    this.tally?.publish();
    this.poll();
    for (const ref of this.refs) this.alloc.release(ref);
    this.refs.length = 0;
  }

  /** Reports what the commit stage decided since the last poll; returns how many. */
  poll(): number {
    return this.commit.poll(this.sink);
  }

  /** TRANSACTIONAL events submitted and not yet decided. */
  pending(): number {
    return this.commit.pending();
  }

  /** TRANSACTIONAL events the commit stage can take now. */
  room(): number {
    return this.commit.room();
  }

  /** The lanes ran dry: the commit stage sends its partly filled batch. */
  flush(): void {
    this.commit.flush();
  }
}

/** Busy-waits `ns` nanoseconds: the simulated work per event. */
function spinNs(ns: number): void {
  const until = monoNowNs() + ns;
  // Bounded by the clock: at most `ns` (MAX_WORK_NS) of spinning.
  while (monoNowNs() < until) {}
}

/**
 * Reads the record at `off` into `out` without allocating (decodeRecord makes a
 * DataView and a subarray per call). Lane and payload length were validated
 * at ingest, so this hot path does not check them again.
 */
function readEvent(buf: Uint8Array, dv: DataView, off: number, out: EventFields): EventFields {
  out.producerId = dv.getUint32(off + OFF_PRODUCER, true);
  out.sequence = dv.getUint32(off + OFF_SEQUENCE, true);
  out.ingestNs =
    dv.getUint32(off + OFF_INGEST_NS_HI, true) * TWO_POW_32 +
    dv.getUint32(off + OFF_INGEST_NS_LO, true);
  out.lane = buf[off + OFF_LANE]! as Lane;
  out.type = buf[off + OFF_TYPE]!;
  const len = dv.getUint16(off + OFF_PAYLOAD_LEN, true);
  out.payloadLength = len;
  const p = off + OFF_PAYLOAD;
  const dst = out.payload;
  for (let i = 0; i < len; i++) dst[i] = buf[p + i]!;
  return out;
}

/**
 * --verify: true if the record carries the pattern payload of (producer 0,
 * its sequence) over its full capacity. Producer 0, because the server
 * overwrites the producer field with its own connection id (docs/protocol.md),
 * so clients key the pattern on the sequence alone.
 */
function wirePatternIntact(
  buf: Uint8Array,
  dv: DataView,
  off: number,
  recordBytes: number,
): boolean {
  const cap = recordBytes - HEADER_BYTES;
  if (dv.getUint16(off + OFF_PAYLOAD_LEN, true) !== cap) return false;
  const seq = dv.getUint32(off + OFF_SEQUENCE, true);
  const p = off + OFF_PAYLOAD;
  for (let i = 0; i < cap; i++) if (buf[p + i] !== patternByte(0, seq, i)) return false;
  return true;
}
