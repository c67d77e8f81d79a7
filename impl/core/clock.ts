/**
 * The monotonic clock every thread and process on the host shares.
 *
 * `process.hrtime.bigint()` reads CLOCK_MONOTONIC, which has one origin for the
 * whole host (boot), unlike `performance.now()` whose origin differs per Worker.
 * Timestamps written by one Worker can therefore be subtracted in another, or
 * in another process, to get a latency.
 */

/** Nanoseconds on CLOCK_MONOTONIC, exact. */
export function monoNowNsBig(): bigint {
  return process.hrtime.bigint();
}

/**
 * Nanoseconds on CLOCK_MONOTONIC as a double. Exact while the host's uptime is
 * under 2^53 ns (104 days); beyond that it rounds by a few ns, which is far
 * below any latency this harness reports.
 */
export function monoNowNs(): number {
  return Number(process.hrtime.bigint());
}

/** Sleeps the calling thread for `ms` milliseconds without spinning (Atomics.wait on a private cell). */
export function sleepSyncMs(ms: number): void {
  Atomics.wait(sleepCell, 0, 0, ms);
}
const sleepCell = new Int32Array(new SharedArrayBuffer(4));
