/**
 * Byte map of one SPSC ring inside a SharedArrayBuffer (house style 5). A ring
 * starts at a 64-byte-aligned base offset, so fan-in can lay several rings in
 * one buffer; a plain `spsc` queue has one ring at base 0.
 *
 *   base+0    line 0: static header, written once at creation
 *             [0] MAGIC  [1] RING_SLOTS (power of 2)  [2] CAPACITY_SLOTS (occupancy limit)
 *             [3] RECORD_BYTES  [4] PRODUCERS (ends that must close)  [5] INITIAL_SEQUENCE
 *   base+64   line 1: producer-written
 *             [16] TAIL (u32 free-running; publishes records)  [17] CONSUMER_BELL
 *             [18] CONSUMER_SLEEPERS  [19] CONSUMER_ARMED
 *   base+128  line 2: consumer-written
 *             [32] HEAD (u32 free-running; frees slots)  [33] PRODUCER_BELL
 *             [34] PRODUCER_SLEEPERS  [35] PRODUCER_ARMED
 *   base+192  line 3: cold
 *             [48] CLOSED_PRODUCERS (Atomics.add by each producer's close)
 *   base+256  data: RING_SLOTS records of RECORD_BYTES, slot i at DATA + i*RECORD_BYTES
 *
 * TAIL and HEAD sit on separate 64-byte cache lines so the producer's and the
 * consumer's stores do not invalidate each other's line. Each bell lives on
 * the line of the index its waiter watches: the publisher reads the sleeper
 * count right after its publishing store, on a line it already owns. The
 * armed cells let only the first publish after a waiter parks pay for the
 * notify (impl/queue/wait.ts).
 *
 * Indices are u32 counters that run freely and wrap modulo 2^32; a slot is
 * `index & (RING_SLOTS - 1)`. Occupancy is `(TAIL - HEAD) >>> 0`, valid across
 * the wrap because RING_SLOTS divides 2^32. They live in Int32 cells (Atomics.wait
 * needs an Int32Array) and are read back with `>>> 0`.
 *
 * Capacity: the ring stores RING_SLOTS = the next power of two >= capacitySlots
 * (masking instead of modulo, and wrap-safe), but a producer never lets more
 * than CAPACITY_SLOTS records be in flight, so the capacity a user asked for
 * (1, 3, 7, ...) is exactly the capacity they get.
 */

export const SPSC_MAGIC = 0x53505343; // "SPSC"
export const CACHE_LINE_BYTES = 64;

// Int32 cell indices, relative to the ring's base (base / 4 + index).
export const I_MAGIC = 0;
export const I_RING_SLOTS = 1;
export const I_CAPACITY_SLOTS = 2;
export const I_RECORD_BYTES = 3;
export const I_PRODUCERS = 4;
export const I_INITIAL_SEQUENCE = 5;
export const I_TAIL = 16;
export const I_CONSUMER_BELL = 17;
export const I_CONSUMER_SLEEPERS = 18;
export const I_CONSUMER_ARMED = 19;
export const I_HEAD = 32;
export const I_PRODUCER_BELL = 33;
export const I_PRODUCER_SLEEPERS = 34;
export const I_PRODUCER_ARMED = 35;
export const I_CLOSED_PRODUCERS = 48;

/** Bytes of control lines before the data region. */
export const RING_CONTROL_BYTES = 4 * CACHE_LINE_BYTES;

/** The smallest power of two >= n (n >= 1). */
export function nextPowerOfTwo(n: number): number {
  let p = 1;
  while (p < n) p *= 2;
  return p;
}

/** Bytes one ring occupies (control + data), rounded up to a cache line. */
export function ringBytes(capacitySlots: number, recordBytes: number): number {
  const data = nextPowerOfTwo(capacitySlots) * recordBytes;
  return RING_CONTROL_BYTES + Math.ceil(data / CACHE_LINE_BYTES) * CACHE_LINE_BYTES;
}

/** Writes the header of a fresh ring at `baseBytes` in `sab` and starts both indices at `initialSequence`. */
export function initRing(
  sab: SharedArrayBuffer,
  baseBytes: number,
  capacitySlots: number,
  recordBytes: number,
  producers: number,
  initialSequence: number,
): void {
  const c = new Int32Array(sab, baseBytes, RING_CONTROL_BYTES / 4);
  c[I_RING_SLOTS] = nextPowerOfTwo(capacitySlots);
  c[I_CAPACITY_SLOTS] = capacitySlots;
  c[I_RECORD_BYTES] = recordBytes;
  c[I_PRODUCERS] = producers;
  c[I_INITIAL_SEQUENCE] = initialSequence | 0;
  Atomics.store(c, I_TAIL, initialSequence | 0);
  Atomics.store(c, I_HEAD, initialSequence | 0);
  Atomics.store(c, I_MAGIC, SPSC_MAGIC); // publishes the header to whoever opens the ring
}
