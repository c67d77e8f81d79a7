/**
 * The eventlab wire protocol (docs/protocol.md is the prose version): byte
 * layouts of the frames, the error codes, and encoders for the small frames.
 *
 * Every frame starts with the same 8-byte header, little-endian:
 *
 *   0            4      5         6             8
 *   +------------+------+---------+-------------+------------------
 *   | frameBytes | type | version | aux (u16)   | body ...
 *   |    u32     |  u8  |   u8    |             |
 *   +------------+------+---------+-------------+------------------
 *
 * frameBytes counts the whole frame, header included.
 *
 * EVENTS (client -> server), aux = recordBytes:
 *   8: u32 recordCount, 12: recordCount records of recordBytes (impl/core/record.ts)
 *   frameBytes = 12 + recordCount * recordBytes exactly.
 * ACK (server -> client), aux = flags (bit 0 FINAL) | reject reason << 8:
 *   8: u32 resolvedThrough  sequences [0, resolvedThrough) (mod 2^32) are resolved
 *  12: u32 rejectCount      16: rejectCount u32 sequences rejected, ascending, all
 *                               in (previous resolvedThrough, resolvedThrough]
 *   frameBytes = 16 + 4 * rejectCount.
 * ERROR (server -> client), aux = error code (ErrorCode):
 *   8: u32 resolvedThrough at the time of the error, 12: UTF-8 message
 *   After an ERROR the server closes the connection.
 */

export const PROTOCOL_VERSION = 1;
export const FRAME_HEADER_BYTES = 8;
export const EVENTS_HEADER_BYTES = 12;
export const ACK_HEADER_BYTES = 16;
export const ERROR_HEADER_BYTES = 12;

export const FrameType = { EVENTS: 1, ACK: 2, ERROR: 3 } as const;
export type FrameType = (typeof FrameType)[keyof typeof FrameType];

/** ACK flag: the server is stopping; sequences at or after resolvedThrough were never accepted. */
export const ACK_FLAG_FINAL = 1;

/**
 * Why the rejects of an ACK frame were rejected: aux bits 8..15. One frame
 * carries rejects of one reason (the server starts a new frame when it changes).
 * INVALID (0, what every earlier server sent): the payload failed --verify.
 * COMMIT_DEADLINE: a TRANSACTIONAL event whose commit stage could not commit it
 * before --commit-deadline-ms (no leader, cluster unreachable); it was not acked
 * and may or may not be in the committed log (its outcome was unknown).
 * COMMIT_FAILED: the commit stage refused it for good (e.g. a limit of the cluster).
 */
export const RejectReason = { INVALID: 0, COMMIT_DEADLINE: 1, COMMIT_FAILED: 2 } as const;
export type RejectReason = (typeof RejectReason)[keyof typeof RejectReason];
export const REJECT_REASON_NAMES = ["INVALID", "COMMIT_DEADLINE", "COMMIT_FAILED"] as const;
export const ACK_REASON_SHIFT = 8;

/** Error codes carried in an ERROR frame's aux field. */
export const ErrorCode = {
  BAD_LENGTH: 1,
  OVERSIZED: 2,
  TRUNCATED: 3,
  UNKNOWN_TYPE: 4,
  BAD_VERSION: 5,
  BAD_RECORD_SIZE: 6,
  UNKNOWN_LANE: 7,
  BAD_RECORD: 8,
  BAD_SEQUENCE: 9,
  TOO_MANY_CONNECTIONS: 10,
  IDLE_TIMEOUT: 11,
  SHUTTING_DOWN: 12,
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];
export const ERROR_NAMES: Record<number, string> = Object.fromEntries(
  Object.entries(ErrorCode).map(([k, v]) => [v, k]),
);

/** Named maximum: the largest frame the protocol allows at all (limits choose smaller). */
export const MAX_FRAME_BYTES_LIMIT = 64 * 1024 * 1024;
/** Named maximum: error message bytes the server sends. */
export const MAX_ERROR_MESSAGE_BYTES = 512;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Writes the common 8-byte header at `off`. */
export function writeFrameHeader(
  dv: DataView,
  off: number,
  frameBytes: number,
  type: FrameType,
  aux: number,
): void {
  dv.setUint32(off, frameBytes, true);
  dv.setUint8(off + 4, type);
  dv.setUint8(off + 5, PROTOCOL_VERSION);
  dv.setUint16(off + 6, aux, true);
}

/** An EVENTS frame header for `recordCount` records of `recordBytes`, written at `off`. */
export function writeEventsHeader(
  dv: DataView,
  off: number,
  recordBytes: number,
  recordCount: number,
): number {
  const frameBytes = EVENTS_HEADER_BYTES + recordCount * recordBytes;
  writeFrameHeader(dv, off, frameBytes, FrameType.EVENTS, recordBytes);
  dv.setUint32(off + 8, recordCount, true);
  return frameBytes;
}

