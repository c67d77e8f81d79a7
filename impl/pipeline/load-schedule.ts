/**
 * The open-loop send schedule both load generators share (eventlab frames in
 * load.ts, Redis XADD in load-resp.ts), so the two targets are driven by the
 * same clock: connections staggered across one batch interval, each batch sent
 * at its intended time whatever the server does, and the generator's own lag
 * recorded against that time.
 */
import { monoNowNs } from "../core/clock.ts";
import { type newHistogram, recordNs } from "./profiler.ts";

/** Batches one connection may send in one tick when it has fallen behind (a named bound). */
export const MAX_BATCHES_PER_TICK = 1024;

/** Where the open-loop sender records its schedule lag: batches intended before fromNs (warm-up) are left out. */
export interface SendLag {
  hist: ReturnType<typeof newHistogram>;
  fromNs: number;
  batch: number;
}

/** A connection the schedule can drive: false when it cannot take a batch now. */
export interface BatchSender {
  sendBatch(intendedNs: number): boolean;
}

/** Sends every batch whose intended time has come, per connection, up to MAX_BATCHES_PER_TICK. */
export function openLoopTick(
  conns: readonly BatchSender[],
  sentBatches: Float64Array,
  startNs: number,
  untilNs: number,
  intervalNs: number,
  lag: SendLag,
): void {
  const sentNs = monoNowNs();
  for (let i = 0; i < conns.length; i++) {
    const c = conns[i]!;
    // Connections start staggered across one interval so their batches do not all land at once.
    const offsetNs = (intervalNs * i) / conns.length;
    for (let n = 0; n < MAX_BATCHES_PER_TICK; n++) {
      const intendedNs = startNs + offsetNs + sentBatches[i]! * intervalNs;
      if (intendedNs > untilNs || !c.sendBatch(intendedNs)) break;
      sentBatches[i]!++;
      // The generator's own schedule lag: how late this batch left against its intended time.
      if (intendedNs >= lag.fromNs) recordNs(lag.hist, sentNs - intendedNs, lag.batch);
    }
  }
}

/** Polls `cond` every 2 ms until it holds or `timeoutMs` passes. */
export async function waitFor(cond: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!cond() && performance.now() < deadline) await Bun.sleep(2);
}
