/**
 * A futex mutex and sequence-counter condition variables over Int32 cells of
 * a SharedArrayBuffer, built on Atomics.compareExchange / exchange / wait /
 * notify. Used by the `mutex` queue (impl/queue/mutex.ts); the cells' byte map
 * is in impl/queue/mutex-layout.ts.
 *
 * Mutex: the classic three-state futex mutex (U. Drepper, "Futexes Are
 * Tricky", 2011, mutex 2): 0 unlocked, 1 locked, 2 locked and maybe contended.
 * Unlock only calls Atomics.notify when the state was 2, so an uncontended
 * lock/unlock pair is one compareExchange and one sub. Before marking the lock
 * contended and parking, lock() retries LOCK_SPIN_TRIES times (the "adaptive"
 * variant glibc offers): hold times here are a few hundred ns, far below the
 * ~90 us a park/notify round trip costs on a busy 2-core machine.
 *
 * Condition variable: a sequence counter, a count of waiters, and a count of
 * sleepers (parked waiters). All counters are Int32 cells touched only through
 * Atomics. The waiter registers and snapshots the counter while holding the
 * mutex, so a signaller that takes the mutex after it sees it registered and
 * bumps the counter: the waiter's re-check (or Atomics.wait's compare) then
 * sees the change and no wake-up is lost. Waiting itself uses the queue's wait
 * strategy (impl/queue/wait.ts: spin, spin-then-park, park).
 *
 * Owner: a CondVar object belongs to one thread (it keeps a per-thread
 * "notify pending" flag); the cells it wraps are shared by all threads.
 */
import type { Waiter } from "./wait.ts";

/** Lock attempts by spinning before a contender marks the lock contended and parks. */
export const LOCK_SPIN_TRIES = 200;

const UNLOCKED = 0;
const LOCKED = 1;
const CONTENDED = 2;

/** Acquires the mutex in `cells[lockIdx]`; blocks (spins briefly, then parks) while another thread holds it. */
export function lockMutex(cells: Int32Array, lockIdx: number): void {
  let c = Atomics.compareExchange(cells, lockIdx, UNLOCKED, LOCKED);
  if (c === UNLOCKED) return;
  for (let i = 0; i < LOCK_SPIN_TRIES; i++) {
    if (c === UNLOCKED || Atomics.load(cells, lockIdx) === UNLOCKED) {
      c = Atomics.compareExchange(cells, lockIdx, UNLOCKED, LOCKED);
      if (c === UNLOCKED) return;
    }
  }
  // Slow path: announce contention; whoever unlocks then notifies.
  c = Atomics.exchange(cells, lockIdx, CONTENDED);
  while (c !== UNLOCKED) {
    Atomics.wait(cells, lockIdx, CONTENDED);
    c = Atomics.exchange(cells, lockIdx, CONTENDED);
  }
}

/** Releases the mutex in `cells[lockIdx]`; wakes one parked contender if the lock was contended. */
export function unlockMutex(cells: Int32Array, lockIdx: number): void {
  // Publishing store: everything written under the lock becomes visible to the next holder.
  if (Atomics.sub(cells, lockIdx, 1) !== LOCKED) {
    Atomics.store(cells, lockIdx, UNLOCKED);
    Atomics.notify(cells, lockIdx, 1);
  }
}

/** A condition variable tied to the mutex at `lockIdx`. See the file comment for the protocol. */
export class CondVar {
  private snapshot = 0;
  private notifyPending = false;
  /** Made once so waiting allocates nothing: true once a signal bumped the counter. */
  private readonly signalled = (): boolean =>
    Atomics.load(this.cells, this.seqIdx) !== this.snapshot;

  constructor(
    private readonly cells: Int32Array,
    private readonly lockIdx: number,
    private readonly waitersIdx: number,
    private readonly seqIdx: number,
    private readonly sleepersIdx: number,
    private readonly waiter: Waiter,
  ) {}

  /**
   * Caller holds the mutex. Releases it, waits for a signal or `timeoutMs`,
   * and reacquires it. May return early (spuriously): callers re-check their
   * condition in a loop. `alsoWake` gets its pending notify sent after the
   * mutex is released (so the woken thread does not block on our lock).
   */
  wait(timeoutMs: number, alsoWake: CondVar | null): void {
    const c = this.cells;
    Atomics.add(c, this.waitersIdx, 1);
    this.snapshot = Atomics.load(c, this.seqIdx);
    unlockMutex(c, this.lockIdx);
    alsoWake?.wakeAfterUnlock();
    this.waiter.waitFor(c, this.seqIdx, this.sleepersIdx, this.signalled, timeoutMs);
    lockMutex(c, this.lockIdx);
    Atomics.sub(c, this.waitersIdx, 1);
  }

  /** Caller holds the mutex. Wakes every waiter (once the caller calls wakeAfterUnlock). Costs nothing when none waits. */
  signalLocked(): void {
    if (Atomics.load(this.cells, this.waitersIdx) !== 0) {
      Atomics.add(this.cells, this.seqIdx, 1);
      this.notifyPending = true;
    }
  }

  /** After releasing the mutex: sends the notify a signalLocked() left pending, to parked waiters only. */
  wakeAfterUnlock(): void {
    if (!this.notifyPending) return;
    this.notifyPending = false;
    if (Atomics.load(this.cells, this.sleepersIdx) !== 0) Atomics.notify(this.cells, this.seqIdx);
  }
}
