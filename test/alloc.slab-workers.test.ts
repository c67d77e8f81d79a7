/**
 * Slab handles round-trip across real Workers: producer Workers acquire from
 * their share, write pattern records and post handle batches to a consumer
 * Worker, which checks every record (pattern payload, no duplicate, no gap, in
 * order per producer) and returns handles through the SAB return rings, some
 * of them held back and released out of order. Each share is far smaller than
 * the events sent, so slots are reused hundreds of times; at the end every
 * slot is free (live() == 0 in the producers, no live state byte in the slab).
 * Seeded (SEED env to replay); STRESS=1 runs 100x the events.
 */
import { expect, test } from "bun:test";
import { createSlab, type SlabHandle, slabLiveSlots } from "../impl/alloc/slab.ts";
import type { ConsumerResult } from "./workers/alloc-slab-consumer.ts";

const SEED = Number(process.env.SEED ?? 7_20261126);
/** STRESS=1 sends 100x the events (minutes, not seconds). */
const SCALE = process.env.STRESS === "1" ? 100 : 1;
const RUN_TIMEOUT_MS = 30_000 * SCALE;

type Reply = { type: string; message?: string; [k: string]: unknown };

function nextMessage(w: Worker, what: string): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`${what}: no reply in ${RUN_TIMEOUT_MS} ms`)),
      RUN_TIMEOUT_MS,
    );
    w.onmessage = (e: MessageEvent) => {
      clearTimeout(timer);
      const r = e.data as Reply;
      if (r.type === "error") reject(new Error(`${what}: ${r.message}`));
      else resolve(r);
    };
    w.onerror = (e) => {
      clearTimeout(timer);
      reject(new Error(`${what}: ${e.message}`));
    };
  });
}

async function roundTrip(handle: SlabHandle, events: number, seed: number) {
  const consumer = new Worker(new URL("./workers/alloc-slab-consumer.ts", import.meta.url));
  const producers = Array.from(
    { length: handle.producers },
    () => new Worker(new URL("./workers/alloc-slab-producer.ts", import.meta.url)),
  );
  try {
    const channels = producers.map(() => new MessageChannel());
    const result = nextMessage(consumer, "consumer");
    consumer.postMessage(
      { type: "start", handle, events, seed, ports: channels.map((ch) => ch.port2) },
      channels.map((ch) => ch.port2),
    );
    const sent = producers.map((w, i) => {
      const reply = nextMessage(w, `producer ${i}`);
      w.postMessage(
        {
          type: "start",
          handle,
          producerIndex: i,
          events,
          seed: seed + 1 + i,
          port: channels[i]!.port1,
        },
        [channels[i]!.port1],
      );
      return reply;
    });
    const sentReplies = await Promise.all(sent);
    const consumed = (await result) as unknown as ConsumerResult;
    const reports = await Promise.all(
      producers.map((w, i) => {
        const r = nextMessage(w, `producer ${i} report`);
        w.postMessage({ type: "report" });
        return r;
      }),
    );
    return { sentReplies, consumed, reports };
  } finally {
    consumer.terminate();
    for (const w of producers) w.terminate();
  }
}

for (const [producers, capacity, events] of [
  [1, 64, 20_000 * SCALE],
  [2, 64, 10_000 * SCALE],
] as const) {
  test(`${producers} producer worker(s), capacity ${capacity}, ${events} events each: no loss, no duplicate, slots reused, all free at the end (seed ${SEED})`, async () => {
    const handle = createSlab({ capacity, recordBytes: 64, producers });
    const { sentReplies, consumed, reports } = await roundTrip(handle, events, SEED);
    expect(consumed.firstError).toBeNull();
    expect(consumed.received).toEqual(new Array(producers).fill(events));
    expect(consumed.duplicates).toBe(0);
    expect(consumed.missing).toBe(0);
    expect(consumed.outOfOrder).toBe(0);
    for (const s of sentReplies) expect(s.sent).toBe(events);
    // Every slot went round many times: the share is far smaller than the events.
    expect(events / handle.slotsPerProducer).toBeGreaterThan(100);
    for (const r of reports) expect(r.live).toBe(0);
    expect(slabLiveSlots(handle)).toBe(0);
  });
}
