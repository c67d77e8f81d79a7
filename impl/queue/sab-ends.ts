/**
 * Handles of the queues whose whole shared state is one SharedArrayBuffer
 * (`spsc`, `fan-in`): every end's handle is `{kind, role, producerIndex,
 * config, state: {sab}}`, so it transfers to any Worker as is, and any number
 * of ends may be opened from it (the queue's own rules say which are safe).
 */
import { assert } from "../core/assert.ts";
import type { QueueConfig, QueueEndHandle, QueueEnds } from "../core/contracts.ts";

/** The QueueEnds of a queue named `kind` living in `sab`; producerIndex is checked against config.producers. */
export function sabQueueEnds(kind: string, config: QueueConfig, sab: SharedArrayBuffer): QueueEnds {
  const handle = (role: "producer" | "consumer", producerIndex: number): QueueEndHandle => ({
    kind,
    role,
    producerIndex,
    config,
    state: { sab },
  });
  return {
    config,
    producerHandle(producerIndex: number) {
      assert(
        Number.isInteger(producerIndex) && producerIndex >= 0 && producerIndex < config.producers,
        () => `producerIndex ${producerIndex} outside [0, ${config.producers})`,
      );
      return handle("producer", producerIndex);
    },
    consumerHandle: () => handle("consumer", 0),
  };
}

/** The SharedArrayBuffer a handle made by sabQueueEnds carries (asserted: handles cross threads). */
export function sabOf(handle: QueueEndHandle): SharedArrayBuffer {
  const sab = handle.state.sab;
  assert(sab instanceof SharedArrayBuffer, `${handle.kind} handle carries no SharedArrayBuffer`);
  return sab;
}
