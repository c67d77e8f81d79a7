/**
 * One connection of the Redis baseline (`bun run load --target resp`): the
 * counterpart of LoadConnection for a Redis server. Each batch is `batch`
 * pipelined XADD commands written in one socket write, the same events the
 * eventlab load generator sends in one EVENTS frame: each command's field
 * value is the event record, encoded per impl/core/record.ts (same bytes,
 * same lane mix, same sequence numbering):
 *
 *   XADD <key> MAXLEN ~ <STREAM_MAXLEN_ENTRIES> * e <record bytes>
 *
 * Redis answers every command, in order: a bulk string (the new entry id) or
 * an error. Reply i resolves sequence i; an error reply counts as a reject.
 * Latency runs from the batch's intended send time to each reply's arrival
 * (open loop: no coordinated omission). Entry ids must increase per key, which
 * checks that the replies are to our commands, in order.
 *
 * Owner: the thread running the load generator; single-threaded.
 */
import type { Socket } from "bun";
import type { Histogram } from "hdr-histogram-js";
import { monoNowNs } from "../core/clock.ts";
import { RecordWords, writePatternRecord } from "../core/record.ts";
import type { Rng } from "../core/rng.ts";
import { recordNs } from "./profiler.ts";
import { parseStreamId, RespKind, type RespReply, RespReplyReader } from "./resp-reader.ts";
import { StallKind, type StallLog } from "./stall-log.ts";
import { WriteBacklog } from "./write-backlog.ts";

/**
 * Named maximum: entries each stream keeps (approximate trimming, `MAXLEN ~`),
 * so a long run does not grow Redis without bound; trimming whole nodes is
 * cheap and is what a user would configure.
 */
export const STREAM_MAXLEN_ENTRIES = 100_000;
/** Named maximum: protocol problems kept per connection (the rest are only counted). */
export const MAX_ERRORS_KEPT = 20;
/** The stream field name each record is stored under. */
export const FIELD_NAME = "e";

export interface RespConnectionSummary {
  index: number;
  sent: number;
  acked: number;
  rejected: number;
  /** Sent and never answered. */
  unresolved: number;
  firstRejectMessage: string | null;
  protocolErrors: string[];
}

const encoder = new TextEncoder();

export class RespLoadConnection {
  socket: Socket<unknown> | null = null;
  sent = 0;
  replies = 0;
  acked = 0;
  rejected = 0;
  closed = false;
  /** Set on a reply stream we cannot read; the connection sends no more. */
  broken: string | null = null;
  firstRejectMessage: string | null = null;
  /** Setup replies (DEL) still to come before the first XADD reply. */
  setupRepliesPending = 0;
  onReply: (() => void) | null = null;
  /** Batches intended before this (warm-up) are checked but not put in the latency histogram. */
  recordFromNs = 0;
  /** Where samples of SLOW_E2E_NS or more are noted with their intended time. */
  slow: StallLog | null = null;
  readonly protocolErrors: string[] = [];
  private protocolErrorCount = 0;
  private intendedNs = new Float64Array(1024);
  private readonly batchBuf: Uint8Array;
  private readonly commandBytes: number;
  private readonly recordOffset: number;
  private readonly scratch: RecordWords;
  private readonly reader = new RespReplyReader();
  private readonly id = new Float64Array(2);
  private lastIdMs = -1;
  private lastIdSeq = -1;
  /** Public so the run can hand it its stall log (send-backlog episodes). */
  readonly backlog: WriteBacklog;
  private readonly laneCumulative: number[];
  // Latency is recorded per run of replies of the same batch, flushed per chunk.
  private runBatch = -1;
  private runCount = 0;

  constructor(
    readonly index: number,
    readonly key: string,
    private readonly recordBytes: number,
    private readonly batch: number,
    laneMix: [number, number, number],
    private readonly rng: Rng,
    private readonly pattern: boolean,
    private readonly latency: Histogram,
  ) {
    this.backlog = new WriteBacklog(`resp connection ${index}`);
    const prefix = encoder.encode(
      `*8\r\n$4\r\nXADD\r\n$${key.length}\r\n${key}\r\n$6\r\nMAXLEN\r\n$1\r\n~\r\n` +
        `$${String(STREAM_MAXLEN_ENTRIES).length}\r\n${STREAM_MAXLEN_ENTRIES}\r\n$1\r\n*\r\n` +
        `$${FIELD_NAME.length}\r\n${FIELD_NAME}\r\n$${recordBytes}\r\n`,
    );
    this.recordOffset = prefix.length;
    this.commandBytes = prefix.length + recordBytes + 2;
    this.batchBuf = new Uint8Array(this.commandBytes * batch);
    for (let i = 0; i < batch; i++) {
      const off = i * this.commandBytes;
      this.batchBuf.set(prefix, off);
      this.batchBuf[off + this.commandBytes - 2] = 0x0d;
      this.batchBuf[off + this.commandBytes - 1] = 0x0a;
    }
    // Records are built aligned here (RecordWords needs 4-byte offsets), then copied into the commands.
    this.scratch = new RecordWords(new ArrayBuffer(recordBytes));
    const total = laneMix[0] + laneMix[1] + laneMix[2];
    this.laneCumulative = [laneMix[0] / total, (laneMix[0] + laneMix[1]) / total, 1];
  }

