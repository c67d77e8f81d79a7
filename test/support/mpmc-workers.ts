/**
 * Helpers shared by test/queue.mutex.test.ts and test/queue.message-port.test.ts:
 * pattern records to push, spawning the MPMC test worker
 * (test/queue.mutex.worker.ts) with a queue end's handle, collecting its
 * reports (every worker is terminated, even on failure), and the
 * no-loss/no-duplicate verdict over the shared per-id `seen` counters.
 */
import { handleTransferables, RecordWords, writePatternRecord } from "../../impl/core/index.ts";
import type { MpmcWorkerInit, MpmcWorkerReport } from "../queue.mutex.worker.ts";

const WORKER_URL = new URL("../queue.mutex.worker.ts", import.meta.url).href;

/** `count` pattern records of `rb` bytes from `producer`, sequences 0..count-1. */
export function patternRecords(rb: number, producer: number, count: number): Uint8Array {
  const buf = new Uint8Array(count * rb);
  const words = new RecordWords(buf.buffer);
  for (let i = 0; i < count; i++) writePatternRecord(words, i * rb, rb, producer, i, 0);
  return buf;
}

export interface SpawnedMpmcWorker {
  worker: Worker;
  report: Promise<MpmcWorkerReport>;
}

/** Starts one MPMC test worker on `init.handle` (its MessagePorts, if any, are transferred). */
export function spawnMpmcWorker(init: MpmcWorkerInit): SpawnedMpmcWorker {
  const worker = new Worker(WORKER_URL);
  const report = new Promise<MpmcWorkerReport>((resolve, reject) => {
    worker.onmessage = (e: MessageEvent<MpmcWorkerReport>) => resolve(e.data);
    worker.onerror = (e) => reject(new Error(`worker error: ${e.message}`));
  });
  worker.postMessage(init, handleTransferables(init.handle));
  return { worker, report };
}

/** Every worker's report, in order; terminates them all whether or not one failed. */
export async function collectMpmcReports(
  spawned: SpawnedMpmcWorker[],
): Promise<MpmcWorkerReport[]> {
  try {
    return await Promise.all(spawned.map((s) => s.report));
  } finally {
    for (const s of spawned) s.worker.terminate();
  }
}

/** "every id once" when each `seen` counter is 1, else which id was seen how many times. */
export function seenVerdict(seen: SharedArrayBuffer): string {
  const counts = new Uint8Array(seen);
  const wrong = counts.findIndex((n) => n !== 1);
  return wrong === -1 ? "every id once" : `id ${wrong} seen ${counts[wrong]} times`;
}
