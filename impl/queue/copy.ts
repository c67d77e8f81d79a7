/**
 * Record copies between a caller's buffer and one ring's data region in a
 * SharedArrayBuffer, with no allocation in the steady state.
 *
 * Measured on Bun 1.4.5 (2-core Xeon, loaded): a JS u32 word loop costs ~2.3 ns
 * a word (~45 ns for a 64 B record); TypedArray.set of a whole view is a
 * memcpy behind a ~25 ns call; making a subarray view costs ~100 ns. So:
 * - one record from the ring: dst.set(slot view), the slot views made lazily,
 *   once per slot;
 * - one record into the ring: ring.set(src) when `src` is exactly one record,
 *   else a cached subarray of the caller's last (buffer, offset), else the
 *   word loop;
 * - other copies: a word loop up to WORD_COPY_MAX_BYTES, else one
 *   set(subarray) per contiguous piece (one view per batch).
 *
 * Owner: one queue end (one thread).
 */

/**
 * A u32 view over all of `buffer`, for a copier to cache per caller view. Over
 * a resizable ArrayBuffer or a growable SharedArrayBuffer the view tracks the
 * buffer's length: a fixed-length one, made before the buffer grew (or shrank),
 * would read and write nothing past its old end, so records would move as
 * zeros. Fixed-size buffers (the hot path) keep the fixed-length view.
 */
export function wordsOver(buffer: ArrayBufferLike): Uint32Array {
  const tracksLength =
    buffer instanceof SharedArrayBuffer ? buffer.growable : (buffer as ArrayBuffer).resizable;
  return tracksLength
    ? new Uint32Array(buffer)
    : new Uint32Array(buffer, 0, buffer.byteLength >>> 2);
}

/** General-path copies of at most this many aligned bytes use the word loop; longer ones set(). */
export const WORD_COPY_MAX_BYTES = 512;

// Word loops repeat per path on purpose: per-record hot copies, one JIT-profiled site per direction.
export class RecordCopier {
  private readonly ringU8: Uint8Array;
  private readonly ringU32: Uint32Array;
  private readonly dataBase: number;
  private readonly recordBytes: number;
  /** log2(recordBytes): record sizes are powers of two (32..256). */
  private readonly recordShift: number;
  /** Lazily made views of each slot (index = slot), for one-record pops. */
  private readonly slotViews: (Uint8Array | undefined)[];
  private lastSrc: Uint8Array | null = null;
  private lastSrcOffset = -1;
  private lastSrcView: Uint8Array = new Uint8Array(0);
  private extView: Uint8Array | null = null;
  private extU32: Uint32Array = new Uint32Array(0);

  /**
   * `dataBase`, `ringSlots`, `recordBytes` describe the ring's slots and enable
   * the one-record paths; without them (recordBytes 0) every copy takes the
   * general path.
   */
  constructor(ring: SharedArrayBuffer, dataBase = 0, ringSlots = 0, recordBytes = 0) {
    this.ringU8 = new Uint8Array(ring);
    this.ringU32 = new Uint32Array(ring, 0, ring.byteLength >>> 2);
    this.dataBase = dataBase;
    this.recordBytes = recordBytes;
    this.recordShift = recordBytes > 0 ? 31 - Math.clz32(recordBytes) : 0;
    if (recordBytes > 0 && 1 << this.recordShift !== recordBytes)
      throw new RangeError(`recordBytes must be a power of two, got ${recordBytes}`);
    this.slotViews = new Array(ringSlots);
  }

  /** The u32 view of `buf`'s buffer (length-tracking when it can resize), rebuilt only when a different view is passed. */
  private wordsOf(buf: Uint8Array): Uint32Array {
    if (buf !== this.extView) {
      this.extView = buf;
      this.extU32 = wordsOver(buf.buffer);
    }
    return this.extU32;
  }

  /** Copies `bytes` from `src[srcOffset..]` to ring byte `ringByte` (a multiple of 4). */
  toRing(src: Uint8Array, srcOffset: number, ringByte: number, bytes: number): void {
    if (bytes === this.recordBytes && bytes > 0) {
      if (srcOffset === 0 && src.length === bytes) {
        this.ringU8.set(src, ringByte);
        return;
      }
      if (src === this.lastSrc && srcOffset === this.lastSrcOffset) {
        this.ringU8.set(this.lastSrcView, ringByte);
        return;
      }
      const abs = src.byteOffset + srcOffset;
      if ((abs & 3) === 0) {
        this.lastSrc = src;
        this.lastSrcOffset = srcOffset;
        this.lastSrcView = src.subarray(srcOffset, srcOffset + bytes);
        const s = this.wordsOf(src);
        const ring = this.ringU32;
        let si = abs >>> 2;
        let di = ringByte >>> 2;
        const end = di + (bytes >>> 2);
        while (di < end) ring[di++] = s[si++]!;
        return;
      }
    }
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
    if (bytes === this.recordBytes && bytes > 0) {
      const slot = (ringByte - this.dataBase) >>> this.recordShift;
      let view = this.slotViews[slot];
      if (view === undefined) {
        view = this.ringU8.subarray(ringByte, ringByte + bytes);
        this.slotViews[slot] = view;
      }
      dst.set(view, dstOffset);
      return;
    }
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
