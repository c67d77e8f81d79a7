/**
 * The `message-port` (transferred batches) and `message-port-object` (one
 * cloned object per event) baselines beyond the shared suites: credits bound
 * the records in flight per producer (tryPush fails, pushBatch times out, a
 * pop gives credit back); batches are posted when full, by flush(), and by a
 * push that runs out of credit (so the records holding credit can earn it
 * back); the consumer drains producers round robin, one message each per
 * turn; END_OF_STREAM only after every producer's end marker; each end's
 * handle is handed out once (its MessagePorts transfer once); a consumer
 * parked in a Worker on the doorbell is woken by a flush and by the last
 * close; and 4 producer Workers with tiny credit and batches feed one
 * consumer Worker without loss, duplication or reordering. First, the two
 * platform facts the baseline stands on (the probe): Bun's
 * receiveMessageOnPort reads a global MessageChannel port synchronously, and
 * postMessage(buf, [buf]) transfers (the sender's buffer is detached).
 */
import { describe, expect, test } from "bun:test";
import { receiveMessageOnPort } from "node:worker_threads";
import "../impl/index.ts";
import {
  createQueue,
  END_OF_STREAM,
  openConsumer,
  openProducer,
  type QueueOptions,
  RecordWords,
} from "../impl/core/index.ts";
import {
  collectMpmcReports,
  patternRecords,
  runMpmcWorkers,
  seenVerdict,
  spawnMpmcWorker,
} from "./support/mpmc-workers.ts";

const SEED = Number(process.env.SEED ?? 20261126);
const RB = 64;
const NAMES = ["message-port", "message-port-object"] as const;

function patterns(producer: number, count: number) {
  return patternRecords(RB, producer, count);
}

function open(name: string, options: Partial<QueueOptions> & { capacitySlots: number }) {
  const q = createQueue(name, { recordBytes: RB, waitStrategy: "park", ...options });
  return { q, p: openProducer(q.producerHandle(0)), c: openConsumer(q.consumerHandle()) };
}

function idsOf(buf: Uint8Array, count: number): string[] {
  const w = new RecordWords(buf.buffer, buf.byteOffset, buf.byteLength);
  return Array.from({ length: count }, (_, i) => `${w.producerId(i * RB)}/${w.sequence(i * RB)}`);
}

describe("platform probe", () => {
  test("receiveMessageOnPort reads a MessageChannel port synchronously; a transferred ArrayBuffer is detached", () => {
    const ch = new MessageChannel();
    const buf = new ArrayBuffer(16);
    new Uint8Array(buf)[3] = 42;
    ch.port1.postMessage(buf, [buf]);
    expect(buf.byteLength).toBe(0); // moved, not copied
    ch.port1.postMessage("after");
    ch.port1.close(); // messages posted before close still arrive
    const got = receiveMessageOnPort(ch.port2);
    expect(got?.message).toBeInstanceOf(ArrayBuffer);
    expect(new Uint8Array(got!.message as ArrayBuffer)[3]).toBe(42);
    expect(receiveMessageOnPort(ch.port2)?.message).toBe("after");
    expect(receiveMessageOnPort(ch.port2)).toBeUndefined();
    ch.port2.close();
  });
});

for (const name of NAMES) {
  describe(`${name} (in-thread)`, () => {
    test("credits bound the records in flight; a pop gives credit back; pushBatch times out without credit", () => {
      const { p, c } = open(name, { capacitySlots: 5 });
      const src = patterns(0, 8);
      expect(p.tryPushBatch(src, 0, 8)).toBe(5);
      expect(p.tryPush(src, 5 * RB)).toBe(false);
      const t0 = performance.now();
      expect(p.pushBatch(src, 5 * RB, 3, 30)).toBe(0);
      expect(performance.now() - t0).toBeGreaterThanOrEqual(25);
      expect(performance.now() - t0).toBeLessThan(5000);
      const out = new Uint8Array(8 * RB);
      expect(c.tryPopBatch(out, 0, 2)).toBe(2);
      expect(p.pushBatch(src, 5 * RB, 3, 30)).toBe(2); // 2 credits came back; the 3rd waits out the timeout
      p.flush();
      expect(c.popBatch(out, 2 * RB, 6, 1000)).toBe(5);
      expect(Buffer.compare(out.subarray(0, 7 * RB), src.subarray(0, 7 * RB))).toBe(0);
    });

    test("END_OF_STREAM only after every producer's end marker; push after close throws; handles transfer once", () => {
      const q = createQueue(name, { capacitySlots: 8, producers: 2, waitStrategy: "park" });
      const p0 = openProducer(q.producerHandle(0));
      const p1 = openProducer(q.producerHandle(1));
      const c = openConsumer(q.consumerHandle());
      expect(() => q.producerHandle(0)).toThrow(/already taken/);
      expect(() => q.consumerHandle()).toThrow(/already taken/);
      const out = new Uint8Array(4 * RB);
      expect(p0.tryPushBatch(patterns(0, 2), 0, 2)).toBe(2);
      p0.close();
      expect(() => p0.tryPush(out, 0)).toThrow(/after close/);
      expect(c.popBatch(out, 0, 4, 1000)).toBe(2);
      expect(c.popBatch(out, 0, 4, 10)).toBe(0);
      expect(c.ended()).toBe(false);
      p1.close();
      expect(c.popBatch(out, 0, 4, 1000)).toBe(END_OF_STREAM);
      expect(c.ended()).toBe(true);
    });

    test("the consumer drains producers round robin, one message per producer per turn", () => {
      const q = createQueue(name, { capacitySlots: 64, producers: 3, batchRecords: 2 });
      const ps = [0, 1, 2].map((i) => openProducer(q.producerHandle(i)));
      const c = openConsumer(q.consumerHandle());
      for (const [i, p] of ps.entries()) {
        expect(p.tryPushBatch(patterns(i, 4), 0, 4)).toBe(4);
        p.flush();
      }
      const out = new Uint8Array(12 * RB);
      let n = 0;
      while (n < 12) n += c.tryPopBatch(out, n * RB, 1);
      // batch: 2 records per message; object: 1 record per message
      const expected =
        name === "message-port"
          ? ["0/0", "0/1", "1/0", "1/1", "2/0", "2/1", "0/2", "0/3", "1/2", "1/3", "2/2", "2/3"]
          : ["0/0", "1/0", "2/0", "0/1", "1/1", "2/1", "0/2", "1/2", "2/2", "0/3", "1/3", "2/3"];
      expect(idsOf(out, 12)).toEqual(expected);
    });
  });
}

