/**
 * Test worker for test/queue-wait.test.ts: after `delayMs`, publishes cell 0
 * (value) := 1 and wakes sleepers through notifySleepers, then reports.
 */
import { sleepSyncMs } from "../../impl/core/clock.ts";
import { notifySleepers } from "../../impl/queue/wait.ts";

declare const self: Worker;

self.onmessage = (e: MessageEvent<{ sab: SharedArrayBuffer; delayMs: number }>) => {
  const cells = new Int32Array(e.data.sab);
  sleepSyncMs(e.data.delayMs);
  Atomics.store(cells, 0, 1); // publishing store: the waiter's predicate reads cell 0
  notifySleepers(cells, 0, 1);
  self.postMessage("done");
};
