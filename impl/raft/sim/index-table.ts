/**
 * IndexTable: up to three unsigned 32-bit fields per log index, for the
 * safety checker's per-index memory (committed entries, applied entries,
 * entry facts). Log indexes are dense from 1, so the fields live in growable
 * typed arrays indexed by the log index: no Map entry and no object per
 * index, which kept a long run's heap (and the garbage collector's work)
 * growing with every entry. Indexes beyond MAX_DENSE_INDEX (never reached by
 * a sane run, but a buggy node may report anything) go to a Map instead.
 */

/** Named start capacity, in indexes; it doubles as indexes grow. */
const INITIAL_CAPACITY = 1024;
/** Named limit: indexes up to this are stored densely (2^24 indexes: 208 MB at most). */
const MAX_DENSE_INDEX = 2 ** 24;

export class IndexTable {
  private used: Uint8Array = new Uint8Array(INITIAL_CAPACITY);
  private f0: Uint32Array = new Uint32Array(INITIAL_CAPACITY);
  private f1: Uint32Array = new Uint32Array(INITIAL_CAPACITY);
  private f2: Uint32Array = new Uint32Array(INITIAL_CAPACITY);
  private readonly far = new Map<number, [number, number, number]>();

  has(index: number): boolean {
    if (index < this.used.length) return this.used[index] === 1;
    return index > MAX_DENSE_INDEX && this.far.has(index);
  }

  /** Field `k` (0, 1 or 2) at `index`; only meaningful when has(index). */
  field(index: number, k: 0 | 1 | 2): number {
    if (index < this.used.length) return (k === 0 ? this.f0 : k === 1 ? this.f1 : this.f2)[index]!;
    return this.far.get(index)?.[k] ?? 0;
  }

  /** Field 0 at `index` (field(index, 0) without the field switch: the checker's hot reads). */
  f0At(index: number): number {
    return index < this.used.length ? this.f0[index]! : (this.far.get(index)?.[0] ?? 0);
  }

  /** Field 1 at `index`, as f0At. */
  f1At(index: number): number {
    return index < this.used.length ? this.f1[index]! : (this.far.get(index)?.[1] ?? 0);
  }

  /** Field 2 at `index`, as f0At. */
  f2At(index: number): number {
    return index < this.used.length ? this.f2[index]! : (this.far.get(index)?.[2] ?? 0);
  }

  /** Sets the record at `index` (values must fit in 32 unsigned bits). */
  set(index: number, v0: number, v1: number, v2: number): void {
    if (v0 >>> 0 !== v0 || v1 >>> 0 !== v1 || v2 >>> 0 !== v2)
      throw new RangeError(`IndexTable: values ${v0}, ${v1}, ${v2} at ${index} are not all u32`);
    if (index > MAX_DENSE_INDEX) {
      this.far.set(index, [v0 >>> 0, v1 >>> 0, v2 >>> 0]);
      return;
    }
    if (index >= this.used.length) this.grow(index);
    this.used[index] = 1;
    this.f0[index] = v0;
    this.f1[index] = v1;
    this.f2[index] = v2;
  }

  private grow(index: number): void {
    let n = this.used.length * 2;
    while (n <= index) n *= 2;
    const used = new Uint8Array(n);
    used.set(this.used);
    this.used = used;
    this.f0 = grown(this.f0, n);
    this.f1 = grown(this.f1, n);
    this.f2 = grown(this.f2, n);
  }
}

function grown(a: Uint32Array, n: number): Uint32Array {
  const b = new Uint32Array(n);
  b.set(a);
  return b;
}
