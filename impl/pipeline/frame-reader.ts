/**
 * Server side of the wire: one FrameReader per connection buffers the bytes a
 * socket delivers and hands out whole, validated EVENTS frames. Nothing is
 * admitted from a frame until all of it has arrived and every record in it has
 * passed validation, so a bad frame is rejected whole.
 *
 * Owner: the ingest Worker holding the connection; single-threaded.
 */
import {
  HEADER_BYTES,
  LANE_COUNT,
  OFF_INGEST_NS_HI,
  OFF_INGEST_NS_LO,
  OFF_LANE,
  OFF_PAYLOAD_LEN,
  OFF_PRODUCER,
  OFF_SEQUENCE,
} from "../core/record.ts";
import { TWO_POW_32 } from "../core/words.ts";
import {
  ErrorCode,
  EVENTS_HEADER_BYTES,
  FRAME_HEADER_BYTES,
  FrameType,
  PROTOCOL_VERSION,
} from "./protocol.ts";

/** Bytes of read slack beyond one max frame; Bun may deliver a chunk after pause(). */
export const READ_SLACK_BYTES = 4 * 1024 * 1024;
const INITIAL_BUFFER_BYTES = 64 * 1024;

export interface FrameError {
  code: ErrorCode;
  message: string;
}

export class FrameReader {
  buf: Uint8Array;
  dv: DataView;
  /** Bytes [start, end) of `buf` are received and not yet consumed. */
  start = 0;
  end = 0;
  /** The frame being admitted: its records not yet consumed start at recordOff. */
  recordOff = 0;
  recordsLeft = 0;
  private frameEnd = 0;

  constructor(
    readonly recordBytes: number,
    readonly maxFrameBytes: number,
  ) {
    this.buf = new Uint8Array(INITIAL_BUFFER_BYTES);
    this.dv = new DataView(this.buf.buffer);
  }

  /** Writes `producerId` and `ingestNs` into every record of the frame being admitted (the server owns those fields). */
  stampFrame(producerId: number, ingestNs: number): void {
    const lo = ingestNs % TWO_POW_32;
    const hi = Math.floor(ingestNs / TWO_POW_32);
    for (let i = 0, off = this.recordOff; i < this.recordsLeft; i++, off += this.recordBytes) {
      this.dv.setUint32(off + OFF_PRODUCER, producerId, true);
      this.dv.setUint32(off + OFF_INGEST_NS_LO, lo, true);
      this.dv.setUint32(off + OFF_INGEST_NS_HI, hi, true);
    }
  }

  /** Bytes received but not yet part of an admitted frame. */
  pendingBytes(): number {
    return this.end - this.start;
  }

  /** Appends a chunk; returns an error if the connection overran every bound. */
  append(chunk: Uint8Array): FrameError | null {
    const need = this.end + chunk.length;
    if (need > this.buf.length) {
      const live = this.end - this.start;
      if (live + chunk.length > this.maxFrameBytes + READ_SLACK_BYTES) {
        return { code: ErrorCode.OVERSIZED, message: `input overran ${this.maxFrameBytes} bytes` };
      }
      if (live + chunk.length <= this.buf.length && this.start > 0) {
        this.compact();
      } else {
        let cap = this.buf.length;
        while (cap < live + chunk.length) cap *= 2;
        const next = new Uint8Array(cap);
        next.set(this.buf.subarray(this.start, this.end));
        this.shift(this.start);
        this.buf = next;
        this.dv = new DataView(next.buffer);
      }
    }
    this.buf.set(chunk, this.end);
    this.end += chunk.length;
    return null;
  }

  private compact(): void {
    this.buf.copyWithin(0, this.start, this.end);
    this.shift(this.start);
  }

  /** Moves every offset down by `by` after the live bytes moved to the front. */
  private shift(by: number): void {
    this.end -= by;
    this.recordOff -= by;
    this.frameEnd -= by;
    this.start = 0;
  }

