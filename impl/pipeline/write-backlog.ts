/**
 * The client side's unwritten bytes: one contiguous buffer (grown by doubling,
 * compacted in place) behind a socket that took less than it was given, so a
 * server that falls behind costs one copy per byte, not a list of chunks
 * shifted one by one. Shared by the eventlab and RESP load connections.
 * Owner: one connection, on its thread.
 */

import { monoNowNs } from "../core/clock.ts";
import { StallKind, type StallLog } from "./stall-log.ts";

/** Most bytes a load connection holds back before it gives up on a server that stopped reading. */
export const MAX_BACKLOG_BYTES = 256 * 1024 * 1024;

/** The one socket method the backlog needs (Bun's Socket.write returns bytes taken). */
export interface WritableSocket {
  write(bytes: Uint8Array): number;
}

export class WriteBacklog {
  /** Bytes [start, end) of `buf` are waiting for the socket to drain. */
  private buf = new Uint8Array(0);
  private start = 0;
  private end = 0;
  /** When the backlog last went from empty to holding bytes, CLOCK_MONOTONIC ns. */
  private heldSinceNs = 0;
  /** Where episodes of held bytes are noted (SEND_BACKLOG), if anywhere. */
  stalls: StallLog | null = null;

  /** `owner` names the connection in the error raised past MAX_BACKLOG_BYTES. */
  constructor(private readonly owner: string) {}

  /** Writes `bytes` straight to the socket when nothing waits, else behind what waits. */
  write(socket: WritableSocket, bytes: Uint8Array): void {
    if (this.end > this.start) {
      this.enqueue(bytes);
      return;
    }
    const n = socket.write(bytes);
    if (n < bytes.length) this.enqueue(bytes.subarray(Math.max(0, n)));
  }

  /** The socket can take more: write the whole backlog in one call. */
  drain(socket: WritableSocket): void {
    if (this.end === this.start) return;
    const n = socket.write(this.buf.subarray(this.start, this.end));
    if (n <= 0) return;
    this.start += n;
    if (this.start === this.end) {
      this.start = this.end = 0;
      this.stalls?.note(StallKind.SEND_BACKLOG, this.heldSinceNs, monoNowNs() - this.heldSinceNs);
    }
  }

  private enqueue(bytes: Uint8Array): void {
    const live = this.end - this.start;
    if (live === 0 && this.stalls) this.heldSinceNs = monoNowNs();
    if (live + bytes.length > MAX_BACKLOG_BYTES) {
      throw new Error(
        `${this.owner}: more than ${MAX_BACKLOG_BYTES} bytes waiting to be written; the server stopped reading`,
      );
    }
    if (this.end + bytes.length > this.buf.length) {
      if (live + bytes.length <= this.buf.length / 2) {
        this.buf.copyWithin(0, this.start, this.end);
      } else {
        let cap = Math.max(this.buf.length, 64 * 1024);
        while (cap < 2 * (live + bytes.length)) cap *= 2;
        const next = new Uint8Array(cap);
        next.set(this.buf.subarray(this.start, this.end));
        this.buf = next;
      }
      this.start = 0;
      this.end = live;
    }
    this.buf.set(bytes, this.end);
    this.end += bytes.length;
  }
}
