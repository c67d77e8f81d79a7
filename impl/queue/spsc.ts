/**
 * `spsc`: a lock-free single-producer single-consumer ring in one
 * SharedArrayBuffer (layout: spsc-layout.ts; ends: spsc-ring.ts).
 *
 * capacitySlots is exact (1, 2, 3, 7 ... work); storage rounds up to a power
 * of two. Spans (reserve/commit, peek/release) write and read in place.
 * multiProducer: false. The registry refuses producers > 1 unless
 * unsafe: true; then every producer end opens the same ring and races on
 * TAIL (the misuse experiment), and the consumer still ends once all of them
 * have closed.
 */
import type { QueueConfig, QueueEnds } from "../core/contracts.ts";
import { register } from "../core/registry.ts";
import { sabOf, sabQueueEnds } from "./sab-ends.ts";
import { initRing, ringBytes } from "./spsc-layout.ts";
import { RingConsumer, RingProducer } from "./spsc-ring.ts";

export const SPSC_NAME = "spsc";

export function createSpsc(config: QueueConfig): QueueEnds {
  const sab = new SharedArrayBuffer(ringBytes(config.capacitySlots, config.recordBytes));
  initRing(
    sab,
    0,
    config.capacitySlots,
    config.recordBytes,
    config.producers,
    config.initialSequence,
  );
  return sabQueueEnds(SPSC_NAME, config, sab);
}

register({
  kind: "queue",
  name: SPSC_NAME,
  description:
    "lock-free single-producer single-consumer ring in a SharedArrayBuffer; cached indices, batch publication, spans",
  capabilities: {
    multiProducer: false,
    multiConsumer: false,
    blocking: true,
    spans: true,
    deferredPublish: true,
  },
  create: createSpsc,
  openProducer: (h) => new RingProducer(sabOf(h), 0, h.config),
  openConsumer: (h) => new RingConsumer(sabOf(h), 0, h.config),
});