  /**
   * When no frame is being admitted, checks the next frame. Returns true when
   * a frame is ready (recordsLeft > 0) or an empty frame was consumed, false
   * when more bytes are needed, an error when the frame is bad.
   * `expectedSequence` is the sequence the connection's next record must carry.
   */
  nextFrame(expectedSequence: number): FrameError | boolean {
    if (this.recordsLeft > 0) return true;
    const avail = this.end - this.start;
    if (avail < 4) return false;
    const at = this.start;
    const frameBytes = this.dv.getUint32(at, true);
    if (frameBytes > this.maxFrameBytes) {
      return {
        code: ErrorCode.OVERSIZED,
        message: `frame of ${frameBytes} bytes exceeds max frame bytes ${this.maxFrameBytes}`,
      };
    }
    if (frameBytes < FRAME_HEADER_BYTES) {
      return { code: ErrorCode.BAD_LENGTH, message: `frame length ${frameBytes} < 8` };
    }
    if (avail < FRAME_HEADER_BYTES) return false;
    const header = this.checkHeader(at, frameBytes);
    if (header) return header;
    if (avail < frameBytes) return false;
    const count = this.dv.getUint32(at + 8, true);
    const bad = this.checkRecords(at + EVENTS_HEADER_BYTES, count, expectedSequence);
    if (bad) return bad;
    this.recordOff = at + EVENTS_HEADER_BYTES;
    this.recordsLeft = count;
    this.frameEnd = at + frameBytes;
    if (count === 0) this.finishFrame();
    return true;
  }

  private checkHeader(at: number, frameBytes: number): FrameError | null {
    const type = this.dv.getUint8(at + 4);
    const version = this.dv.getUint8(at + 5);
    if (version !== PROTOCOL_VERSION) {
      return {
        code: ErrorCode.BAD_VERSION,
        message: `protocol version ${version}, server speaks ${PROTOCOL_VERSION}`,
      };
    }
    if (type !== FrameType.EVENTS) {
      return { code: ErrorCode.UNKNOWN_TYPE, message: `frame type ${type} is not EVENTS (1)` };
    }
    const recordBytes = this.dv.getUint16(at + 6, true);
    if (recordBytes !== this.recordBytes) {
      return {
        code: ErrorCode.BAD_RECORD_SIZE,
        message: `record size ${recordBytes}, server runs with ${this.recordBytes}`,
      };
    }
    if (frameBytes < EVENTS_HEADER_BYTES) {
      return { code: ErrorCode.BAD_LENGTH, message: `EVENTS frame length ${frameBytes} < 12` };
    }
    if (this.end - at < EVENTS_HEADER_BYTES) return null;
    const count = this.dv.getUint32(at + 8, true);
    if (frameBytes !== EVENTS_HEADER_BYTES + count * recordBytes) {
      return {
        code: ErrorCode.BAD_LENGTH,
        message: `EVENTS frame of ${frameBytes} bytes cannot hold ${count} records of ${recordBytes}`,
      };
    }
    return null;
  }

  private checkRecords(first: number, count: number, expectedSequence: number): FrameError | null {
    const rb = this.recordBytes;
    const cap = rb - HEADER_BYTES;
    for (let i = 0; i < count; i++) {
      const off = first + i * rb;
      const lane = this.buf[off + OFF_LANE]!;
      if (lane >= LANE_COUNT) {
        return { code: ErrorCode.UNKNOWN_LANE, message: `record ${i}: unknown lane ${lane}` };
      }
      const len = this.dv.getUint16(off + OFF_PAYLOAD_LEN, true);
      if (len > cap) {
        return {
          code: ErrorCode.BAD_RECORD,
          message: `record ${i}: payload length ${len} exceeds ${cap}`,
        };
      }
      const seq = this.dv.getUint32(off + OFF_SEQUENCE, true);
      const want = (expectedSequence + i) >>> 0;
      if (seq !== want) {
        return {
          code: ErrorCode.BAD_SEQUENCE,
          message: `record ${i}: sequence ${seq}, expected ${want}`,
        };
      }
    }
    return null;
  }

  /** Marks `count` records of the admitted frame consumed. */
  consume(count: number): void {
    this.recordOff += count * this.recordBytes;
    this.recordsLeft -= count;
    if (this.recordsLeft === 0) this.finishFrame();
  }

  private finishFrame(): void {
    this.start = this.frameEnd;
    if (this.start === this.end) {
      this.start = 0;
      this.end = 0;
      this.recordOff = 0;
      this.frameEnd = 0;
    }
  }
}
