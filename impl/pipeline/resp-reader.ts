/**
 * A streaming RESP2 reply reader (the Redis protocol, server -> client side),
 * just enough for the load generator's Redis baseline: it splits a byte
 * stream into top-level replies and says what each one is, without building
 * JavaScript values for them (no allocation per reply except error texts).
 *
 * RESP2 replies: `+simple\r\n`, `-error\r\n`, `:integer\r\n`,
 * `$len\r\n<len bytes>\r\n` (`$-1\r\n` is the null bulk), `*count\r\n` then
 * count nested replies (`*-1\r\n` is the null array).
 *
 * Owner: one connection's thread; not shared.
 */

export const RespKind = {
  SIMPLE: 0x2b, // '+'
  ERROR: 0x2d, // '-'
  INTEGER: 0x3a, // ':'
  BULK: 0x24, // '$'
  ARRAY: 0x2a, // '*'
} as const;
export type RespKind = (typeof RespKind)[keyof typeof RespKind];

/** Named maximum: bytes one reply may take; a longer one is a protocol error, not a buffer to grow. */
export const MAX_RESP_REPLY_BYTES = 1024 * 1024;
/** Named maximum: nesting depth of arrays inside one reply. */
export const MAX_RESP_DEPTH = 8;

/**
 * One top-level reply. For BULK and SIMPLE, [start, end) is its content in
 * `buf` (valid only during the callback); for ERROR, `message` is its text;
 * for INTEGER, `value`; for BULK and ARRAY, `value` is the length (-1 = null).
 */
export interface RespReply {
  kind: RespKind;
  buf: Uint8Array;
  start: number;
  end: number;
  value: number;
  message: string;
}

export class RespProtocolError extends Error {
  override name = "RespProtocolError";
}

const CR = 0x0d;
const decoder = new TextDecoder();
function isKind(b: number): boolean {
  return (
    b === RespKind.SIMPLE ||
    b === RespKind.ERROR ||
    b === RespKind.INTEGER ||
    b === RespKind.BULK ||
    b === RespKind.ARRAY
  );
}

/** Returned by the parse helpers when the buffer ends before the reply does. */
const INCOMPLETE = -1;

export class RespReplyReader {
  private buf = new Uint8Array(64 * 1024);
  private len = 0;
  /** Reused for every reply handed to the callback (no allocation per reply). */
  private readonly reply: RespReply = {
    kind: RespKind.SIMPLE,
    buf: this.buf,
    start: 0,
    end: 0,
    value: 0,
    message: "",
  };

  /** Appends `chunk` and calls `onReply` for every complete top-level reply, in order. */
  push(chunk: Uint8Array, onReply: (r: RespReply) => void): void {
    this.append(chunk);
    let off = 0;
    while (off < this.len) {
      const next = this.parse(off, 0, true);
      if (next === INCOMPLETE) break;
      onReply(this.reply);
      off = next;
    }
    if (this.len - off > MAX_RESP_REPLY_BYTES) {
      throw new RespProtocolError(`a reply is longer than ${MAX_RESP_REPLY_BYTES} bytes`);
    }
    this.buf.copyWithin(0, off, this.len);
    this.len -= off;
  }

  private append(chunk: Uint8Array): void {
    if (this.len + chunk.length > this.buf.length) {
      let cap = this.buf.length * 2;
      while (cap < this.len + chunk.length) cap *= 2;
      const next = new Uint8Array(cap);
      next.set(this.buf.subarray(0, this.len));
      this.buf = next;
      this.reply.buf = next;
    }
    this.buf.set(chunk, this.len);
    this.len += chunk.length;
  }

