/**
 * IndexTable (impl/raft/sim/index-table.ts), the safety checker's per-index
 * memory: records set at scattered indexes read back exactly after the table
 * grows, unset indexes read as absent, indexes past the dense limit go to its
 * map and still read back, and a value that is not an unsigned 32-bit integer
 * is refused instead of silently wrapped (which could hide a mismatch). Then
 * the checker's rarer paths through it: Log Matching at an index's second
 * term (kept apart from the first term's record), and at an index far beyond
 * the dense range, each with a breach that must fire.
 */
import { describe, expect, test } from "bun:test";
import { SafetyChecker, SafetyViolation } from "../impl/raft/sim/checker.ts";
import { IndexTable } from "../impl/raft/sim/index-table.ts";
import type { Entry } from "../impl/raft/types.ts";

describe("IndexTable", () => {
  test("scattered records read back after growth; unset indexes are absent", () => {
    const t = new IndexTable();
    const idx = [1, 2, 1023, 1024, 5000, 70_000];
    for (const i of idx) t.set(i, i * 3, 0xffffffff - i, i % 7);
    for (const i of idx) {
      expect(t.has(i)).toBe(true);
      expect(t.field(i, 0)).toBe(i * 3);
      expect(t.field(i, 1)).toBe(0xffffffff - i);
      expect(t.field(i, 2)).toBe(i % 7);
      expect([t.f0At(i), t.f1At(i)]).toEqual([i * 3, 0xffffffff - i]);
    }
    for (const i of [0, 3, 1025, 69_999, 70_001, 10_000_000]) expect(t.has(i)).toBe(false);
    t.set(2, 9, 8, 7); // overwrite
    expect([t.field(2, 0), t.field(2, 1), t.field(2, 2)]).toEqual([9, 8, 7]);
  });

  test("indexes past the dense range are kept too", () => {
    const t = new IndexTable();
    const far = 2 ** 24 + 5;
    expect(t.has(far)).toBe(false);
    t.set(far, 4, 5, 6);
    expect(t.has(far)).toBe(true);
    expect([t.field(far, 0), t.field(far, 1), t.field(far, 2)]).toEqual([4, 5, 6]);
    expect([t.f0At(far), t.f1At(far)]).toEqual([4, 5]);
    expect(t.has(far + 1)).toBe(false);
  });

  test("a value outside u32 is refused", () => {
    const t = new IndexTable();
    expect(() => t.set(1, -1, 0, 0)).toThrow(RangeError);
    expect(() => t.set(1, 0, 2 ** 32, 0)).toThrow(RangeError);
    expect(() => t.set(1, 0, 0, 1.5)).toThrow(RangeError);
    expect(t.has(1)).toBe(false);
  });
});

const ent = (index: number, term: number, text = `e${index}`): Entry => ({
  index,
  term,
  type: 0,
  data: new TextEncoder().encode(text),
});

/** A LogView in which every index up to `last` has term `termBefore` (the entries' predecessors). */
const flatView = (last: number, termBefore: number) => ({
  lastIndex: last,
  snapshotIndex: 0,
  snapshotTerm: 0,
  termAt: (i: number) => (i === 0 ? 0 : termBefore),
});

function expectLogMatching(fn: () => void): void {
  let err: unknown;
  try {
    fn();
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(SafetyViolation);
  expect((err as SafetyViolation).property).toBe("Log Matching");
}

describe("SafetyChecker through IndexTable", () => {
  test("a second term at an index has its own record, and a breach of it fires", () => {
    const c = new SafetyChecker(5);
    c.observeAppend(0, [ent(2, 1, "a")], flatView(2, 1)); // first term at index 2
    c.observeAppend(1, [ent(2, 3, "b")], flatView(2, 1)); // another term there: legal
    c.observeAppend(2, [ent(2, 3, "b")], flatView(2, 1)); // the same (2, 3): agrees
    c.observeAppend(3, [ent(2, 1, "a")], flatView(2, 1)); // the same (2, 1): agrees
    expectLogMatching(() => c.observeAppend(4, [ent(2, 3, "other")], flatView(2, 1)));
    expectLogMatching(() => c.observeAppend(4, [ent(2, 3, "b")], flatView(2, 2)));
    expectLogMatching(() => c.observeAppend(4, [ent(2, 1, "other")], flatView(2, 1)));
  });

  test("an index beyond the dense range is checked the same way", () => {
    const c = new SafetyChecker(5);
    const i = 2 ** 24 + 9;
    c.observeAppend(0, [ent(i, 2, "x")], flatView(i, 2));
    c.observeAppend(1, [ent(i, 2, "x")], flatView(i, 2));
    expectLogMatching(() => c.observeAppend(2, [ent(i, 2, "y")], flatView(i, 2)));
  });
});
