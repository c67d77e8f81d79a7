/** Worker entry for isolation "worker": runs one PointJob and posts its PointReply. */
import { type PointJob, runJobHere } from "./isolate.ts";

declare const self: Worker;

self.onmessage = async (e: MessageEvent<PointJob>) => {
  // The parent terminates this Worker to abort; the signal here never fires.
  const reply = await runJobHere(e.data, new AbortController().signal);
  self.postMessage(reply);
};