  /** Events sent and not yet answered. */
  inFlight(): number {
    return this.sent - this.replies;
  }

  done(): boolean {
    return this.closed || this.broken !== null;
  }

  /** Sends one batch of XADDs whose schedule said `intendedNs`; false when the connection can take no more. */
  sendBatch(intendedNs: number): boolean {
    if (!this.socket || this.done()) return false;
    const k = this.sent / this.batch;
    if (k >= this.intendedNs.length) {
      const next = new Float64Array(this.intendedNs.length * 2);
      next.set(this.intendedNs);
      this.intendedNs = next;
    }
    this.intendedNs[k] = intendedNs;
    const w = this.scratch;
    for (let i = 0; i < this.batch; i++) {
      const seq = this.sent + i;
      const u = this.rng.next();
      const lane = u < this.laneCumulative[0]! ? 0 : u < this.laneCumulative[1]! ? 1 : 2;
      if (this.pattern) writePatternRecord(w, 0, this.recordBytes, this.index, seq, 0, lane);
      else w.writeHeader(0, this.index, seq, 0, lane, 0, 0);
      this.batchBuf.set(w.u8, i * this.commandBytes + this.recordOffset);
    }
    this.sent += this.batch;
    this.write(this.batchBuf);
    return true;
  }

  /** Writes setup bytes whose `replies` replies are checked and not counted as events. */
  sendSetup(bytes: Uint8Array, replies: number): void {
    this.setupRepliesPending += replies;
    this.write(bytes);
  }

  private write(bytes: Uint8Array): void {
    this.backlog.write(this.socket!, bytes);
  }

  /** The socket can take more: write everything pending in one call. */
  onDrain(): void {
    this.backlog.drain(this.socket!);
  }

  onData(chunk: Uint8Array): void {
    if (this.broken) return;
    const nowNs = monoNowNs();
    try {
      this.reader.push(chunk, (r) => this.onReplyFrame(r, nowNs));
    } catch (err) {
      this.broken = (err as Error).message;
      this.protocolError(`unreadable reply stream: ${this.broken}`);
    }
    this.flushLatency(nowNs);
  }

  private onReplyFrame(r: RespReply, nowNs: number): void {
    if (this.setupRepliesPending > 0) {
      this.setupRepliesPending--;
      if (r.kind === RespKind.ERROR) this.protocolError(`setup command failed: ${r.message}`);
      return;
    }
    if (this.replies >= this.sent) {
      this.protocolError(`reply ${this.replies} arrived for a command never sent`);
      this.replies++;
      return;
    }
    const seq = this.replies++;
    if (r.kind === RespKind.ERROR) {
      this.rejected++;
      this.firstRejectMessage ??= r.message;
      return;
    }
    if (r.kind !== RespKind.BULK || !parseStreamId(r.buf, r.start, r.end, this.id)) {
      this.protocolError(
        `reply to XADD ${seq} is not a stream id (RESP type '${String.fromCharCode(r.kind)}')`,
      );
      return;
    }
    const ms = this.id[0]!;
    const s = this.id[1]!;
    if (ms < this.lastIdMs || (ms === this.lastIdMs && s <= this.lastIdSeq)) {
      this.protocolError(
        `entry id ${ms}-${s} for XADD ${seq} is not after ${this.lastIdMs}-${this.lastIdSeq}`,
      );
    }
    this.lastIdMs = ms;
    this.lastIdSeq = s;
    this.acked++;
    const k = Math.floor(seq / this.batch);
    if (k !== this.runBatch) {
      this.flushLatency(nowNs);
      this.runBatch = k;
    }
    this.runCount++;
  }

  private flushLatency(nowNs: number): void {
    const intended = this.intendedNs[this.runBatch]!;
    if (this.runCount > 0 && intended >= this.recordFromNs) {
      recordNs(this.latency, nowNs - intended, this.runCount);
      this.slow?.note(StallKind.E2E_SLOW, intended, nowNs - intended, this.runCount);
    }
    this.runCount = 0;
  }

  private protocolError(message: string): void {
    this.protocolErrorCount++;
    if (this.protocolErrors.length < MAX_ERRORS_KEPT) {
      this.protocolErrors.push(`resp connection ${this.index}: ${message}`);
    }
  }

  summary(): RespConnectionSummary {
    const more = this.protocolErrorCount - this.protocolErrors.length;
    return {
      index: this.index,
      sent: this.sent,
      acked: this.acked,
      rejected: this.rejected,
      unresolved: this.sent - Math.min(this.sent, this.replies),
      firstRejectMessage: this.firstRejectMessage,
      protocolErrors:
        more > 0
          ? [
              ...this.protocolErrors,
              `resp connection ${this.index}: ... ${more} more protocol errors`,
            ]
          : [...this.protocolErrors],
    };
  }
}
