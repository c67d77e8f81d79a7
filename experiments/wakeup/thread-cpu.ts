/**
 * CPU time of the calling thread (main or Worker), from Linux's
 * /proc/thread-self/stat (utime + stime, in USER_HZ ticks of 10 ms). Bun reads
 * the file synchronously on the calling thread, so "thread-self" is that
 * thread. process.cpuUsage() cannot do this: it sums every thread, including
 * the load Workers the wakeup experiment runs on purpose.
 * Returns null where the file does not exist (not Linux).
 */
import { existsSync, readFileSync } from "node:fs";

/** Linux reports utime/stime in USER_HZ, which is 100 on every mainstream architecture. */
export const USER_HZ = 100;
const STAT_PATH = "/proc/thread-self/stat";
const available = existsSync(STAT_PATH);

/** Seconds of CPU this thread has used (user + system), or null off Linux. Resolution 10 ms. */
export function threadCpuS(): number | null {
  if (!available) return null;
  const text = readFileSync(STAT_PATH, "utf8");
  // Fields after "pid (comm) ": comm may contain spaces, so split after the last ')'.
  const fields = text.slice(text.lastIndexOf(")") + 2).split(" ");
  // fields[0] is field 3 (state); utime is field 14, stime field 15.
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  return (utime + stime) / USER_HZ;
}
