/**
 * Test worker for test/queue-wait.test.ts: after `delayMs`, publishes and wakes
 * the waiter. Plain: cell 0 (value) := 1, then notifySleepers(value 0,
 * sleepers 1). Armed doorbell: cell 3 (data) := 1, then ringDoorbell(bell 0,
 * sleepers 1, armed 2) `rings` times.
 */
import { sleepSyncMs } from "../../impl/core/clock.ts";
import { notifySleepers, ringDoorbell } from "../../impl/queue/wait.ts";

declare const self: Worker;

interface Msg {
  sab: SharedArrayBuffer;
  delayMs: number;
  armed?: boolean;
  rings?: number;
}

self.onmessage = (e: MessageEvent<Msg>) => {
  const cells = new Int32Array(e.data.sab);
  sleepSyncMs(e.data.delayMs);
  if (e.data.armed) {
    Atomics.store(cells, 3, 1); // publishing store: the waiter's predicate reads cell 3
    for (let i = 0; i < (e.data.rings ?? 1); i++) ringDoorbell(cells, 0, 1, 2);
  } else {
    Atomics.store(cells, 0, 1); // publishing store: the waiter's predicate reads cell 0
    notifySleepers(cells, 0, 1);
  }
  self.postMessage("done");
};
