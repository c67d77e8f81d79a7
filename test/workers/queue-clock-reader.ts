/** Test worker for test/queue-clock.test.ts: replies with monoNowNs() read in this Worker. */
import { monoNowNs } from "../../impl/core/clock.ts";

declare const self: Worker;

self.onmessage = () => {
  self.postMessage(monoNowNs());
};
