/**
 * The monotonic clock every thread and process on the host shares.
 *
 * CLOCK_MONOTONIC has one origin for the whole host (boot), so timestamps
 * written by one Worker can be subtracted in another, or in another process,
 * to get a latency. On Bun 1.4.5, `process.hrtime.bigint()` and
 * `Bun.nanoseconds()` count from the start of each JS VM (each Worker has its
 * own origin; measured: a Worker started 0.3 s after main reads 0.3 s less),
 * and `performance.now()` too has a per-Worker origin. So the clock is read
 * with clock_gettime(CLOCK_MONOTONIC) from libc through bun:ffi (~35 ns a
 * call, faster than hrtime.bigint()). Where libc cannot be opened (not Linux),
 * it falls back to performance.timeOrigin + performance.now(), which is shared
 * across Workers to within the precision of timeOrigin (about a microsecond)
 * but follows the wall clock's origin, not boot.
 */
import { dlopen, FFIType } from "bun:ffi";
import { TWO_POW_32 } from "./words.ts";

const CLOCK_MONOTONIC = 1;
/** struct timespec { i64 tv_sec; i64 tv_nsec } on 64-bit Linux, read as i32 words (little-endian). */
const timespec = new Int32Array(4);

function openClockGettime(): ((clock: number, ts: Int32Array) => number) | null {
  if (process.platform !== "linux") return null;
  for (const path of ["libc.so.6", "libc.so"]) {
    try {
      const lib = dlopen(path, {
        clock_gettime: { args: [FFIType.i32, FFIType.ptr], returns: FFIType.i32 },
      });
      const fn = lib.symbols.clock_gettime as (clock: number, ts: Int32Array) => number;
      if (fn(CLOCK_MONOTONIC, timespec) === 0) return fn;
    } catch {
      // try the next name, then fall back
    }
  }
  return null;
}
const clockGettime = openClockGettime();

/** Where the clock comes from, for metadata next to results. */
export const MONO_CLOCK_SOURCE = clockGettime
  ? "clock_gettime(CLOCK_MONOTONIC)"
  : "performance.timeOrigin+now";

/** Nanoseconds on CLOCK_MONOTONIC as a double (exact while uptime < 2^53 ns, 104 days). */
export function monoNowNs(): number {
  if (clockGettime) {
    clockGettime(CLOCK_MONOTONIC, timespec);
    return (timespec[0]! + timespec[1]! * TWO_POW_32) * 1e9 + timespec[2]!;
  }
  return Math.round((performance.timeOrigin + performance.now()) * 1e6);
}

/** Nanoseconds on the shared monotonic clock, as a bigint. */
export function monoNowNsBig(): bigint {
  if (clockGettime) {
    clockGettime(CLOCK_MONOTONIC, timespec);
    return BigInt(timespec[0]! + timespec[1]! * TWO_POW_32) * 1_000_000_000n + BigInt(timespec[2]!);
  }
  return BigInt(monoNowNs());
}

/** Sleeps the calling thread for `ms` milliseconds without spinning (Atomics.wait on a private cell). */
export function sleepSyncMs(ms: number): void {
  Atomics.wait(sleepCell, 0, 0, ms);
}
const sleepCell = new Int32Array(new SharedArrayBuffer(4));
