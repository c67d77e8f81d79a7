/**
 * The pipeline's small shared control block (one SharedArrayBuffer, Int32
 * words, touched only through Atomics). Each hot word sits on its own 64-byte
 * cache line so one Worker's writes do not bounce another's line.
 *
 * Byte map:
 *   0    open connections over every ingest Worker (Atomics.add on open, sub on close)
 *   4    stats-from time, CLOCK_MONOTONIC ms (0: from the start): the stage histograms
 *        count only events ingested at or after it (read-mostly: written once per
 *        measured run, read once per batch, so it shares line 0 with the cold word 0)
 *   64   consumer 0 doorbell: bumped by the dispatcher after it publishes to consumer 0's lanes
 *   68   consumer 0 sleeping flag: 1 while consumer 0 is (about to be) parked on its doorbell
 *   128  consumer 1 doorbell ...                       (one 64-byte line per consumer)
 *   64 * (1 + c) + 0 / + 4: consumer c doorbell / sleeping
 */
export const CACHE_LINE_BYTES = 64;
const WORDS_PER_LINE = CACHE_LINE_BYTES / 4;

export const WORD_OPEN_CONNECTIONS = 0;
export const WORD_STATS_FROM_MS = 1;

/** Stage histograms from now on count only events ingested at or after `fromNs` (rounded up to a ms). */
export function setStatsFromNs(ctl: Int32Array, fromNs: number): void {
  const ms = Math.ceil(fromNs / 1e6);
  if (!(ms >= 0 && ms <= 0x7fffffff)) throw new RangeError(`stats-from ${fromNs} ns out of range`);
  Atomics.store(ctl, WORD_STATS_FROM_MS, ms); // publishing store: read by every Worker per batch
}

/** The stats-from time in CLOCK_MONOTONIC ns (0: count everything). */
export function statsFromNs(ctl: Int32Array): number {
  return Atomics.load(ctl, WORD_STATS_FROM_MS) * 1e6;
}

export function controlBytes(consumers: number): number {
  return CACHE_LINE_BYTES * (1 + consumers);
}
export function doorbellWord(consumer: number): number {
  return WORDS_PER_LINE * (1 + consumer);
}
export function sleepingWord(consumer: number): number {
  return WORDS_PER_LINE * (1 + consumer) + 1;
}

/** Dispatcher side: announce new records for `consumer`, waking it only if it parked. */
export function ringDoorbell(ctl: Int32Array, consumer: number): void {
  // Publishing store: the bump orders after the queue publication it announces.
  Atomics.add(ctl, doorbellWord(consumer), 1);
  if (Atomics.load(ctl, sleepingWord(consumer)) === 1) Atomics.notify(ctl, doorbellWord(consumer));
}

/**
 * Consumer side: park until the doorbell moves past `seen` or `timeoutMs`
 * passes. `recheck` runs after the sleeping flag is raised and must return
 * true if work arrived meanwhile (then it does not park): a push made before
 * the flag was visible is seen by recheck, one made after rings the bell.
 */
export function parkOnDoorbell(
  ctl: Int32Array,
  consumer: number,
  seen: number,
  timeoutMs: number,
  recheck: () => boolean,
): void {
  Atomics.store(ctl, sleepingWord(consumer), 1);
  if (!recheck()) Atomics.wait(ctl, doorbellWord(consumer), seen, timeoutMs);
  Atomics.store(ctl, sleepingWord(consumer), 0);
}
