/**
 * Wait strategies over an Int32Array cell: how a queue end waits for "data
 * available" / "space available" / "lock free", and how the other side wakes it.
 *
 * - `spin`: re-check the predicate in a busy loop until it holds or the
 *   deadline passes. Never sleeps; lowest latency, burns a core.
 * - `spin-then-park`: spin for `spinUs` microseconds of measured wall time
 *   (performance.now, checked every SPIN_CHECKS_PER_CLOCK_READ iterations, not a
 *   loop count), then park in Atomics.wait.
 * - `park`: check once, then park in Atomics.wait.
 *
 * Protocol (why no wake-up is lost). Two Int32 cells in shared memory:
 * `valueIdx`, the cell the waiter sleeps on, and `sleepersIdx`, how many
 * waiters are parked or about to park on it.
 *
 *   waiter                                   notifier
 *   seen = load(value)                       (publishing store of the data,
 *   add(sleepers, 1)                          which changes `value` or is
 *   if ready(): sub(sleepers,1); done         followed by bump below)
 *   Atomics.wait(value, seen, remaining)     if load(sleepers) != 0:
 *   sub(sleepers, 1); loop                       [bump: add(value, 1)]
 *                                                notify(value)
 *
 * All operations are Atomics (sequentially consistent), so either the notifier's
 * load of `sleepers` sees the waiter registered (and notifies; if the notify
 * lands before Atomics.wait, `value` already differs from `seen`, so the wait
 * returns at once), or the waiter's re-check of `ready()` sees the published
 * data. The notifier's hot path is one Atomics.load when nobody sleeps.
 *
 * When `value` is itself the published index (an SPSC tail), use
 * notifySleepers; when it is a shared "doorbell" cell that several publishers
 * ring (fan-in, mutex), use ringDoorbell, which bumps it before notifying.
 *
 * Optional armed cell (`armedIdx`): a waiter stores 1 there after registering
 * and before its re-check; ringDoorbell notifies only if it wins
 * compareExchange(armed, 1, 0). So while a woken waiter is still being
 * scheduled, later publishes cost a load and a failed CAS instead of one
 * futex syscall each. No wake-up is lost: a waiter arms before its re-check,
 * so a publish either precedes the re-check (seen by it) or finds the cell
 * armed; several waiters on one bell are all woken by the one notify, and one
 * that arms after the CAS sleeps until the next publish (which finds it armed)
 * or returns at once if the bump already changed `value`.
 *
 * Allocation: none per call. `ready` must be a function made once (e.g. in a
 * constructor), not a closure built per call, or the caller allocates.
 */
import type { WaitStrategy } from "../core/contracts.ts";

/** armedIdx meaning "this bell has no armed cell": every publish while a sleeper is registered notifies. */
export const NO_ARMED_CELL = -1;
/** Spin iterations between two reads of the clock in the spin phase. */
export const SPIN_CHECKS_PER_CLOCK_READ = 64;
/** Longest single Atomics.wait; a park re-checks at least this often (guards against a missed notify from a misbehaving peer). */
export const MAX_PARK_SLICE_MS = 1000;

/**
 * The waiter side. One per queue end (owner: that end's thread); holds only
 * its configuration, so it may be shared by ends of one thread.
 */
export class Waiter {
  readonly strategy: WaitStrategy;
  readonly spinMs: number;

  constructor(strategy: WaitStrategy, spinUs: number) {
    if (!(spinUs >= 0 && Number.isFinite(spinUs)))
      throw new RangeError(`spinUs must be a finite number >= 0, got ${spinUs}`);
    this.strategy = strategy;
    this.spinMs = spinUs / 1000;
  }

  /**
   * Waits until `ready()` returns true or `timeoutMs` passes (Infinity: no
   * deadline; 0: check once). Returns the last answer of `ready()`.
   */
  waitFor(
    cells: Int32Array,
    valueIdx: number,
    sleepersIdx: number,
    ready: () => boolean,
    timeoutMs: number,
    armedIdx = NO_ARMED_CELL,
  ): boolean {
    if (ready()) return true;
    if (!(timeoutMs > 0)) return false;
    const startMs = performance.now();
    const deadlineMs = startMs + timeoutMs;
    if (this.strategy === "spin") return spinUntil(ready, deadlineMs);
    if (this.strategy === "spin-then-park" && this.spinMs > 0) {
      if (spinUntil(ready, Math.min(deadlineMs, startMs + this.spinMs))) return true;
    }
    return parkUntil(cells, valueIdx, sleepersIdx, armedIdx, ready, deadlineMs);
  }
}

/** Busy-waits until `ready()` or performance.now() >= deadlineMs. */
function spinUntil(ready: () => boolean, deadlineMs: number): boolean {
  for (;;) {
    for (let i = 0; i < SPIN_CHECKS_PER_CLOCK_READ; i++) if (ready()) return true;
    if (performance.now() >= deadlineMs) return ready();
  }
}

/** Registers as a sleeper, re-checks, parks; repeats until ready or the deadline. */
function parkUntil(
  cells: Int32Array,
  valueIdx: number,
  sleepersIdx: number,
  armedIdx: number,
  ready: () => boolean,
  deadlineMs: number,
): boolean {
  for (;;) {
    const seen = Atomics.load(cells, valueIdx);
    Atomics.add(cells, sleepersIdx, 1);
    if (armedIdx >= 0) Atomics.store(cells, armedIdx, 1); // the next ringDoorbell will notify
    if (ready()) {
      Atomics.sub(cells, sleepersIdx, 1);
      return true;
    }
    const remainingMs = deadlineMs - performance.now();
    if (remainingMs <= 0) {
      Atomics.sub(cells, sleepersIdx, 1);
      return false;
    }
    Atomics.wait(cells, valueIdx, seen, Math.min(remainingMs, MAX_PARK_SLICE_MS));
    Atomics.sub(cells, sleepersIdx, 1);
    if (ready()) return true;
  }
}

/**
 * Notifier side, when the publishing store itself changed `cells[valueIdx]`
 * (e.g. the SPSC tail index): wakes sleepers only if one is registered.
 * Call it after the publishing store.
 */
export function notifySleepers(cells: Int32Array, valueIdx: number, sleepersIdx: number): void {
  if (Atomics.load(cells, sleepersIdx) !== 0) Atomics.notify(cells, valueIdx);
}

/**
 * Notifier side for a shared doorbell cell that the publisher does not
 * otherwise write: bumps it (so a waiter between its load and its wait sees a
 * change) and wakes sleepers, only if one is registered. Call it after the
 * publishing store.
 */
export function ringDoorbell(
  cells: Int32Array,
  valueIdx: number,
  sleepersIdx: number,
  armedIdx = NO_ARMED_CELL,
): void {
  if (Atomics.load(cells, sleepersIdx) === 0) return;
  // With an armed cell only the first publisher after a waiter armed it pays for the
  // notify (a futex syscall); later ones find it disarmed until a waiter parks again.
  if (armedIdx >= 0 && Atomics.compareExchange(cells, armedIdx, 1, 0) !== 1) return;
  Atomics.add(cells, valueIdx, 1);
  Atomics.notify(cells, valueIdx);
}
