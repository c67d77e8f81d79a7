/**
 * Checks the workload's consumer-side checker (impl/queue/workload-check.ts)
 * on hand-made record streams, since every contract run and the spsc-misuse
 * experiment rely on its counts: in-order streams are clean; a late record is
 * one reorder; repeats are duplicates whether they fall below the in-order
 * prefix or among records seen early; ids out of range and damaged payloads
 * are corrupted and not counted as seen; distinct counts per producer add up.
 */
import { expect, test } from "bun:test";
import { RecordWords, writePatternRecord } from "../impl/core/record.ts";
import { WorkloadChecker } from "../impl/queue/workload-check.ts";

const RB = 64;

function feed(checker: WorkloadChecker, ids: [number, number][], damage?: number): void {
  const buf = new Uint8Array(ids.length * RB);
  const words = new RecordWords(buf.buffer);
  ids.forEach(([p, s], i) => {
    writePatternRecord(words, i * RB, RB, p, s, 1000);
  });
  if (damage !== undefined) buf[damage * RB + 40]! ^= 0xff;
  checker.checkRecords(words, 0, ids.length);
}

const seqs = (p: number, ...s: number[]): [number, number][] => s.map((x) => [p, x]);

test("an in-order stream from two producers is clean", () => {
  const c = new WorkloadChecker(2, 100, RB, true, true);
  const ids: [number, number][] = [];
  for (let i = 0; i < 100; i++) ids.push([0, i], [1, i]);
  feed(c, ids);
  const s = c.summary();
  expect([s.duplicated, s.reordered, s.corrupted]).toEqual([0, 0, 0]);
  expect(s.distinctPerProducer).toEqual([100, 100]);
  expect(s.eventsReceived).toBe(200);
  expect(s.latencyNs).not.toBeNull();
});

test("a late record is one reorder; gaps stay missing", () => {
  const c = new WorkloadChecker(1, 10, RB, false, false);
  feed(c, seqs(0, 0, 2, 3, 1, 5));
  const s = c.summary();
  expect(s.reordered).toBe(1);
  expect(s.duplicated).toBe(0);
  expect(s.distinctPerProducer).toEqual([5]); // 4 and 6..9 never came: the driver counts them lost
});

test("duplicates below the in-order prefix and among early records", () => {
  const c = new WorkloadChecker(1, 10, RB, false, false);
  feed(c, seqs(0, 0, 1, 1, 4, 4, 2, 3, 4, 0));
  const s = c.summary();
  // 1 again (prefix), 4 again (early bitset), 4 again after 2,3 closed the gap (prefix), 0 again
  expect(s.duplicated).toBe(4);
  expect(s.reordered).toBe(2); // 2 and 3 arrived after 4
  expect(s.distinctPerProducer).toEqual([5]);
  expect(s.eventsReceived).toBe(9);
});

test("out-of-range ids and damaged payloads are corrupted, not seen", () => {
  const c = new WorkloadChecker(2, 10, RB, true, false);
  feed(
    c,
    [
      [0, 0],
      [5, 1],
      [0, 10],
      [1, 0],
      [0, 1],
    ],
    4,
  );
  const s = c.summary();
  expect(s.corrupted).toBe(3);
  expect(s.distinctPerProducer).toEqual([1, 1]);
  expect(s.errors.length).toBe(3);
  expect(s.eventsReceived).toBe(
    s.distinctPerProducer[0]! + s.distinctPerProducer[1]! + s.corrupted + s.duplicated,
  );
});

test("latency sampling records exactly the sequences that are multiples of the rate", () => {
  const all = new WorkloadChecker(2, 64, RB, false, true);
  const sampled = new WorkloadChecker(2, 64, RB, false, true, 16);
  const ids: [number, number][] = [];
  for (let i = 0; i < 64; i++) ids.push([0, i], [1, i]);
  feed(all, ids);
  feed(sampled, ids);
  expect(all.summary().latencySamples).toBe(128);
  expect(sampled.summary().latencySamples).toBe(8); // sequences 0, 16, 32, 48 of each producer
  expect(sampled.summary().latencyNs).not.toBeNull();
  expect(sampled.summary().eventsReceived).toBe(128); // sampling never skips the id checks
});