  /** Parses one reply at `off`; returns the offset after it, or INCOMPLETE. Fills this.reply when `top`. */
  private parse(off: number, depth: number, top: boolean): number {
    if (depth > MAX_RESP_DEPTH) {
      throw new RespProtocolError(`reply nested deeper than ${MAX_RESP_DEPTH} arrays`);
    }
    const kind = this.buf[off]!;
    if (!isKind(kind)) {
      throw new RespProtocolError(
        `not a RESP reply: byte 0x${kind.toString(16).padStart(2, "0")} where a type byte (+ - : $ * ) belongs`,
      );
    }
    const eol = this.findCr(off + 1);
    if (eol === INCOMPLETE) return INCOMPLETE;
    const afterLine = eol + 2;
    const r = this.reply;
    switch (kind) {
      case RespKind.SIMPLE:
      case RespKind.ERROR:
      case RespKind.INTEGER:
        if (top) {
          r.kind = kind;
          r.start = off + 1;
          r.end = eol;
          r.value = kind === RespKind.INTEGER ? this.int(off + 1, eol) : 0;
          r.message =
            kind === RespKind.ERROR ? decoder.decode(this.buf.subarray(off + 1, eol)) : "";
        }
        return afterLine;
      case RespKind.BULK: {
        const n = this.int(off + 1, eol);
        const end = n < 0 ? afterLine : afterLine + n + 2;
        if (n >= 0 && end > this.len) return INCOMPLETE;
        if (n >= 0 && this.buf[end - 2] !== CR) {
          throw new RespProtocolError(`bulk reply of ${n} bytes not followed by CRLF`);
        }
        if (top) this.fill(kind, afterLine, n < 0 ? afterLine : afterLine + n, n);
        return end;
      }
      case RespKind.ARRAY: {
        const n = this.int(off + 1, eol);
        let p = afterLine;
        for (let i = 0; i < n; i++) {
          if (p >= this.len) return INCOMPLETE;
          p = this.parse(p, depth + 1, false);
          if (p === INCOMPLETE) return INCOMPLETE;
        }
        if (top) this.fill(kind, afterLine, p, n);
        return p;
      }
      default:
        throw new RespProtocolError(`unhandled RESP type byte 0x${kind.toString(16)}`);
    }
  }

  private fill(kind: RespKind, start: number, end: number, value: number): void {
    const r = this.reply;
    r.kind = kind;
    r.start = start;
    r.end = end;
    r.value = value;
    r.message = "";
  }

  /** Offset of the CR of the next CRLF at or after `from`, or INCOMPLETE. */
  private findCr(from: number): number {
    const b = this.buf;
    const limit = Math.min(this.len - 1, from + MAX_RESP_REPLY_BYTES);
    for (let i = from; i < limit; i++) {
      if (b[i] === CR) {
        if (b[i + 1] !== 0x0a) throw new RespProtocolError("CR not followed by LF in a reply line");
        return i;
      }
    }
    if (this.len - from > MAX_RESP_REPLY_BYTES) {
      throw new RespProtocolError(`reply line longer than ${MAX_RESP_REPLY_BYTES} bytes`);
    }
    return INCOMPLETE;
  }

  /** The decimal integer in [from, to), optionally negative; throws on anything else. */
  private int(from: number, to: number): number {
    const b = this.buf;
    let i = from;
    const neg = b[i] === 0x2d;
    if (neg) i++;
    if (i >= to) throw new RespProtocolError("empty integer in a reply");
    let v = 0;
    for (; i < to; i++) {
      const d = b[i]! - 0x30;
      if (d < 0 || d > 9) throw new RespProtocolError("non-digit in a reply integer");
      v = v * 10 + d;
    }
    return neg ? -v : v;
  }
}

/**
 * Parses a stream entry id "<ms>-<seq>" in buf[start, end) into out[0] = ms,
 * out[1] = seq; false if it is not one.
 */
export function parseStreamId(
  buf: Uint8Array,
  start: number,
  end: number,
  out: Float64Array,
): boolean {
  let v = 0;
  let part = 0;
  let digits = 0;
  for (let i = start; i < end; i++) {
    const c = buf[i]!;
    if (c === 0x2d && part === 0 && digits > 0) {
      out[0] = v;
      v = 0;
      part = 1;
      digits = 0;
      continue;
    }
    const d = c - 0x30;
    if (d < 0 || d > 9) return false;
    v = v * 10 + d;
    digits++;
  }
  if (part !== 1 || digits === 0) return false;
  out[1] = v;
  return true;
}

/** Encodes one command as a RESP array of bulk strings (for setup commands, not the hot path). */
export function encodeCommand(...args: (string | Uint8Array)[]): Uint8Array {
  const enc = new TextEncoder();
  const parts: Uint8Array[] = [enc.encode(`*${args.length}\r\n`)];
  for (const a of args) {
    const bytes = typeof a === "string" ? enc.encode(a) : a;
    parts.push(enc.encode(`$${bytes.length}\r\n`), bytes, enc.encode("\r\n"));
  }
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}
