/**
 * The log linearizability checker (impl/raft/sim/log-linearizability.ts) on
 * hand-made histories of an append-only log (appends return their index,
 * reads return the log up to an index): legal concurrent histories pass,
 * and each way a history can break the sequential log spec (linearizability,
 * Herlihy & Wing 1990) is found and named: a read that is not a prefix, one
 * index holding two appends, an append at two indexes, an append ordered
 * after one that returned before it was called, a stale read. Also a 100k
 * operation history decides (no search).
 */
import { expect, test } from "bun:test";
import { checkLogHistory, type LogOperation } from "../impl/raft/sim/log-linearizability.ts";

const app = (id: string, index: number | null, callMs: number, returnMs: number): LogOperation => ({
  kind: "append",
  id,
  index,
  callMs,
  returnMs,
});
const read = (
  upToIndex: number,
  entries: [number, string][],
  callMs: number,
  returnMs: number,
): LogOperation => ({
  kind: "read",
  upToIndex,
  entries: entries.map(([index, id]) => ({ index, id })),
  callMs,
  returnMs,
});

test("concurrent appends in either index order, reads of prefixes, an unknown outcome: ok", () => {
  const h = [
    app("a", 3, 0, 10), // overlaps b: either order is legal
    app("b", 2, 1, 9),
    read(
      3,
      [
        [2, "b"],
        [3, "a"],
      ],
      11,
      12,
    ),
    app("c", null, 13, Number.POSITIVE_INFINITY), // seen by a later read
    app("d", null, 13, Number.POSITIVE_INFINITY), // never seen: dropped
    read(
      5,
      [
        [2, "b"],
        [3, "a"],
        [5, "c"],
      ],
      20,
      21,
    ),
    read(
      3,
      [
        [2, "b"],
        [3, "a"],
      ],
      19,
      22,
    ), // overlaps c's effect: may see the older prefix
  ];
  expect(checkLogHistory(h)).toEqual({ result: "ok", appends: 3, reads: 3 });
});

test("violations are found and named", () => {
  const cases: [LogOperation[], RegExp][] = [
    [[app("a", 1, 0, 1), app("b", 2, 2, 3), read(2, [[2, "b"]], 4, 5)], /lacks a at index 1/],
    [[app("a", 1, 0, 1), app("b", 1, 2, 3)], /index 1 holds a and b/],
    [[app("a", 1, 0, 1), read(2, [[2, "a"]], 2, 3)], /a at index 1 and 2/],
    [[app("a", 2, 0, 1), app("b", 1, 2, 3)], /returned at 1 ms, before append b/],
    [[app("a", 1, 0, 1), read(0, [], 2, 3)], /returned at 1 ms, before read up to 0/],
  ];
  for (const [h, why] of cases) {
    const r = checkLogHistory(h);
    expect(r.result).toBe("violation");
    expect(r.result === "violation" ? r.detail : "").toMatch(why);
  }
});

test("a 100k-operation history decides", () => {
  const h: LogOperation[] = [];
  const entries: [number, string][] = [];
  for (let i = 1; i <= 100_000; i++) {
    h.push(app(`x${i}`, i, i, i + 3)); // 4 in flight at a time
    entries.push([i, `x${i}`]);
  }
  h.push(read(100_000, entries, 100_010, 100_011));
  expect(checkLogHistory(h)).toEqual({ result: "ok", appends: 100_000, reads: 1 });
});
