/**
 * Where an ingest Worker puts the records of an admitted frame, per topology:
 *
 * - staged (QueueTarget): into its producer end of the dispatcher queue; the
 *   dispatcher and the process managers take it from there and send the
 *   outcomes back over MessagePorts.
 * - compact (InlineTarget): processed at once on the ingest Worker's own
 *   thread (EventProcessor: allocator, work, verify, commit stage), and the
 *   outcomes handed straight back as an AckBatch. No dispatcher, no process
 *   managers, no queues, no ack messages: one thread per ingest Worker, for
 *   hosts with fewer cores than the staged topology has busy threads. Lane
 *   priority does not apply (events are processed in arrival order, nothing
 *   waits in a lane), and a slow event holds up that Worker's sockets.
 *
 * Owner: the ingest Worker; single-threaded.
 */

import { assert } from "../core/assert.ts";
import { monoNowNs } from "../core/clock.ts";
import type { QueueProducer } from "../core/contracts.ts";
import type { PipelineConfig } from "./config.ts";
import { statsFromNs } from "./control-layout.ts";
import { EventProcessor } from "./event-processor.ts";
import type { LaneTally } from "./lane-counters.ts";
import type { AckBatch, AckOutcome } from "./messages.ts";
import { recordNs, type StageProfiler } from "./profiler.ts";

export interface AdmitTarget {
  /** Takes up to `count` records of `buf` from byte `off`; returns how many it took. */
  take(buf: Uint8Array, off: number, count: number): number;
  /** The records just taken are admitted in their connections' windows: outcomes may flow now. */
  afterAdmit(): void;
  /** Called after each round of admissions (a socket read, a retry). */
  flush(): void;
  /** No more records will come (stop). */
  close(): void;
}

export class QueueTarget implements AdmitTarget {
  constructor(private readonly producer: QueueProducer) {}
  take(buf: Uint8Array, off: number, count: number): number {
    return this.producer.tryPushBatch(buf, off, count);
  }
  afterAdmit(): void {}
  flush(): void {
    this.producer.flush();
  }
  close(): void {
    this.producer.close();
  }
}

/** How often an InlineTarget polls a commit stage that still holds undecided events, ms. */
export const COMMIT_POLL_MS = 1;

export class InlineTarget implements AdmitTarget {
  private readonly processor: EventProcessor;
  private readonly batch: AckBatch;
  private readonly dv: { buf: Uint8Array | null; view: DataView | null } = {
    buf: null,
    view: null,
  };
  private pollTimer: ReturnType<typeof setTimeout> | null = null;
  private closed = false;
  /** Events processed on this thread (reported as ingest.inline.events). */
  events = 0;

  /**
   * `maxRecords`: the most one take() gets. `deliver` applies outcomes right
   * after an admission; `deliverLater` applies outcomes a commit-stage poll
   * found (the full ack path, with retries of paused connections).
   */
  constructor(
    cfg: PipelineConfig,
    private readonly maxRecords: number,
    private readonly profiler: StageProfiler,
    private readonly ctl: Int32Array,
    private readonly deliver: (batch: AckBatch) => void,
    private readonly deliverLater: (batch: AckBatch) => void,
    tally: LaneTally | null = null,
  ) {
    // Room for one take's outcomes plus as many decided by the commit stage meanwhile.
    this.batch = { doneNs: 0, triples: new Uint32Array(3 * 2 * maxRecords), count: 0 };
    this.processor = new EventProcessor(
      cfg,
      (p, s, outcome) => this.addOutcome(p, s, outcome),
      maxRecords,
      null,
      tally,
    );
  }

  take(buf: Uint8Array, off: number, count: number): number {
    if (this.closed) return 0;
    const n = Math.min(count, this.maxRecords);
    if (this.dv.buf !== buf) {
      // The frame reader's buffer changes only when it grows: one DataView per buffer, not per call.
      this.dv.buf = buf;
      this.dv.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    }
    const startNs = monoNowNs();
    this.processor.process(buf, this.dv.view!, off, n);
    this.events += n;
    if (startNs >= statsFromNs(this.ctl))
      recordNs(this.profiler.get("process.local"), monoNowNs() - startNs, n);
    return n;
  }

  afterAdmit(): void {
    this.flushTo(this.deliver);
    if (this.processor.pending() > 0 && !this.pollTimer) {
      this.pollTimer = setTimeout(() => this.pollCommit(), COMMIT_POLL_MS);
    }
  }

  flush(): void {}

  close(): void {
    this.closed = true;
  }

  /** An asynchronous commit stage decides later: poll it until nothing is pending. */
  private pollCommit(): void {
    this.pollTimer = null;
    this.processor.poll();
    this.flushTo(this.deliverLater);
    if (this.processor.pending() > 0) {
      this.pollTimer = setTimeout(() => this.pollCommit(), COMMIT_POLL_MS);
    }
  }

  private addOutcome(producerId: number, sequence: number, outcome: AckOutcome): void {
    const b = this.batch;
    assert(
      3 * (b.count + 1) <= b.triples.length,
      () => `InlineTarget: more than ${b.triples.length / 3} outcomes between deliveries`,
    );
    if (b.count === 0) b.doneNs = monoNowNs();
    const k = 3 * b.count;
    b.triples[k] = producerId;
    b.triples[k + 1] = sequence;
    b.triples[k + 2] = outcome;
    b.count++;
  }

  private flushTo(apply: (batch: AckBatch) => void): void {
    if (this.batch.count === 0) return;
    apply(this.batch);
    this.batch.count = 0;
  }
}