describe("message-port batching (in-thread)", () => {
  test("full batches post at once; flush() posts a partial one; a push without credit posts what it holds", () => {
    const { p, c } = open("message-port", { capacitySlots: 6, batchRecords: 4 });
    const src = patterns(0, 7);
    const out = new Uint8Array(7 * RB);
    for (let i = 0; i < 3; i++) expect(p.tryPush(src, i * RB)).toBe(true);
    expect(c.tryPopBatch(out, 0, 7)).toBe(0); // 3 records wait in the unsent batch
    expect(p.tryPush(src, 3 * RB)).toBe(true); // the batch of 4 is full: posted
    expect(p.tryPushBatch(src, 4 * RB, 2)).toBe(2); // credit now spent: 4 in flight + 2 unsent
    expect(p.tryPush(src, 6 * RB)).toBe(false); // no credit: posts the 2 it holds
    expect(c.tryPopBatch(out, 0, 7)).toBe(6);
    expect(p.tryPush(src, 6 * RB)).toBe(true);
    p.flush();
    expect(c.tryPopBatch(out, 6 * RB, 1)).toBe(1);
    expect(Buffer.compare(out, src)).toBe(0);
  });
});

for (const name of NAMES) {
  describe(`${name} across Workers`, () => {
    test("a consumer parked in a Worker is woken by a flush, then by the last close", async () => {
      const q = createQueue(name, { capacitySlots: 8, producers: 2, waitStrategy: "park" });
      const seen = new SharedArrayBuffer(2 * 3);
      const consumer = spawnMpmcWorker({
        handle: q.consumerHandle(),
        seed: SEED,
        eventsPerProducer: 3,
        batchMax: 4,
        seen,
        timeoutMs: 20_000,
      });
      await Bun.sleep(100); // let it park on the doorbell
      const p0 = openProducer(q.producerHandle(0));
      const p1 = openProducer(q.producerHandle(1));
      expect(p0.tryPushBatch(patterns(0, 3), 0, 3)).toBe(3);
      p0.flush();
      await Bun.sleep(100);
      p0.close();
      const t0 = performance.now();
      p1.close();
      const [report] = await collectMpmcReports([consumer]);
      expect(performance.now() - t0).toBeLessThan(5000);
      expect(report!.errors).toEqual([]);
      expect(report!.records).toBe(3);
      expect([...new Uint8Array(seen)]).toEqual([1, 1, 1, 0, 0, 0]);
    });

    test("4 producer Workers, tiny credit and batches, one consumer Worker: no loss, no duplicate, order kept", async () => {
      const producers = 4;
      const eventsPerProducer = name === "message-port" ? 20_000 : 5_000;
      const q = createQueue(name, {
        capacitySlots: 3,
        batchRecords: 2,
        producers,
        recordBytes: RB,
        waitStrategy: "spin-then-park",
        spinUs: 20,
      });
      const seen = new SharedArrayBuffer(producers * eventsPerProducer);
      const init = { seed: SEED * 17, eventsPerProducer, batchMax: 8, seen, timeoutMs: 60_000 };
      const reports = await runMpmcWorkers(q, 1, init);
      expect(reports.flatMap((r) => r.errors)).toEqual([]);
      const consumed = reports.find((r) => r.role === "consumer")!.records;
      expect(consumed).toBe(producers * eventsPerProducer);
      expect(seenVerdict(seen)).toBe("every id once");
    });
  });
}