/** A complete ACK frame in a new buffer (tests and clients; the server writes into its scratch with encodeAckInto). */
export function encodeAck(
  resolvedThrough: number,
  rejects: ArrayLike<number>,
  rejectCount: number,
  flags = 0,
): Uint8Array {
  const buf = new Uint8Array(ACK_HEADER_BYTES + 4 * rejectCount);
  encodeAckInto(new DataView(buf.buffer), resolvedThrough, rejects, rejectCount, flags);
  return buf;
}

/** Writes an ACK frame at the start of `dv` (which must hold it) and returns its length in bytes; allocates nothing. */
export function encodeAckInto(
  dv: DataView,
  resolvedThrough: number,
  rejects: ArrayLike<number>,
  rejectCount: number,
  flags = 0,
): number {
  const frameBytes = ACK_HEADER_BYTES + 4 * rejectCount;
  writeFrameHeader(dv, 0, frameBytes, FrameType.ACK, flags);
  dv.setUint32(8, resolvedThrough >>> 0, true);
  dv.setUint32(12, rejectCount, true);
  for (let i = 0; i < rejectCount; i++) dv.setUint32(16 + 4 * i, rejects[i]! >>> 0, true);
  return frameBytes;
}

/** A complete ERROR frame; the message is cut to MAX_ERROR_MESSAGE_BYTES. */
export function encodeError(code: ErrorCode, resolvedThrough: number, message: string): Uint8Array {
  const text = encoder.encode(message).subarray(0, MAX_ERROR_MESSAGE_BYTES);
  const frameBytes = ERROR_HEADER_BYTES + text.length;
  const buf = new Uint8Array(frameBytes);
  const dv = new DataView(buf.buffer);
  writeFrameHeader(dv, 0, frameBytes, FrameType.ERROR, code);
  dv.setUint32(8, resolvedThrough >>> 0, true);
  buf.set(text, ERROR_HEADER_BYTES);
  return buf;
}

/** A decoded server -> client frame (the load generator and tests read these). */
export type ServerFrame =
  | {
      type: "ack";
      resolvedThrough: number;
      rejects: number[];
      final: boolean;
      rejectReason: RejectReason;
    }
  | { type: "error"; code: number; codeName: string; resolvedThrough: number; message: string };

/** Decodes one complete ACK or ERROR frame from `buf` at `off`; throws on anything else. */
export function decodeServerFrame(buf: Uint8Array, off: number): ServerFrame {
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const frameBytes = dv.getUint32(off, true);
  const type = dv.getUint8(off + 4);
  const aux = dv.getUint16(off + 6, true);
  if (type === FrameType.ACK) {
    const rejectCount = dv.getUint32(off + 12, true);
    if (frameBytes !== ACK_HEADER_BYTES + 4 * rejectCount) {
      throw new Error(`ACK frame of ${frameBytes} bytes claims ${rejectCount} rejects`);
    }
    const rejects: number[] = [];
    for (let i = 0; i < rejectCount; i++) rejects.push(dv.getUint32(off + 16 + 4 * i, true));
    return {
      type: "ack",
      resolvedThrough: dv.getUint32(off + 8, true),
      rejects,
      final: (aux & ACK_FLAG_FINAL) !== 0,
      rejectReason: (aux >>> ACK_REASON_SHIFT) as RejectReason,
    };
  }
  if (type === FrameType.ERROR) {
    return {
      type: "error",
      code: aux,
      codeName: ERROR_NAMES[aux] ?? `code ${aux}`,
      resolvedThrough: dv.getUint32(off + 8, true),
      message: decoder.decode(buf.subarray(off + ERROR_HEADER_BYTES, off + frameBytes)),
    };
  }
  throw new Error(`unexpected server frame type ${type}`);
}

/**
 * Splits a byte stream of server frames: feed chunks, get whole frames back.
 * Bounded by `maxFrameBytes`; a frame longer than that is a protocol error.
 */
export class ServerFrameReader {
  private buf = new Uint8Array(4096);
  private len = 0;
  constructor(private readonly maxFrameBytes = 16 * 1024 * 1024) {}

  /** Appends `chunk` and calls `onFrame` for every complete frame. */
  push(chunk: Uint8Array, onFrame: (f: ServerFrame) => void): void {
    if (this.len + chunk.length > this.buf.length) {
      let cap = this.buf.length * 2;
      while (cap < this.len + chunk.length) cap *= 2;
      const next = new Uint8Array(cap);
      next.set(this.buf.subarray(0, this.len));
      this.buf = next;
    }
    this.buf.set(chunk, this.len);
    this.len += chunk.length;
    let off = 0;
    const dv = new DataView(this.buf.buffer);
    while (this.len - off >= FRAME_HEADER_BYTES) {
      const frameBytes = dv.getUint32(off, true);
      if (frameBytes < FRAME_HEADER_BYTES || frameBytes > this.maxFrameBytes) {
        throw new Error(`server sent a frame of ${frameBytes} bytes`);
      }
      if (this.len - off < frameBytes) break;
      onFrame(decodeServerFrame(this.buf, off));
      off += frameBytes;
    }
    this.buf.copyWithin(0, off, this.len);
    this.len -= off;
  }
}
