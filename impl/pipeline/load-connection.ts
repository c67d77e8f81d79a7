/**
 * One load-generator connection: builds EVENTS frames (sequence from 0,
 * contiguous), keeps the intended send time of every batch, reads ACK/ERROR
 * frames, records end-to-end latency from the intended send time (so a slow
 * server cannot hide its stalls: no coordinated omission), and checks the
 * server's accounting as it goes: acks never run past what was sent, rejects
 * lie inside the acked range in ascending order.
 *
 * Owner: the thread running the load generator; single-threaded.
 */
import type { Socket } from "bun";
import type { Histogram } from "hdr-histogram-js";
import { monoNowNs } from "../core/clock.ts";
import {
  CLIENT_TAG_BYTES,
  LANE_COUNT,
  Lane,
  OFF_CLIENT_TAG,
  RecordWords,
  writePatternRecord,
} from "../core/record.ts";
import type { Rng } from "../core/rng.ts";
import { recordNs } from "./profiler.ts";
import {
  EVENTS_HEADER_BYTES,
  REJECT_REASON_NAMES,
  type ServerFrame,
  ServerFrameReader,
  writeEventsHeader,
} from "./protocol.ts";
import { StallKind, type StallLog } from "./stall-log.ts";
import { WriteBacklog } from "./write-backlog.ts";

export interface ConnectionSummary {
  index: number;
  sent: number;
  acked: number;
  rejected: number;
  /** Sent after the server's FINAL ack point: never accepted (graceful stop). */
  notAccepted: number;
  /** Sent and neither acked, rejected nor declared not accepted. */
  unresolved: number;
  resolvedThrough: number;
  finalSeen: boolean;
  serverError: string | null;
  protocolErrors: string[];
  /** Rejects by reason (REJECT_REASON_NAMES order); absent for clients that do not read reasons. */
  rejectedByReason?: number[];
}

/** Receives every acked run of TRANSACTIONAL sequences [from, to) of client `tag`, as acks arrive. */
export type AckRecorder = (tag: number, from: number, to: number) => void;

export class LoadConnection {
  socket: Socket<unknown> | null = null;
  sent = 0;
  resolvedThrough = 0;
  acked = 0;
  rejected = 0;
  finalSeen = false;
  closed = false;
  serverError: string | null = null;
  /** Batches intended before this (warm-up) are checked but not put in the latency histogram. */
  recordFromNs = 0;
  /** Where samples of SLOW_E2E_NS or more are noted with their intended time. */
  slow: StallLog | null = null;
  /**
   * Where each acked batch's time from its actual write to its ack being read
   * goes (e2e minus the generator's send lag), if anywhere: the part of e2e
   * the generator's own schedule did not add.
   */
  ackRtt: Histogram | null = null;
  /** Called after each chunk of server frames (the closed loop tops up from it). */
  onAck: (() => void) | null = null;
  readonly protocolErrors: string[] = [];
  private intendedNs = new Float64Array(1024);
  /** When each batch was actually handed to the socket (CLOCK_MONOTONIC ns). */
  private writtenNs = new Float64Array(1024);
  private readonly frame: Uint8Array;
  private readonly frameDv: DataView;
  private readonly words: RecordWords;
  private readonly reader = new ServerFrameReader();
  /** Public so the run can hand it its stall log (send-backlog episodes). */
  readonly backlog: WriteBacklog;
  private readonly laneCumulative: number[];
  /** Lane of every sequence sent (per-lane latency and the TRANSACTIONAL ack record). */
  private lanes = new Uint8Array(1 << 16);
  readonly rejectedByReason = REJECT_REASON_NAMES.map(() => 0);
  /** Per lane, acked events in a range (scratch). */
  private readonly laneAcked = new Float64Array(LANE_COUNT);

  constructor(
    readonly index: number,
    private readonly recordBytes: number,
    private readonly batch: number,
    laneMix: [number, number, number],
    private readonly rng: Rng,
    private readonly pattern: boolean,
    private readonly latency: Histogram,
    private readonly laneLatency: Histogram[] | null = null,
    readonly tag = 0,
    private readonly recordAck: AckRecorder | null = null,
  ) {
    this.backlog = new WriteBacklog(`load connection ${index}`);
    this.frame = new Uint8Array(EVENTS_HEADER_BYTES + batch * recordBytes);
    this.frameDv = new DataView(this.frame.buffer);
    this.words = new RecordWords(this.frame.buffer);
    const total = laneMix[0] + laneMix[1] + laneMix[2];
    this.laneCumulative = [laneMix[0] / total, (laneMix[0] + laneMix[1]) / total, 1];
  }

  /** Events sent and not yet resolved. */
  inFlight(): number {
    return this.sent - this.resolvedThrough;
  }

  done(): boolean {
    return this.closed || this.finalSeen || this.serverError !== null;
  }

  /** Sends one batch whose schedule said `intendedNs`; false when the connection can take no more. */
  sendBatch(intendedNs: number): boolean {
    if (!this.socket || this.done()) return false;
    const k = this.sent / this.batch;
    if (k >= this.intendedNs.length) {
      this.intendedNs = grown(this.intendedNs);
      this.writtenNs = grown(this.writtenNs);
    }
    this.intendedNs[k] = intendedNs;
    if (this.sent + this.batch > this.lanes.length) {
      const next = new Uint8Array(this.lanes.length * 2);
      next.set(this.lanes);
      this.lanes = next;
    }
    writeEventsHeader(this.frameDv, 0, this.recordBytes, this.batch);
    for (let i = 0; i < this.batch; i++) {
      const off = EVENTS_HEADER_BYTES + i * this.recordBytes;
      const seq = this.sent + i;
      const u = this.rng.next();
      const lane = u < this.laneCumulative[0]! ? 0 : u < this.laneCumulative[1]! ? 1 : 2;
      // Pattern keyed on producer 0: the server replaces the producer field (docs/protocol.md).
      this.lanes[seq] = lane;
      if (this.pattern) writePatternRecord(this.words, off, this.recordBytes, 0, seq, 0, lane);
      else {
        this.words.writeHeader(off, this.index, seq, 0, lane, 0, CLIENT_TAG_BYTES);
        this.frameDv.setUint32(off + OFF_CLIENT_TAG, this.tag, true);
      }
    }
    this.sent += this.batch;
    this.writtenNs[k] = monoNowNs();
    this.write(this.frame);
    return true;
  }

