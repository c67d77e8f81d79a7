/**
 * SharedArrayBuffer byte map of the `message-port` and `message-port-object`
 * queues (impl/queue/message-port*.ts). The records themselves travel through
 * MessagePorts; this buffer holds only the flow control that a strong
 * baseline adds to them: per-producer credits that bound the records in
 * flight, and a doorbell the consumer parks on.
 *
 *   byte 0          +-------------------------------------------------------+
 *   line 0          | DOORBELL | DOORBELL_SLEEPERS |                          |
 *   byte 64         +-------------------------------------------------------+
 *   line 1 + p      | CREDITS(p) | CREDIT_SLEEPERS(p) |   (one line per     |
 *                   |            |                    |    producer p)      |
 *                   +-------------------------------------------------------+
 *
 * Every cell is an Int32 touched only through Atomics.
 *
 * - DOORBELL: bumped by a producer after it posts, only when the consumer has
 *   registered in DOORBELL_SLEEPERS (impl/queue/wait.ts, ringDoorbell): a
 *   MessagePort has no way to block a thread synchronously, so the consumer
 *   polls its ports with receiveMessageOnPort and parks here between polls.
 * - CREDITS(p): records producer p may still put in flight (buffered in its
 *   unsent batch, posted, or received but not yet popped). Starts at
 *   capacitySlots. The producer takes the whole cell at once
 *   (Atomics.exchange to 0) when its local credit runs out; the consumer adds
 *   back what it pops (the publishing store of freed capacity) and wakes the
 *   producer if it parked in CREDIT_SLEEPERS(p).
 * - Each producer's cells sit on their own cache line so producers do not
 *   contend with one another.
 */

export const CACHE_LINE_BYTES = 64;
const CELLS_PER_LINE = CACHE_LINE_BYTES / 4;

export const DOORBELL = 0;
export const DOORBELL_SLEEPERS = 1;

/** Int32 index of producer `p`'s credit cell. */
export function creditsIdx(p: number): number {
  return (1 + p) * CELLS_PER_LINE;
}

/** Int32 index of producer `p`'s sleeper count (next to its credits). */
export function creditSleepersIdx(p: number): number {
  return (1 + p) * CELLS_PER_LINE + 1;
}

/** SharedArrayBuffer bytes for `producers` producers. */
export function flowControlBytes(producers: number): number {
  return (1 + producers) * CACHE_LINE_BYTES;
}

/** The message a producer posts after its last record (a string, so it never looks like a batch or an event). */
export const END_MARKER = "end-of-stream";
