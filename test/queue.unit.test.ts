/**
 * In-thread unit tests of every registered queue (listImplementations("queue")):
 * one producer end and the consumer end opened in this thread, no Workers.
 * Checks: tryPush on a full queue returns false and writes nothing (also with
 * publishEveryRecords = 4, where flush() publishes), tryPop on an empty one
 * returns false, FIFO order and bytes survive many laps at every
 * small capacity, indices wrap past 2^32 (initialSequence near 2^32), spans
 * (where offered) write and read in place, close gives END_OF_STREAM only after
 * draining, and a blocking pop on an empty queue times out with 0. Payloads are
 * the deterministic pattern records of impl/core/record.ts.
 */
import { describe, expect, test } from "bun:test";
import "../impl/index.ts";
import {
  checkPatternRecord,
  createQueue,
  END_OF_STREAM,
  isSpanConsumer,
  isSpanProducer,
  listImplementations,
  openConsumer,
  openProducer,
  type QueueOptions,
  RecordWords,
  writePatternRecord,
} from "../impl/core/index.ts";

const RECORD_BYTES = 64;

function open(name: string, options: Partial<QueueOptions> & { capacitySlots: number }) {
  const q = createQueue(name, { recordBytes: RECORD_BYTES, waitStrategy: "park", ...options });
  return { p: openProducer(q.producerHandle(0)), c: openConsumer(q.consumerHandle()) };
}

function patternBuffer(count: number, firstSequence: number) {
  const buf = new Uint8Array(count * RECORD_BYTES);
  const words = new RecordWords(buf.buffer);
  for (let i = 0; i < count; i++)
    writePatternRecord(words, i * RECORD_BYTES, RECORD_BYTES, 0, firstSequence + i, 0);
  return { buf, words };
}

for (const reg of listImplementations("queue")) {
  describe(`queue ${reg.name} (in-thread)`, () => {
    test("full: tryPush returns false; empty: tryPop returns false", () => {
      for (const [cap, publishEveryRecords] of [
        [1, 1],
        [2, 4],
        [3, 1],
        [7, 4],
      ] as const) {
        const { p, c } = open(reg.name, { capacitySlots: cap, publishEveryRecords });
        const { buf } = patternBuffer(cap + 1, 0);
        const out = new Uint8Array(RECORD_BYTES);
        expect(c.tryPop(out, 0)).toBe(false);
        for (let i = 0; i < cap; i++) expect(p.tryPush(buf, i * RECORD_BYTES)).toBe(true);
        p.flush();
        expect(p.tryPush(buf, cap * RECORD_BYTES)).toBe(false);
        expect(p.tryPushBatch(buf, 0, 1)).toBe(0);
        for (let i = 0; i < cap; i++) {
          expect(c.tryPop(out, 0)).toBe(true);
          const words = new RecordWords(out.buffer);
          expect(words.sequence(0)).toBe(i);
          expect(checkPatternRecord(words, 0, RECORD_BYTES)).toBeNull();
        }
        expect(c.tryPop(out, 0)).toBe(false);
      }
    });

    test("FIFO over many laps with indices wrapping past 2^32", () => {
      for (const cap of [1, 2, 3, 7, 64]) {
        const { p, c } = open(reg.name, { capacitySlots: cap, initialSequence: 2 ** 32 - 5 });
        const total = cap * 20 + 3;
        const { buf } = patternBuffer(total, 0);
        const out = new Uint8Array(total * RECORD_BYTES);
        const outWords = new RecordWords(out.buffer);
        let pushed = 0;
        let popped = 0;
        for (let step = 0; step < total * 4 && popped < total; step++) {
          pushed += p.tryPushBatch(
            buf,
            pushed * RECORD_BYTES,
            Math.min(1 + (step % 3), total - pushed),
          );
          p.flush();
          popped += c.tryPopBatch(
            out,
            popped * RECORD_BYTES,
            Math.min(1 + (step % 2), total - popped),
          );
        }
        expect(popped).toBe(total);
        for (let i = 0; i < total; i++) {
          expect(outWords.sequence(i * RECORD_BYTES)).toBe(i);
          expect(checkPatternRecord(outWords, i * RECORD_BYTES, RECORD_BYTES)).toBeNull();
        }
      }
    });

    test("close: END_OF_STREAM only after draining; blocking pop times out with 0", () => {
      const { p, c } = open(reg.name, { capacitySlots: 4 });
      const { buf } = patternBuffer(2, 0);
      const out = new Uint8Array(2 * RECORD_BYTES);
      out.fill(0xa5);
      const t0 = performance.now();
      expect(c.popBatch(out, 0, 2, 20)).toBe(0);
      expect(performance.now() - t0).toBeLessThan(5000);
      expect(out.every((b) => b === 0xa5)).toBe(true); // a timed-out pop writes nothing
      expect(c.ended()).toBe(false);
      expect(p.tryPushBatch(buf, 0, 2)).toBe(2);
      p.close();
      p.close(); // idempotent
      expect(c.popBatch(out, 0, 2, 1000)).toBe(2);
      expect(c.popBatch(out, 0, 2, 1000)).toBe(END_OF_STREAM);
      expect(c.ended()).toBe(true);
    });

    test.skipIf(!reg.capabilities.spans)("spans: reserve/commit and peek/release in place", () => {
      const { p, c } = open(reg.name, { capacitySlots: 7, initialSequence: 2 ** 32 - 3 });
      if (!isSpanProducer(p) || !isSpanConsumer(c))
        throw new Error("spans capability without span ends");
      let seq = 0;
      let next = 0;
      for (let lap = 0; lap < 30; lap++) {
        const n = p.reserve(5);
        expect(n).toBeGreaterThan(0);
        const w = new RecordWords(p.spanBytes.buffer);
        for (let i = 0; i < n; i++)
          writePatternRecord(w, p.spanOffset + i * RECORD_BYTES, RECORD_BYTES, 0, seq++, 0);
        p.commit(n);
        const m = c.peek(3);
        expect(m).toBeGreaterThan(0);
        const r = new RecordWords(c.spanBytes.buffer);
        for (let i = 0; i < m; i++) {
          expect(r.sequence(c.spanOffset + i * RECORD_BYTES)).toBe(next++);
          expect(checkPatternRecord(r, c.spanOffset + i * RECORD_BYTES, RECORD_BYTES)).toBeNull();
        }
        c.release(m);
        while (c.peek(7) > 0) {
          const k = c.peek(7);
          for (let i = 0; i < k; i++)
            expect(r.sequence(c.spanOffset + i * RECORD_BYTES)).toBe(next++);
          c.release(k);
        }
      }
      expect(next).toBe(seq);
      expect(() => p.commit(1)).toThrow();
    });
  });
}
