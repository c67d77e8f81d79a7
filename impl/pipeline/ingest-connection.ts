/**
 * One client connection inside an ingest Worker: its frame reader, its ack
 * window, and the at-most-one partially written outbound frame. ACK frames are
 * cumulative, so a slow reader never makes the server queue more than one
 * frame per connection: while a write is blocked, newer acks simply wait and
 * the next frame carries the latest state.
 *
 * Owner: the ingest Worker; single-threaded.
 */
import type { Socket } from "bun";
import { monoNowNs } from "../core/clock.ts";
import { AckWindow, MAX_REJECTS_PER_ACK } from "./ack-window.ts";
import { FrameReader } from "./frame-reader.ts";
import {
  ACK_FLAG_FINAL,
  ACK_HEADER_BYTES,
  ACK_REASON_SHIFT,
  type ErrorCode,
  encodeAckInto,
  encodeError,
} from "./protocol.ts";
import { StallKind, type StallLog } from "./stall-log.ts";

/**
 * One ACK frame's scratch for every connection of this Worker (the Worker is
 * single-threaded and writes each frame before building the next), so an ACK
 * costs no allocation; only a tail the socket did not take is copied out.
 */
const ackScratch = new Uint8Array(ACK_HEADER_BYTES + 4 * MAX_REJECTS_PER_ACK);
const ackScratchDv = new DataView(ackScratch.buffer);

export class IngestConnection {
  readonly reader: FrameReader;
  readonly window: AckWindow;
  /** Counted against max connections but refused (over the limit or stopping). */
  refused = false;
  /** Closed by us (error, idle, stop) or by the peer; no more reading or pushing. */
  closed = false;
  /** Waiting for queue or window room; the socket is paused meanwhile. */
  blocked = false;
  paused = false;
  lastActivityMs: number;
  /** lastActivityMs as of the idle scan that first found the connection idle (-1: none). */
  idleSuspectMs = -1;
  /** ingestNs stamped on the frame being admitted. */
  frameIngestNs = 0;
  /** The unwritten tail of the last frame written. */
  outPending: Uint8Array | null = null;
  /** Stop: a FINAL ack is owed; set once it is fully written. */
  finalWanted = false;
  finalSent = false;
  /** The client half-closed: close once everything it sent is admitted and acked. */
  peerEnded = false;
  /** When the socket was paused, and why (StallKind.SOCKET_PAUSED detail). */
  pausedAtNs = 0;
  pauseReason = 0;
  /** When outPending first held bytes (an ACK write the socket did not take). */
  outPendingSinceNs = 0;
  /** The Worker's stall log (episodes of this connection go there). */
  stalls: StallLog | null = null;
  /** Marks the connection as touched by the current ack message (dedupe). */
  touchedGeneration = -1;

  constructor(
    readonly socket: Socket<{ conn: IngestConnection | null }>,
    readonly serial: number,
    readonly producerId: number,
    recordBytes: number,
    maxFrameBytes: number,
    maxUnacked: number,
    nowMs: number,
  ) {
    this.reader = new FrameReader(recordBytes, maxFrameBytes);
    this.window = new AckWindow(maxUnacked);
    this.lastActivityMs = nowMs;
  }

  pause(): void {
    if (!this.paused) {
      this.socket.pause();
      this.paused = true;
    }
  }

  resume(): void {
    if (this.paused && !this.closed) {
      this.socket.resume();
      this.paused = false;
    }
  }

  /** Writes bytes [0, length) of `bytes`, keeping a copy of any unwritten tail. False if the socket is gone. */
  private write(bytes: Uint8Array, length = bytes.length): boolean {
    const n = this.socket.write(bytes, 0, length);
    if (n < 0) return false;
    if (n < length) {
      if (!this.outPending) this.outPendingSinceNs = monoNowNs();
      // A copy: `bytes` may be the shared ACK scratch, rewritten by the next frame.
      this.outPending = bytes.slice(n, length);
    }
    return true;
  }

  /** Builds an ACK frame of the window's current state in the scratch and writes it. */
  private writeAck(flags: number, rejectCount: number): boolean {
    const len = encodeAckInto(
      ackScratchDv,
      this.window.resolvedThrough,
      this.window.rejects,
      rejectCount,
      flags,
    );
    return this.write(ackScratch, len);
  }

  /** Sends an ACK frame for whatever resolved since the last one; no-op while a write is blocked. */
  sendAck(): void {
    if (this.outPending || this.finalSent) return;
    // Bounded: each round reports up to MAX_REJECTS_PER_ACK rejects; the window holds at most maxUnacked.
    for (let round = 0; round <= this.window.maxUnacked; round++) {
      this.window.advance();
      if (!this.window.hasNews()) return;
      const rejectCount = this.window.rejectCount;
      // The frame names its rejects' reason (one reason per frame: ack-window.ts).
      const flags = rejectCount > 0 ? this.window.rejectReason << ACK_REASON_SHIFT : 0;
      this.window.reported();
      if (!this.writeAck(flags, rejectCount) || this.outPending) return;
    }
  }

  /** Stop: sends the FINAL ack (everything at or after resolvedThrough was never accepted), then ends. */
  sendFinal(): void {
    this.finalWanted = true;
    if (this.closed || this.finalSent) return;
    this.sendAck();
    if (this.outPending) return;
    this.finalSent = true;
    if (!this.writeAck(ACK_FLAG_FINAL, 0) || !this.outPending) this.socket.end();
  }

  /** The socket drained: finish the pending tail, then catch up. */
  onDrain(): void {
    if (this.outPending) {
      const tail = this.outPending;
      const sinceNs = this.outPendingSinceNs;
      this.outPending = null;
      if (!this.write(tail) || this.outPending) {
        this.outPendingSinceNs = sinceNs;
        return;
      }
      this.stalls?.note(StallKind.ACK_WRITE_BLOCKED, sinceNs, monoNowNs() - sinceNs);
    }
    if (this.finalSent) this.socket.end();
    else if (this.finalWanted) this.sendFinal();
    else this.sendAck();
    this.endIfDone();
  }

  /** After a half-close: ends the connection once nothing is left to read, resolve or write. */
  endIfDone(): void {
    if (!this.peerEnded || this.closed || this.blocked || this.outPending) return;
    if (this.reader.pendingBytes() > 0 || this.window.unresolved() > 0) return;
    this.sendAck();
    if (this.outPending) return;
    this.closed = true;
    this.socket.end();
  }

  /** Sends an ERROR frame and closes. */
  fail(code: ErrorCode, message: string): void {
    if (this.closed) return;
    this.closed = true;
    // The error frame may only follow whole frames: finish a pending tail first, or give up on it.
    const tail = this.outPending;
    this.outPending = null;
    if (!tail || this.socket.write(tail) === tail.length) {
      this.socket.write(encodeError(code, this.window.resolvedThrough, message));
    }
    this.socket.end();
  }
}
