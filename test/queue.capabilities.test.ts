/**
 * The `deferredPublish` capability says what it means, for every registered
 * queue that declares it: with publishEveryRecords = 32, one single push stays
 * invisible to the consumer until flush() (or the 32nd push) publishes it.
 * Callers (bench/queue.bench.ts) pick the deferred-publication variant by this
 * capability, not by queue name, so a queue that declared it without
 * honouring it would be benchmarked under a false label.
 * How: in-thread, one producer end and the consumer end; tryPop before and
 * after flush(). No timing.
 */
import { describe, expect, test } from "bun:test";
import "../impl/index.ts";
import {
  createQueue,
  listImplementations,
  openConsumer,
  openProducer,
  RecordWords,
  writePatternRecord,
} from "../impl/core/index.ts";

const RECORD_BYTES = 64;
const PUBLISH_EVERY = 32;

describe("deferredPublish", () => {
  const deferred = listImplementations("queue").filter((r) => r.capabilities.deferredPublish);

  test("at least one registered queue declares it (the bench variant has a subject)", () => {
    expect(deferred.length).toBeGreaterThan(0);
  });

  for (const reg of deferred) {
    test(`${reg.name}: a single push is published by flush(), not before`, () => {
      const q = createQueue(reg.name, {
        capacitySlots: 256,
        recordBytes: RECORD_BYTES,
        waitStrategy: "park",
        publishEveryRecords: PUBLISH_EVERY,
      });
      const p = openProducer(q.producerHandle(0));
      const c = openConsumer(q.consumerHandle());
      const src = new Uint8Array(RECORD_BYTES);
      writePatternRecord(new RecordWords(src.buffer), 0, RECORD_BYTES, 0, 0, 0);
      const dst = new Uint8Array(RECORD_BYTES);
      expect(p.tryPush(src, 0)).toBe(true);
      expect(c.tryPop(dst, 0)).toBe(false);
      p.flush();
      expect(c.tryPop(dst, 0)).toBe(true);
      expect(dst).toEqual(src);
    });
  }
});
