/**
 * SharedArrayBuffer byte map of the `mutex` queue (impl/queue/mutex.ts).
 *
 *   byte 0    +--------------------------------------------------------------+
 *   line 0    | LOCK | COUNT | HEAD_SLOT | TAIL_SLOT | CLOSED |                 |
 *             | NOT_EMPTY_WAITERS | NOT_FULL_WAITERS |                       |
 *   byte 64   +--------------------------------------------------------------+
 *   line 1    | NOT_EMPTY_SEQ | NOT_EMPTY_SLEEPERS |                         |
 *   byte 128  +--------------------------------------------------------------+
 *   line 2    | NOT_FULL_SEQ  | NOT_FULL_SLEEPERS  |                         |
 *   byte 192  +--------------------------------------------------------------+
 *   line 3    | (padding)                                                    |
 *   byte 256  +--------------------------------------------------------------+
 *             | ring: capacitySlots records of recordBytes each              |
 *             +--------------------------------------------------------------+
 *
 * Every cell is an Int32 read and written only through Atomics.
 *
 * Why this grouping: everything on line 0 except LOCK is read and written only
 * while holding the mutex, so a thread that wins the lock pays for one cache
 * line and finds the indices already there. The condition variables' sequence
 * cells are on lines of their own because waiters spin or park on them: a
 * spinning waiter reading the lock's line would steal it from the holder on
 * every iteration.
 *
 * - LOCK: 0 unlocked, 1 locked, 2 locked with (possible) waiters (Drepper,
 *   "Futexes Are Tricky", mutex 2).
 * - COUNT: records in the ring (0..capacitySlots).
 * - HEAD_SLOT, TAIL_SLOT: ring slot (0..capacitySlots-1) of the next pop and
 *   the next push. The mutex makes free-running indices unnecessary, so
 *   nothing here wraps at 2^32 and config.initialSequence does not apply.
 * - CLOSED: producer ends that have closed; end of stream once it equals
 *   config.producers and the ring is empty.
 * - *_WAITERS: threads inside a condition-variable wait (spinning or parked);
 *   a signaller bumps the matching *_SEQ only when this is non-zero.
 * - *_SEQ: the condition variable's sequence counter, bumped by a signal.
 * - *_SLEEPERS: of those waiters, how many are parked or about to park in
 *   Atomics.wait (protocol in impl/queue/wait.ts): Atomics.notify only then.
 */

export const CACHE_LINE_BYTES = 64;

// line 0: the mutex and the state it protects (Int32 indices)
export const LOCK = 0;
export const COUNT = 1;
export const HEAD_SLOT = 2;
export const TAIL_SLOT = 3;
export const CLOSED = 4;
export const NOT_EMPTY_WAITERS = 5;
export const NOT_FULL_WAITERS = 6;

// line 1: condition variable "not empty"
export const NOT_EMPTY_SEQ = CACHE_LINE_BYTES / 4;
export const NOT_EMPTY_SLEEPERS = NOT_EMPTY_SEQ + 1;

// line 2: condition variable "not full"
export const NOT_FULL_SEQ = (2 * CACHE_LINE_BYTES) / 4;
export const NOT_FULL_SLEEPERS = NOT_FULL_SEQ + 1;

/** Bytes before the ring (control lines plus one line of padding). */
export const CONTROL_BYTES = 4 * CACHE_LINE_BYTES;
/** Byte offset of ring slot 0. */
export const RING_OFFSET_BYTES = CONTROL_BYTES;

/** Total SharedArrayBuffer bytes for a ring of `capacitySlots` records. */
export function mutexQueueBytes(capacitySlots: number, recordBytes: number): number {
  return RING_OFFSET_BYTES + capacitySlots * recordBytes;
}
