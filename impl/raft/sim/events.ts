/**
 * A deterministic virtual-time event queue: a binary min-heap ordered by
 * (time, sequence). The sequence number is assigned at push, so two events due
 * at the same virtual time always pop in the order they were scheduled; that
 * tie-break is what makes a simulation replay byte for byte from its seed.
 *
 * Owned by one simulator; not thread-safe (nothing in the simulator is).
 */
export interface TimedEvent<T> {
  /** Virtual time in ms at which the event is due. */
  readonly timeMs: number;
  /** Push order; breaks ties between events due at the same time. */
  readonly seq: number;
  readonly payload: T;
}

export class EventQueue<T> {
  private readonly heap: TimedEvent<T>[] = [];
  private nextSeq = 0;

  /** Named limit: a runaway simulation (e.g. a message storm) fails loudly instead of eating memory. */
  constructor(readonly maxPendingEvents = 5_000_000) {}

  get size(): number {
    return this.heap.length;
  }

  /** Schedules `payload` at `timeMs`; returns its sequence number. */
  push(timeMs: number, payload: T): number {
    if (!Number.isFinite(timeMs)) throw new RangeError(`event time must be finite, got ${timeMs}`);
    if (this.heap.length >= this.maxPendingEvents) {
      throw new RangeError(`event queue over its limit of ${this.maxPendingEvents} pending events`);
    }
    const seq = this.nextSeq++;
    this.heap.push({ timeMs, seq, payload });
    this.siftUp(this.heap.length - 1);
    return seq;
  }

  /** The earliest event without removing it, or undefined when empty. */
  peek(): TimedEvent<T> | undefined {
    return this.heap[0];
  }

  /** Removes and returns the earliest event, or undefined when empty. */
  pop(): TimedEvent<T> | undefined {
    const heap = this.heap;
    if (heap.length === 0) return undefined;
    const top = heap[0]!;
    const last = heap.pop()!;
    if (heap.length > 0) {
      heap[0] = last;
      this.siftDown(0);
    }
    return top;
  }

  /** Drops every pending event for which `keep` is false (O(n)); order is preserved. */
  filter(keep: (payload: T) => boolean): void {
    const kept = this.heap.filter((e) => keep(e.payload));
    this.heap.length = 0;
    for (const e of kept) this.heap.push(e);
    for (let i = (this.heap.length >> 1) - 1; i >= 0; i--) this.siftDown(i);
  }

  private less(a: TimedEvent<T>, b: TimedEvent<T>): boolean {
    return a.timeMs < b.timeMs || (a.timeMs === b.timeMs && a.seq < b.seq);
  }

  private siftUp(i: number): void {
    const heap = this.heap;
    const item = heap[i]!;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.less(item, heap[parent]!)) break;
      heap[i] = heap[parent]!;
      i = parent;
    }
    heap[i] = item;
  }

  private siftDown(i: number): void {
    const heap = this.heap;
    const n = heap.length;
    const item = heap[i]!;
    for (;;) {
      let child = 2 * i + 1;
      if (child >= n) break;
      if (child + 1 < n && this.less(heap[child + 1]!, heap[child]!)) child++;
      if (!this.less(heap[child]!, item)) break;
      heap[i] = heap[child]!;
      i = child;
    }
    heap[i] = item;
  }
}
