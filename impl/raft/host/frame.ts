/**
 * Length-prefixed frames for the peer and client ports: a u32 little-endian
 * byte count, then that many bytes. FrameSplitter buffers what a socket
 * delivers and hands out whole frames; a length over the bound is an error
 * (the caller closes that connection) before any byte of it is buffered.
 * Owner: one connection.
 */

export const FRAME_LENGTH_BYTES = 4;

/** Prefixes `body` with its length. */
export function frame(body: Uint8Array): Uint8Array {
  const out = new Uint8Array(FRAME_LENGTH_BYTES + body.length);
  new DataView(out.buffer).setUint32(0, body.length, true);
  out.set(body, FRAME_LENGTH_BYTES);
  return out;
}

export class FrameError extends Error {
  override name = "FrameError";
}

export class FrameSplitter {
  private buf = new Uint8Array(64 * 1024);
  private start = 0;
  private end = 0;

  constructor(readonly maxFrameBytes: number) {}

  /** Bytes received that are not yet part of a whole frame (a truncated frame at close). */
  pendingBytes(): number {
    return this.end - this.start;
  }

  /** Adds a chunk and returns the whole frames now available (bodies, copied). Throws FrameError. */
  push(chunk: Uint8Array): Uint8Array[] {
    this.append(chunk);
    const out: Uint8Array[] = [];
    while (this.end - this.start >= FRAME_LENGTH_BYTES) {
      const dv = new DataView(this.buf.buffer, this.buf.byteOffset + this.start, 4);
      const len = dv.getUint32(0, true);
      if (len > this.maxFrameBytes) {
        throw new FrameError(`frame length ${len} over the limit of ${this.maxFrameBytes} bytes`);
      }
      if (this.end - this.start < FRAME_LENGTH_BYTES + len) break;
      const from = this.start + FRAME_LENGTH_BYTES;
      out.push(this.buf.slice(from, from + len));
      this.start = from + len;
    }
    if (this.start === this.end) this.start = this.end = 0;
    return out;
  }

  private append(chunk: Uint8Array): void {
    const live = this.end - this.start;
    if (this.end + chunk.length > this.buf.length) {
      if (live + chunk.length <= this.buf.length) {
        this.buf.copyWithin(0, this.start, this.end);
      } else {
        let cap = this.buf.length;
        while (cap < live + chunk.length) cap *= 2;
        const next = new Uint8Array(cap);
        next.set(this.buf.subarray(this.start, this.end));
        this.buf = next;
      }
      this.start = 0;
      this.end = live;
    }
    this.buf.set(chunk, this.end);
    this.end += chunk.length;
  }
}