  private write(bytes: Uint8Array): void {
    this.backlog.write(this.socket!, bytes);
  }

  /** The socket can take more: write the whole backlog in one call. */
  onDrain(): void {
    this.backlog.drain(this.socket!);
  }

  onData(chunk: Uint8Array): void {
    try {
      this.reader.push(chunk, (f) => this.onFrame(f));
    } catch (err) {
      this.protocolErrors.push(`connection ${this.index}: ${(err as Error).message}`);
    }
  }

  private onFrame(f: ServerFrame): void {
    if (f.type === "error") {
      this.serverError = `${f.codeName}: ${f.message}`;
      return;
    }
    const nowNs = monoNowNs();
    const prev = this.resolvedThrough;
    const next = f.resolvedThrough;
    if (next < prev || next > this.sent) {
      this.protocolErrors.push(
        `connection ${this.index}: ack resolvedThrough ${next} outside [${prev}, ${this.sent}]`,
      );
      return;
    }
    let last = prev - 1;
    for (const r of f.rejects) {
      if (r <= last || r >= next) {
        this.protocolErrors.push(
          `connection ${this.index}: reject ${r} outside (${last}, ${next}) or out of order`,
        );
        return;
      }
      last = r;
    }
    this.recordLatency(prev, next, f.rejects, nowNs);
    if (this.recordAck) this.recordTransactional(prev, next, f.rejects);
    if (f.rejects.length > 0)
      this.rejectedByReason[f.rejectReason] =
        (this.rejectedByReason[f.rejectReason] ?? 0) + f.rejects.length;
    this.rejected += f.rejects.length;
    this.acked += next - prev - f.rejects.length;
    this.resolvedThrough = next;
    if (f.final) this.finalSeen = true;
  }

  /** Records latency for acked sequences [from, to), skipping the rejected ones, one sample per event. */
  private recordLatency(from: number, to: number, rejects: number[], nowNs: number): void {
    let r = 0;
    for (let seq = from; seq < to; ) {
      const k = Math.floor(seq / this.batch);
      const batchEnd = Math.min(to, (k + 1) * this.batch);
      let count = batchEnd - seq;
      while (r < rejects.length && rejects[r]! < batchEnd) {
        count--;
        r++;
      }
      const intended = this.intendedNs[k]!;
      if (count > 0 && intended >= this.recordFromNs) {
        recordNs(this.latency, nowNs - intended, count);
        if (this.ackRtt) recordNs(this.ackRtt, nowNs - this.writtenNs[k]!, count);
        if (this.laneLatency) this.recordLaneLatency(seq, batchEnd, rejects, nowNs - intended);
        this.slow?.note(StallKind.E2E_SLOW, intended, nowNs - intended, count);
      }
      seq = batchEnd;
    }
  }

  /** Per-lane samples for the acked events of [from, to) (rejects skipped). */
  private recordLaneLatency(from: number, to: number, rejects: number[], ns: number): void {
    this.laneAcked.fill(0);
    for (let seq = from; seq < to; seq++) this.laneAcked[this.lanes[seq]!]!++;
    for (const r of rejects) if (r >= from && r < to) this.laneAcked[this.lanes[r]!]!--;
    for (let l = 0; l < LANE_COUNT; l++)
      if (this.laneAcked[l]! > 0) recordNs(this.laneLatency![l]!, ns, this.laneAcked[l]!);
  }

  /** Hands the recorder each run of consecutive acked TRANSACTIONAL sequences in [from, to). */
  private recordTransactional(from: number, to: number, rejects: number[]): void {
    let r = 0;
    let runStart = -1;
    for (let seq = from; seq < to; seq++) {
      while (r < rejects.length && rejects[r]! < seq) r++;
      const acked = this.lanes[seq] === Lane.TRANSACTIONAL && rejects[r] !== seq;
      if (acked && runStart < 0) runStart = seq;
      if (!acked && runStart >= 0) {
        this.recordAck!(this.tag, runStart, seq);
        runStart = -1;
      }
    }
    if (runStart >= 0) this.recordAck!(this.tag, runStart, to);
  }

  summary(): ConnectionSummary {
    const notAccepted = this.finalSeen ? this.sent - this.resolvedThrough : 0;
    return {
      index: this.index,
      sent: this.sent,
      acked: this.acked,
      rejected: this.rejected,
      notAccepted,
      unresolved: this.sent - this.resolvedThrough - notAccepted,
      resolvedThrough: this.resolvedThrough,
      finalSeen: this.finalSeen,
      serverError: this.serverError,
      protocolErrors: this.protocolErrors,
      rejectedByReason: [...this.rejectedByReason],
    };
  }
}

/** A copy of `a` with twice the room. */
function grown(a: Float64Array): Float64Array<ArrayBuffer> {
  const next = new Float64Array(a.length * 2);
  next.set(a);
  return next;
}
