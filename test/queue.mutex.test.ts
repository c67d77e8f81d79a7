/**
 * The `mutex` queue beyond the shared suites: seeded random batch sizes across
 * the ring's wrap point at every record size; partial and blocking batch pushes
 * on a full ring (timeouts); end of stream only after every producer closed;
 * consumers parked in other Workers woken by a push and by the last close; and
 * multi-producer multi-consumer runs across real Workers (4 producers, 2
 * consumers, every wait strategy, tiny and roomy rings) checked for no loss,
 * no duplication (a shared per-id counter), intact payloads and per-producer
 * order at each consumer. Timing checks are only sane upper bounds.
 */
import { describe, expect, test } from "bun:test";
import "../impl/index.ts";
import {
  checkPatternRecord,
  createQueue,
  END_OF_STREAM,
  openConsumer,
  openProducer,
  type QueueOptions,
  RECORD_SIZES,
  Rng,
  WAIT_STRATEGIES,
} from "../impl/core/index.ts";
import {
  collectMpmcReports,
  patternRecords,
  runMpmcWorkers,
  seenVerdict,
  spawnMpmcWorker,
} from "./support/mpmc-workers.ts";

const SEED = Number(process.env.SEED ?? 20261126);

function open(options: QueueOptions) {
  const q = createQueue("mutex", { waitStrategy: "park", ...options });
  return { q, p: openProducer(q.producerHandle(0)), c: openConsumer(q.consumerHandle()) };
}

describe("mutex queue (in-thread)", () => {
  test(`random batch sizes across the wrap point, every record size (seed ${SEED})`, () => {
    const rng = new Rng(SEED);
    for (const rb of RECORD_SIZES) {
      for (const cap of [1, 5, 7, 64]) {
        const { p, c } = open({ capacitySlots: cap, recordBytes: rb });
        const total = cap * 30 + 11;
        const src = patternRecords(rb, 0, total);
        const out = new Uint8Array(total * rb);
        let pushed = 0;
        let popped = 0;
        for (let step = 0; popped < total && step < total * 8; step++) {
          pushed += p.tryPushBatch(
            src,
            pushed * rb,
            Math.min(rng.intBetween(1, 9), total - pushed),
          );
          popped += c.tryPopBatch(out, popped * rb, Math.min(rng.intBetween(1, 9), total - popped));
        }
        expect(popped).toBe(total);
        expect(Buffer.compare(out, src)).toBe(0);
      }
    }
  });

  test("tryPushBatch fills what fits; pushBatch on a full ring returns a partial count at its timeout", () => {
    const { p, c } = open({ capacitySlots: 5 });
    const src = patternRecords(64, 0, 8);
    expect(p.tryPushBatch(src, 0, 8)).toBe(5);
    const t0 = performance.now();
    expect(p.pushBatch(src, 5 * 64, 3, 30)).toBe(0);
    const waitedMs = performance.now() - t0;
    expect(waitedMs).toBeGreaterThanOrEqual(25);
    expect(waitedMs).toBeLessThan(5000);
    const out = new Uint8Array(8 * 64);
    expect(c.tryPopBatch(out, 0, 2)).toBe(2);
    expect(p.pushBatch(src, 5 * 64, 3, 30)).toBe(2);
    expect(c.popBatch(out, 2 * 64, 6, 0)).toBe(5);
    expect(Buffer.compare(out.subarray(0, 7 * 64), src.subarray(0, 7 * 64))).toBe(0);
  });

  for (const waitStrategy of WAIT_STRATEGIES) {
    test(`popBatch on an empty ring times out with 0 (${waitStrategy})`, () => {
      const { c } = open({ capacitySlots: 4, waitStrategy, spinUs: 200 });
      const t0 = performance.now();
      expect(c.popBatch(new Uint8Array(64), 0, 1, 15)).toBe(0);
      expect(performance.now() - t0).toBeGreaterThanOrEqual(12);
      expect(performance.now() - t0).toBeLessThan(5000);
    });
  }

  test("END_OF_STREAM only once every producer closed and the ring drained; push after close throws", () => {
    const q = createQueue("mutex", { capacitySlots: 8, producers: 2, waitStrategy: "park" });
    const p0 = openProducer(q.producerHandle(0));
    const p1 = openProducer(q.producerHandle(1));
    const c = openConsumer(q.consumerHandle());
    const src = patternRecords(64, 0, 2);
    const out = new Uint8Array(4 * 64);
    expect(p0.tryPushBatch(src, 0, 2)).toBe(2);
    p0.close();
    expect(() => p0.tryPush(src, 0)).toThrow(/after close/);
    expect(c.popBatch(out, 0, 4, 0)).toBe(2);
    expect(c.popBatch(out, 0, 4, 10)).toBe(0); // producer 1 still open
    expect(c.ended()).toBe(false);
    p1.close();
    expect(c.ended()).toBe(true);
    expect(c.popBatch(out, 0, 4, 1000)).toBe(END_OF_STREAM);
    expect(() => q.producerHandle(2)).toThrow(/producerIndex/);
  });

  test("refuses a buffer span that does not fit", () => {
    const { p, c } = open({ capacitySlots: 4 });
    expect(() => p.tryPushBatch(new Uint8Array(100), 0, 2)).toThrow(RangeError);
    expect(() => c.tryPopBatch(new Uint8Array(64), 32, 1)).toThrow(RangeError);
  });
});

