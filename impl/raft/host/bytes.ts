/**
 * Little-endian byte writer and bounds-checked reader for the host's formats
 * (client protocol, entry payloads, session snapshots). The reader throws
 * DecodeError naming the byte offset, never reads past its input.
 */

export class DecodeError extends Error {
  override name = "DecodeError";
}

export class ByteWriter {
  private buf: Uint8Array;
  private dv: DataView;
  pos = 0;

  constructor(initialBytes = 256) {
    this.buf = new Uint8Array(initialBytes);
    this.dv = new DataView(this.buf.buffer);
  }

  private room(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < this.pos + n) cap *= 2;
    const next = new Uint8Array(cap);
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
    this.dv = new DataView(next.buffer);
  }
  u8(v: number): this {
    this.room(1);
    this.dv.setUint8(this.pos++, v);
    return this;
  }
  u16(v: number): this {
    this.room(2);
    this.dv.setUint16(this.pos, v, true);
    this.pos += 2;
    return this;
  }
  u32(v: number): this {
    this.room(4);
    this.dv.setUint32(this.pos, v, true);
    this.pos += 4;
    return this;
  }
  i32(v: number): this {
    this.room(4);
    this.dv.setInt32(this.pos, v, true);
    this.pos += 4;
    return this;
  }
  /** A safe non-negative integer as u64. */
  u64(v: number): this {
    this.room(8);
    this.dv.setUint32(this.pos, v % 4294967296, true);
    this.dv.setUint32(this.pos + 4, Math.floor(v / 4294967296), true);
    this.pos += 8;
    return this;
  }
  /** u32 length then the bytes. */
  bytes(b: Uint8Array): this {
    this.u32(b.length);
    this.room(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
    return this;
  }
  /** u16 length then UTF-8. */
  str(s: string): this {
    const b = new TextEncoder().encode(s);
    this.u16(b.length);
    this.room(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
    return this;
  }
  finish(): Uint8Array {
    return this.buf.slice(0, this.pos);
  }
}

export class ByteReader {
  private readonly dv: DataView;
  pos = 0;

  constructor(private readonly input: Uint8Array) {
    this.dv = new DataView(input.buffer, input.byteOffset, input.byteLength);
  }
  remaining(): number {
    return this.input.length - this.pos;
  }
  private need(n: number, what: string): void {
    if (this.pos + n > this.input.length) {
      throw new DecodeError(
        `truncated: ${what} needs ${n} bytes at offset ${this.pos} of ${this.input.length}`,
      );
    }
  }
  u8(what = "u8"): number {
    this.need(1, what);
    return this.dv.getUint8(this.pos++);
  }
  u16(what = "u16"): number {
    this.need(2, what);
    const v = this.dv.getUint16(this.pos, true);
    this.pos += 2;
    return v;
  }
  u32(what = "u32"): number {
    this.need(4, what);
    const v = this.dv.getUint32(this.pos, true);
    this.pos += 4;
    return v;
  }
  i32(what = "i32"): number {
    this.need(4, what);
    const v = this.dv.getInt32(this.pos, true);
    this.pos += 4;
    return v;
  }
  u64(what = "u64"): number {
    this.need(8, what);
    const lo = this.dv.getUint32(this.pos, true);
    const hi = this.dv.getUint32(this.pos + 4, true);
    if (hi > 0x1fffff) throw new DecodeError(`${what} at offset ${this.pos} exceeds 2^53`);
    this.pos += 8;
    return hi * 4294967296 + lo;
  }
  /** u32 length then bytes (a view into the input); `max` bounds the length. */
  bytes(what: string, max: number): Uint8Array {
    const len = this.u32(`${what} length`);
    if (len > max) throw new DecodeError(`${what} of ${len} bytes over the limit of ${max}`);
    this.need(len, what);
    const b = this.input.subarray(this.pos, this.pos + len);
    this.pos += len;
    return b;
  }
  str(what = "string"): string {
    const len = this.u16(`${what} length`);
    this.need(len, what);
    const s = new TextDecoder().decode(this.input.subarray(this.pos, this.pos + len));
    this.pos += len;
    return s;
  }
  end(what: string): void {
    if (this.pos !== this.input.length) {
      throw new DecodeError(`${what}: ${this.input.length - this.pos} trailing bytes`);
    }
  }
}
