/**
 * Helpers shared by test/queue.mutex.test.ts and test/queue.message-port.test.ts:
 * pattern records to push, spawning the MPMC test worker
 * (test/queue.mutex.worker.ts) with a queue end's handle, collecting its
 * reports (every worker is terminated, even on failure), a whole MPMC run
 * (one worker per end), and the
 * no-loss/no-duplicate verdict over the shared per-id `seen` counters.
 */
import {
  handleTransferables,
  type QueueEnds,
  RecordWords,
  writePatternRecord,
} from "../../impl/core/index.ts";
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

/**
 * Runs one worker per producer end of `q` (producerHandle(0..producers-1)),
 * then `consumers` workers on consumerHandle(); worker i gets seed
 * `init.seed + i`. Returns the reports in that order.
 */
export function runMpmcWorkers(
  q: QueueEnds,
  consumers: number,
  init: Omit<MpmcWorkerInit, "handle">,
): Promise<MpmcWorkerReport[]> {
  const handles = [
    ...Array.from({ length: q.config.producers }, (_, i) => q.producerHandle(i)),
    ...Array.from({ length: consumers }, () => q.consumerHandle()),
  ];
  return collectMpmcReports(
    handles.map((handle, i) => spawnMpmcWorker({ ...init, seed: init.seed + i, handle })),
  );
}

/** "every id once" when each `seen` counter is 1, else which id was seen how many times. */
export function seenVerdict(seen: SharedArrayBuffer): string {
  const counts = new Uint8Array(seen);
  const wrong = counts.findIndex((n) => n !== 1);
  return wrong === -1 ? "every id once" : `id ${wrong} seen ${counts[wrong]} times`;
}