describe("mutex queue across Workers", () => {
  test("consumers parked in two Workers: woken by a push, then by the last close", async () => {
    const q = createQueue("mutex", { capacitySlots: 4, producers: 2, waitStrategy: "park" });
    const seen = new SharedArrayBuffer(2 * 4);
    const base = { seed: SEED, eventsPerProducer: 4, batchMax: 4, seen, timeoutMs: 20_000 };
    const consumers = [0, 1].map((i) =>
      spawnMpmcWorker({ ...base, seed: SEED + i, handle: q.consumerHandle() }),
    );
    await Bun.sleep(100); // let both park on "not empty"
    const p0 = openProducer(q.producerHandle(0));
    const p1 = openProducer(q.producerHandle(1));
    expect(p0.pushBatch(patternRecords(64, 0, 4), 0, 4, 1000)).toBe(4);
    p0.close();
    await Bun.sleep(100);
    const t0 = performance.now();
    p1.close(); // no records from producer 1: the close alone must end both waits
    const reports = await collectMpmcReports(consumers);
    expect(performance.now() - t0).toBeLessThan(5000);
    expect(reports.flatMap((r) => r.errors)).toEqual([]);
    expect(reports.reduce((s, r) => s + r.records, 0)).toBe(4);
    expect([...new Uint8Array(seen, 0, 4)]).toEqual([1, 1, 1, 1]);
  });

  // spin: busy-waiting Workers outnumbering 2 cores make progress about once
  // per scheduler time slice, so that run is smaller to stay within seconds.
  const runs: {
    waitStrategy: (typeof WAIT_STRATEGIES)[number];
    capacitySlots: number;
    producers: number;
    events: number;
  }[] = [
    { waitStrategy: "park", capacitySlots: 3, producers: 4, events: 20_000 },
    { waitStrategy: "spin-then-park", capacitySlots: 64, producers: 4, events: 20_000 },
    { waitStrategy: "spin", capacitySlots: 7, producers: 2, events: 500 },
  ];
  for (const { waitStrategy, capacitySlots, producers, events } of runs) {
    test(`${producers} producers, 2 consumers, ${waitStrategy}, capacity ${capacitySlots}: no loss, no duplicate, order kept`, async () => {
      const eventsPerProducer = process.env.STRESS === "1" ? events * 50 : events;
      const options: QueueOptions = { capacitySlots, producers, waitStrategy, spinUs: 20 };
      const q = createQueue("mutex", { recordBytes: 64, ...options });
      const seen = new SharedArrayBuffer(producers * eventsPerProducer);
      const init = { seed: SEED * 31, eventsPerProducer, batchMax: 16, seen, timeoutMs: 60_000 };
      const reports = await runMpmcWorkers(q, 2, init);
      expect(reports.flatMap((r) => r.errors)).toEqual([]);
      const produced = reports
        .filter((r) => r.role === "producer")
        .reduce((s, r) => s + r.records, 0);
      const consumed = reports
        .filter((r) => r.role === "consumer")
        .reduce((s, r) => s + r.records, 0);
      expect(produced).toBe(producers * eventsPerProducer);
      expect(consumed).toBe(produced);
      expect(seenVerdict(seen)).toBe("every id once");
    });
  }
});

// checkPatternRecord is used by the worker; imported here so a broken export fails this file early.
void checkPatternRecord;
