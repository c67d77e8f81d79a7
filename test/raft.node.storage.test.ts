/**
 * Checks MemoryStorage (impl/raft/storage.ts), the Storage the node reads its
 * persisted log through (Figure 2 "persistent state", §7 compaction):
 * appends that overwrite a conflicting tail (§5.3), the byte cap on
 * entries(), compaction keeping the term of the last compacted entry, and
 * CompactedError for indexes a snapshot replaced.
 */
import { describe, expect, test } from "bun:test";
import { CompactedError, MemoryStorage } from "../impl/raft/storage.ts";
import type { Entry } from "../impl/raft/types.ts";

const ent = (index: number, term: number, size = 1): Entry => ({
  index,
  term,
  type: 0,
  data: new Uint8Array(size).fill(index),
});

describe("MemoryStorage", () => {
  test("an empty log has index 0 / term 0 as its sentinel", () => {
    const s = new MemoryStorage([1, 2, 3]);
    expect([s.firstIndex(), s.lastIndex(), s.term(0)]).toEqual([1, 0, 0]);
    expect(s.initialState()).toEqual({
      hardState: { term: 0, vote: -1, commit: 0 },
      peers: [1, 2, 3],
    });
  });

  test("§5.3: appending at an existing index replaces the tail from there", () => {
    const s = new MemoryStorage();
    s.append([ent(1, 1), ent(2, 1), ent(3, 1)]);
    s.append([ent(2, 2)]);
    expect(s.lastIndex()).toBe(2);
    expect(s.entries(1, 3).map((e) => e.term)).toEqual([1, 2]);
    expect(() => s.append([ent(5, 2)])).toThrow(/gap/);
  });

  test("entries() honours maxBytes but always returns at least one entry", () => {
    const s = new MemoryStorage();
    s.append([ent(1, 1, 100), ent(2, 1, 100), ent(3, 1, 100)]);
    expect(s.entries(1, 4, 1).length).toBe(1);
    expect(s.entries(1, 4, 2 * 124).length).toBe(2);
    expect(s.entries(1, 4).length).toBe(3);
  });

  test("§7: compaction keeps the snapshot's term and refuses compacted indexes", () => {
    const s = new MemoryStorage([1]);
    s.append([ent(1, 1), ent(2, 2), ent(3, 3), ent(4, 3)]);
    expect(() => s.compact(2)).toThrow(/snapshot/); // no snapshot covers it yet
    const snap = s.createSnapshot(3, new Uint8Array([9]));
    expect([snap.index, snap.term, snap.peers]).toEqual([3, 3, [1]]);
    s.compact(3);
    expect([s.firstIndex(), s.lastIndex(), s.term(3)]).toEqual([4, 4, 3]);
    expect(() => s.term(2)).toThrow(CompactedError);
    expect(() => s.entries(3, 5)).toThrow(CompactedError);
    expect(s.entries(4, 5)).toEqual([ent(4, 3)]);
  });

  test("§7: applying a newer snapshot replaces the whole log; an older one is ignored", () => {
    const s = new MemoryStorage([1]);
    s.append([ent(1, 1), ent(2, 1)]);
    s.applySnapshot({ index: 10, term: 4, peers: [1, 2], data: new Uint8Array() });
    expect([s.firstIndex(), s.lastIndex(), s.term(10)]).toEqual([11, 10, 4]);
    expect(s.initialState().peers).toEqual([1, 2]);
    s.applySnapshot({ index: 5, term: 2, peers: [1], data: new Uint8Array() });
    expect(s.snapshot().index).toBe(10);
    s.append([ent(9, 3), ent(10, 4), ent(11, 4)]); // at or below the snapshot: skipped
    expect([s.lastIndex(), s.term(11)]).toEqual([11, 4]);
  });
});
