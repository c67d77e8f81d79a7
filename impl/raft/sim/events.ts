/**
 * A deterministic virtual-time event queue: a binary min-heap ordered by
 * (time, sequence). The sequence number is assigned at push, so two events due
 * at the same virtual time always pop in the order they were scheduled; that
 * tie-break is what makes a simulation replay byte for byte from its seed.
 *
 * The heap is kept as parallel arrays (time, sequence, kind, payload) rather
 * than one object per event: the simulator pushes and pops a few million
 * events per second, and an object per event was a measurable share of its
 * allocation and garbage-collection time. `kind` is a small integer the
 * caller picks to tell its payload types apart without wrapping them.
 *
 * Owned by one simulator; not thread-safe (nothing in the simulator is).
 */
export interface TimedEvent<T> {
  /** Virtual time in ms at which the event is due. */
  readonly timeMs: number;
  /** Push order; breaks ties between events due at the same time. */
  readonly seq: number;
  /** The caller's payload tag (0 unless given at push). */
  readonly kind: number;
  readonly payload: T;
}

export class EventQueue<T> {
  private readonly times: number[] = [];
  private readonly seqs: number[] = [];
  private readonly kinds: number[] = [];
  private readonly payloads: T[] = [];
  private nextSeq = 0;

  /** Named limit: a runaway simulation (e.g. a message storm) fails loudly instead of eating memory. */
  constructor(readonly maxPendingEvents = 5_000_000) {}

  get size(): number {
    return this.times.length;
  }

  /** Schedules `payload` (tagged `kind`) at `timeMs`; returns its sequence number. */
  push(timeMs: number, payload: T, kind = 0): number {
    if (!Number.isFinite(timeMs)) throw new RangeError(`event time must be finite, got ${timeMs}`);
    const n = this.times.length;
    if (n >= this.maxPendingEvents) {
      throw new RangeError(`event queue over its limit of ${this.maxPendingEvents} pending events`);
    }
    const seq = this.nextSeq++;
    this.times.push(timeMs);
    this.seqs.push(seq);
    this.kinds.push(kind);
    this.payloads.push(payload);
    this.siftUp(n, timeMs, seq, kind, payload);
    return seq;
  }

  /** Time of the earliest event, or Infinity when empty. */
  peekTimeMs(): number {
    return this.times.length > 0 ? this.times[0]! : Number.POSITIVE_INFINITY;
  }

  /** Kind of the earliest event (call before take()); -1 when empty. */
  peekKind(): number {
    return this.kinds.length > 0 ? this.kinds[0]! : -1;
  }

  /** Removes the earliest event and returns its payload (the queue must not be empty). */
  take(): T {
    const top = this.payloads[0]!;
    this.removeHead();
    return top;
  }

  /** The earliest event without removing it, or undefined when empty (allocates: not for hot loops). */
  peek(): TimedEvent<T> | undefined {
    if (this.times.length === 0) return undefined;
    return {
      timeMs: this.times[0]!,
      seq: this.seqs[0]!,
      kind: this.kinds[0]!,
      payload: this.payloads[0]!,
    };
  }

  /** Removes and returns the earliest event, or undefined when empty (allocates: not for hot loops). */
  pop(): TimedEvent<T> | undefined {
    const e = this.peek();
    if (e !== undefined) this.removeHead();
    return e;
  }

  /** Drops every pending event for which `keep` is false (O(n)); order is preserved. */
  filter(keep: (payload: T) => boolean): void {
    const all: TimedEvent<T>[] = [];
    for (let i = 0; i < this.times.length; i++) {
      all.push({
        timeMs: this.times[i]!,
        seq: this.seqs[i]!,
        kind: this.kinds[i]!,
        payload: this.payloads[i]!,
      });
    }
    this.times.length = this.seqs.length = this.kinds.length = this.payloads.length = 0;
    for (const e of all) {
      if (!keep(e.payload)) continue;
      const n = this.times.length;
      this.times.push(e.timeMs);
      this.seqs.push(e.seq);
      this.kinds.push(e.kind);
      this.payloads.push(e.payload);
      this.siftUp(n, e.timeMs, e.seq, e.kind, e.payload);
    }
  }

  private removeHead(): void {
    const n = this.times.length - 1;
    const t = this.times.pop()!;
    const s = this.seqs.pop()!;
    const k = this.kinds.pop()!;
    const p = this.payloads.pop()!;
    if (n > 0) this.siftDown(n, t, s, k, p);
  }

  /** Moves the item (t, s, k, p) up from hole i to its place. */
  private siftUp(i: number, t: number, s: number, k: number, p: T): void {
    const { times, seqs, kinds, payloads } = this;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const pt = times[parent]!;
      if (pt < t || (pt === t && seqs[parent]! < s)) break;
      times[i] = pt;
      seqs[i] = seqs[parent]!;
      kinds[i] = kinds[parent]!;
      payloads[i] = payloads[parent]!;
      i = parent;
    }
    times[i] = t;
    seqs[i] = s;
    kinds[i] = k;
    payloads[i] = p;
  }

  /** Places the item (t, s, k, p) into the hole at the root of a heap of n items. */
  private siftDown(n: number, t: number, s: number, k: number, p: T): void {
    const { times, seqs, kinds, payloads } = this;
    let i = 0;
    for (;;) {
      let child = 2 * i + 1;
      if (child >= n) break;
      let ct = times[child]!;
      if (child + 1 < n) {
        const rt = times[child + 1]!;
        if (rt < ct || (rt === ct && seqs[child + 1]! < seqs[child]!)) {
          child++;
          ct = rt;
        }
      }
      if (t < ct || (t === ct && s < seqs[child]!)) break;
      times[i] = ct;
      seqs[i] = seqs[child]!;
      kinds[i] = kinds[child]!;
      payloads[i] = payloads[child]!;
      i = child;
    }
    times[i] = t;
    seqs[i] = s;
    kinds[i] = k;
    payloads[i] = p;
  }
}
