/**
 * Record copies between a caller's buffer and a ring's SharedArrayBuffer with
 * no allocation in the common case: small copies (one or a few records) go
 * through a u32 word loop over cached Uint32Array views; large ones through
 * one TypedArray.set per contiguous piece (one subarray view per batch).
 *
 * Owner: one queue end (one thread). The cached view of the caller's buffer is
 * replaced only when the caller passes a different Uint8Array.
 */

/** Copies of at most this many bytes use the word loop; longer ones use set(). */
export const WORD_COPY_MAX_BYTES = 512;

export class RecordCopier {
  private readonly ringU8: Uint8Array;
  private readonly ringU32: Uint32Array;
  private extView: Uint8Array | null = null;
  private extU32: Uint32Array = new Uint32Array(0);

  constructor(ring: SharedArrayBuffer) {
    this.ringU8 = new Uint8Array(ring);
    this.ringU32 = new Uint32Array(ring, 0, ring.byteLength >>> 2);
  }

  /**
   * The u32 view of `buf`'s ArrayBuffer, built once per distinct view (compared
   * by identity: reading `.buffer` costs ~30 ns on Bun, an identity check ~0).
   */
  private wordsOf(buf: Uint8Array): Uint32Array {
    if (buf !== this.extView) {
      this.extView = buf;
      this.extU32 = new Uint32Array(buf.buffer, 0, buf.buffer.byteLength >>> 2);
    }
    return this.extU32;
  }

  /** Copies `bytes` from `src[srcOffset..]` to ring byte `ringByte` (a multiple of 4). */
  toRing(src: Uint8Array, srcOffset: number, ringByte: number, bytes: number): void {
    const abs = src.byteOffset + srcOffset;
    if (bytes <= WORD_COPY_MAX_BYTES && (abs & 3) === 0) {
      const s = this.wordsOf(src);
      const ring = this.ringU32;
      let si = abs >>> 2;
      let di = ringByte >>> 2;
      const end = di + (bytes >>> 2);
      while (di < end) ring[di++] = s[si++]!;
    } else {
      this.ringU8.set(src.subarray(srcOffset, srcOffset + bytes), ringByte);
    }
  }

  /** Copies `bytes` from ring byte `ringByte` to `dst[dstOffset..]`. */
  fromRing(ringByte: number, dst: Uint8Array, dstOffset: number, bytes: number): void {
    const abs = dst.byteOffset + dstOffset;
    if (bytes <= WORD_COPY_MAX_BYTES && (abs & 3) === 0) {
      const d = this.wordsOf(dst);
      const ring = this.ringU32;
      let si = ringByte >>> 2;
      let di = abs >>> 2;
      const end = si + (bytes >>> 2);
      while (si < end) d[di++] = ring[si++]!;
    } else {
      dst.set(this.ringU8.subarray(ringByte, ringByte + bytes), dstOffset);
    }
  }
}
