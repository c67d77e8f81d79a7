/**
 * The closed-loop driver both systems of `raft-commit` are measured with:
 * `concurrency` loops, each with one request in flight (so `concurrency`
 * appends or puts are outstanding at once), each awaiting its commit before
 * sending the next, for `durationS`; commit latency of every request goes
 * into an HDR histogram (ns), from the call to the committed reply. Callers
 * run it once unmeasured first as the warm-up (JIT, connections, leader
 * caches), then read counters, then run the measured window.
 * A failed request is counted, not retried here (the client library retries
 * itself); the window still ends on time.
 */
import type { Histogram } from "hdr-histogram-js";
import { monoNowNs } from "../../impl/core/clock.ts";
import { newHistogram, recordNs, summarize } from "../../impl/pipeline/profiler.ts";

/** Named maximum: how long outstanding requests may take after the window ends, ms. */
export const DRAIN_TIMEOUT_MS = 15_000;
/** Named maximum on the errors kept as text (the count is exact). */
const MAX_ERROR_TEXTS = 5;

export interface LoopResult {
  /** Requests committed. */
  committed: number;
  failed: number;
  /** Window, s: from its start to the last reply (>= durationS). */
  windowS: number;
  latency: ReturnType<typeof summarize>;
  errors: string[];
}

/**
 * Runs `request` from `concurrency` loops for `durationS`; no request starts after it.
 * `request(loop, i)` sends one request and resolves when it is committed.
 */
export async function closedLoop(
  concurrency: number,
  durationS: number,
  request: (loop: number, i: number) => Promise<void>,
): Promise<LoopResult> {
  const hist: Histogram = newHistogram();
  const measureFrom = monoNowNs();
  const measureTo = measureFrom + durationS * 1e9;
  let committed = 0;
  let failed = 0;
  let lastReplyNs = measureFrom;
  const errors: string[] = [];
  const loop = async (id: number) => {
    for (let i = 0; ; i++) {
      const start = monoNowNs();
      if (start >= measureTo) return;
      try {
        await request(id, i);
        const end = monoNowNs();
        committed++;
        recordNs(hist, end - start);
        if (end > lastReplyNs) lastReplyNs = end;
      } catch (err) {
        failed++;
        if (errors.length < MAX_ERROR_TEXTS) errors.push((err as Error).message);
      }
    }
  };
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`requests still outstanding ${DRAIN_TIMEOUT_MS} ms after the window`)),
      durationS * 1e3 + DRAIN_TIMEOUT_MS,
    );
  });
  try {
    await Promise.race([
      Promise.all(Array.from({ length: concurrency }, (_, i) => loop(i))),
      deadline,
    ]);
  } finally {
    clearTimeout(timer);
  }
  return {
    committed,
    failed,
    windowS: Math.max(durationS, (lastReplyNs - measureFrom) / 1e9),
    latency: summarize(hist),
    errors,
  };
}
