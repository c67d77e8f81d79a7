/**
 * The one script every pipeline Worker runs: it registers the implementations
 * (register.ts) and starts the role named in its first message. An ingest
 * Worker then takes "stop"; the dispatcher and process managers run blocking
 * loops until their queues end.
 */
import "./register.ts";
import { runDispatcher } from "./dispatcher-worker.ts";
import { IngestWorker } from "./ingest-worker.ts";
import type { WorkerInit, WorkerReport } from "./messages.ts";
import { runProcessManager } from "./process-worker.ts";

declare const self: Worker;

const post = (r: WorkerReport) => self.postMessage(r);
let ingest: IngestWorker | null = null;

self.onmessage = (e: MessageEvent<WorkerInit | "stop">) => {
  const msg = e.data;
  if (msg === "stop") {
    ingest?.stop();
    return;
  }
  try {
    if (msg.role === "ingest") {
      ingest = new IngestWorker(msg, post);
      ingest.start();
    } else if (msg.role === "dispatcher") {
      runDispatcher(msg, post);
    } else {
      runProcessManager(msg, post);
    }
  } catch (err) {
    const index = msg.role === "dispatcher" ? 0 : msg.index;
    post({ type: "failed", role: msg.role, index, message: String((err as Error)?.stack ?? err) });
  }
};
