/**
 * Simulator building blocks, without a Raft node: the virtual-time event
 * queue pops in (time, sequence) order, keeping each event's kind tag, also
 * with removals interleaved with pushes and with random mixes of every
 * method after take() (which defers the removal); the seeded network is reproducible,
 * honours drop/duplicate rates, partitions and disconnects; and the safety
 * checker (Raft paper Figure 3 properties, §5.2-§5.4) fires on hand-corrupted
 * observations and stays quiet on consistent ones (a checker that cannot
 * fail would be a defect). Payload hashes cached on the array equal a fresh
 * hash of the same bytes, and a frozen payload is hashed without caching.
 * A SimHost's unsynced hard-state writes (kept as the latest one only) reach
 * the durable copy at the next fsync, after the log writes queued with them,
 * and a crash before it loses them all; the host's log view (what the
 * checker reads) gives terms only for the snapshot's index and the entries.
 */
import { describe, expect, test } from "bun:test";
import { Rng } from "../impl/core/rng.ts";
import { type LogView, SafetyChecker, SafetyViolation } from "../impl/raft/sim/checker.ts";
import { EventQueue } from "../impl/raft/sim/events.ts";
import { SimHost } from "../impl/raft/sim/host.ts";
import { SimNetwork } from "../impl/raft/sim/network.ts";
import { payloadHash } from "../impl/raft/sim/payload-hash.ts";
import type { Entry, HardState, Ready } from "../impl/raft/types.ts";

describe("EventQueue", () => {
  test("pops by time, ties in push order, across 10,000 random pushes", () => {
    const rng = new Rng(1);
    const q = new EventQueue<number>();
    const pushed: Array<{ t: number; i: number }> = [];
    for (let i = 0; i < 10_000; i++) {
      const t = rng.int(100); // many ties on purpose
      q.push(t, i);
      pushed.push({ t, i });
    }
    pushed.sort((a, b) => a.t - b.t || a.i - b.i);
    const popped: number[] = [];
    for (let e = q.pop(); e !== undefined; e = q.pop()) popped.push(e.payload);
    expect(popped).toEqual(pushed.map((p) => p.i));
  });

  test("take() and peekKind() follow the same order and keep each event's kind", () => {
    const rng = new Rng(2);
    const q = new EventQueue<number>();
    expect([q.peekTimeMs(), q.peekKind()]).toEqual([Number.POSITIVE_INFINITY, -1]);
    const pushed: Array<{ t: number; i: number }> = [];
    for (let i = 0; i < 2_000; i++) {
      const t = rng.int(50);
      q.push(t, i, i % 4);
      pushed.push({ t, i });
      if (i % 3 === 0) {
        // Interleave removals with pushes, as the simulator does.
        const min = pushed.reduce((a, b) => (b.t < a.t || (b.t === a.t && b.i < a.i) ? b : a));
        expect([q.peekTimeMs(), q.peekKind()]).toEqual([min.t, min.i % 4]);
        expect(q.take()).toBe(min.i);
        pushed.splice(pushed.indexOf(min), 1);
      }
    }
    pushed.sort((a, b) => a.t - b.t || a.i - b.i);
    const rest: number[] = [];
    while (q.size > 0) {
      expect(q.peekKind()).toBe(pushed[rest.length]!.i % 4);
      rest.push(q.take());
    }
    expect(rest).toEqual(pushed.map((p) => p.i));
  });

  test("a taken event is gone at once for every method, whatever follows take()", () => {
    // take() leaves the event in the heap until the next call (a push then takes its place):
    // random mixes of every method must behave as a plain list sorted by (time, push order).
    const rng = new Rng(3);
    const q = new EventQueue<number>();
    let ref: Array<{ t: number; seq: number; p: number }> = [];
    const takeFirst = () => {
      const min = ref.reduce((x, y) => (y.t < x.t || (y.t === x.t && y.seq < x.seq) ? y : x));
      ref.splice(ref.indexOf(min), 1);
      return min;
    };
    for (let step = 0; step < 5_000; step++) {
      const op = rng.int(10);
      if (op < 4 || ref.length === 0) {
        const t = rng.int(30);
        ref.push({ t, seq: q.push(t, step, step % 3), p: step });
      } else if (op < 7) {
        expect(q.take()).toBe(takeFirst().p);
      } else if (op === 7) {
        const e = q.pop();
        const min = takeFirst();
        expect([e?.timeMs, e?.seq, e?.payload, e?.kind]).toEqual([
          min.t,
          min.seq,
          min.p,
          min.p % 3,
        ]);
      } else if (op === 8) {
        const min = ref.reduce((x, y) => (y.t < x.t || (y.t === x.t && y.seq < x.seq) ? y : x));
        expect([q.peekTimeMs(), q.peekKind(), q.peek()?.seq]).toEqual([min.t, min.p % 3, min.seq]);
      } else {
        q.filter((p) => p % 5 !== 0);
        ref = ref.filter((r) => r.p % 5 !== 0);
      }
      expect(q.size).toBe(ref.length);
    }
    while (ref.length > 0) expect(q.take()).toBe(takeFirst().p);
    expect([q.size, q.peekTimeMs()]).toEqual([0, Number.POSITIVE_INFINITY]);
    expect(() => q.take()).toThrow(/empty/);
  });

  test("filter keeps order; the pending limit and the kind range are enforced", () => {
    const q = new EventQueue<number>(5);
    for (let i = 0; i < 5; i++) q.push(5 - i, i);
    expect(() => q.push(0, 99)).toThrow(/limit of 5/);
    q.filter((p) => p % 2 === 0);
    expect([q.pop()?.payload, q.pop()?.payload, q.pop()?.payload, q.pop()]).toEqual([
      4,
      2,
      0,
      undefined,
    ]);
    expect(() => q.push(Number.NaN, 1)).toThrow(/finite/);
    // Kinds live in a byte: one that would not fit is refused, not wrapped.
    expect(() => q.push(0, 1, 256)).toThrow(/kind/);
    expect(() => q.push(0, 1, 1.5)).toThrow(/kind/);
  });
});

describe("SimNetwork", () => {
  test("same seed, same plans; delays stay inside [min, max]", () => {
    const plans = (seed: number) => {
      const n = new SimNetwork(
        { delayMs: [5, 10], dropRate: 0.2, duplicateRate: 0.2 },
        new Rng(seed),
      );
      return Array.from({ length: 500 }, (_, i) => n.plan(i % 3, (i + 1) % 3));
    };
    const a = plans(3);
    expect(a).toEqual(plans(3));
    expect(a).not.toEqual(plans(4));
    for (const p of a) for (const d of p) expect(d >= 5 && d <= 10).toBe(true);
  });

  test("drop and duplicate rates are honoured (within loose bounds)", () => {
    const n = new SimNetwork({ delayMs: [0, 1], dropRate: 0.3, duplicateRate: 0.1 }, new Rng(9));
    let dropped = 0;
    let dup = 0;
    const total = 20_000;
    for (let i = 0; i < total; i++) {
      const p = n.plan(0, 1);
      if (p.length === 0) dropped++;
      if (p.length === 2) dup++;
    }
    expect(dropped / total).toBeCloseTo(0.3, 1);
    expect(dup / (total - dropped)).toBeCloseTo(0.1, 1);
  });

  test("partition, disconnect, heal and connect cut and restore links", () => {
    const n = new SimNetwork({}, new Rng(1));
    n.partition([
      [0, 1],
      [2, 3, 4],
    ]);
    expect(n.linked(0, 1)).toBe(true);
    expect(n.linked(1, 2)).toBe(false);
    expect(n.plan(1, 2)).toEqual([]);
    n.disconnect(3);
    expect(n.linked(2, 3)).toBe(false);
    n.heal();
    expect(n.linked(1, 2)).toBe(true);
    expect(n.linked(3, 4)).toBe(false);
    n.connect(3);
    expect(n.linked(3, 4)).toBe(true);
    expect(() => n.partition([[0], [0, 1]])).toThrow(/two partition groups/);
    expect(() => n.set({ dropRate: 2 })).toThrow(/dropRate/);
  });
});

const ent = (index: number, term: number, text = `${index}.${term}`): Entry => ({
  index,
  term,
  type: 0,
  data: new TextEncoder().encode(text),
});

/** A LogView over a plain array of entries (index 1 at position 0). */
function view(log: Entry[]): LogView {
  return {
    lastIndex: log.length,
    snapshotIndex: 0,
    snapshotTerm: 0,
    termAt: (i) => (i === 0 ? 0 : log[i - 1]?.term),
  };
}
const at = (log: Entry[]) => (i: number) => log[i - 1];

function expectViolation(property: string, fn: () => void): void {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(SafetyViolation);
    const v = e as SafetyViolation;
    expect(v.property).toBe(property);
    expect(v.message).toContain("seed 77");
    expect(v.message).toContain("virtual 12.500 ms");
    return;
  }
  throw new Error(`expected a ${property} violation, none was raised`);
}

describe("SafetyChecker fires on corrupted states", () => {
  const fresh = () => {
    const c = new SafetyChecker(77);
    c.nowMs = 12.5;
    return c;
  };

  test("Election Safety: two leaders in one term (§5.2)", () => {
    const c = fresh();
    c.observeLeader(0, 3);
    c.observeLeader(0, 3);
    c.observeLeader(1, 4);
    expectViolation("Election Safety", () => c.observeLeader(2, 3));
  });

  test("Log Matching: same index and term, different payload (§5.3)", () => {
    const c = fresh();
    const a = [ent(1, 1), ent(2, 1)];
    c.observeAppend(0, a, view(a));
    const b = [ent(1, 1), ent(2, 1, "other")];
    expectViolation("Log Matching", () => c.observeAppend(1, b, view(b)));
  });

  test("Log Matching: same index and term, different entry before it (§5.3)", () => {
    const c = fresh();
    const a = [ent(1, 1), ent(2, 2)];
    c.observeAppend(0, a, view(a));
    const b = [ent(1, 2, "x"), ent(2, 2)];
    c.observeAppend(1, [b[0]!], view(b));
    expectViolation("Log Matching", () => c.observeAppend(1, [b[1]!], view(b)));
  });

  test("Leader Completeness: a new leader lacks a committed entry (§5.4)", () => {
    const c = fresh();
    const a = [ent(1, 1), ent(2, 1)];
    c.observeAppend(0, a, view(a));
    c.observeCommit(0, 2, view(a), at(a));
    const shortLog = [ent(1, 1)];
    expectViolation("Leader Completeness", () => c.observeNewLeader(1, 2, view(shortLog)));
    const wrongTerm = [ent(1, 1), ent(2, 2, "y")];
    expectViolation("Leader Completeness", () => c.observeNewLeader(3, 3, view(wrongTerm)));
    c.observeNewLeader(2, 4, view(a)); // a complete log passes
  });

  test("State Machine Safety: two nodes apply different entries at one index (§5.4.3)", () => {
    const c = fresh();
    const a = [ent(1, 1)];
    c.observeCommit(0, 1, view(a), at(a));
    c.observeApply(0, a[0]!);
    expectViolation("State Machine Safety", () => c.observeApply(1, ent(1, 1, "different")));
  });

  test("State Machine Safety: applied twice, out of order, or never committed", () => {
    const c = fresh();
    const a = [ent(1, 1), ent(2, 1), ent(3, 1)];
    c.observeCommit(0, 3, view(a), at(a));
    c.observeApply(0, a[0]!);
    expectViolation("State Machine Safety", () => c.observeApply(0, a[0]!));
    expectViolation("State Machine Safety", () => c.observeApply(0, a[2]!));
    c.observeApply(0, a[1]!);
    expectViolation("State Machine Safety", () => c.observeApply(0, ent(4, 1)));
    c.observeRestore(0, 0); // a restarted node applies from its snapshot again
    c.observeApply(0, a[0]!);
  });

  test("a commit index beyond the node's log, or a conflicting committed term, fires", () => {
    const c = fresh();
    const a = [ent(1, 1), ent(2, 1)];
    expectViolation("Commitment", () => c.observeCommit(0, 3, view(a), at(a)));
    const c2 = fresh();
    c2.observeCommit(0, 2, view(a), at(a));
    const b = [ent(1, 1), ent(2, 2, "z")];
    expectViolation("State Machine Safety", () => c2.observeCommit(1, 2, view(b), at(b)));
  });

  test("consistent observations raise nothing and are counted", () => {
    const c = fresh();
    const a = [ent(1, 1), ent(2, 1), ent(3, 2)];
    c.observeNewLeader(0, 1, view([]));
    c.observeAppend(0, a, view(a));
    c.observeAppend(1, a, view(a));
    c.observeCommit(0, 3, view(a), at(a));
    c.observeCommit(1, 3, view(a), at(a));
    for (const e of a) c.observeApply(0, e);
    for (const e of a) c.observeApply(1, e);
    c.observeNewLeader(1, 2, view(a));
    expect(c.counts.entriesChecked).toBe(6);
    expect(c.counts.appliesChecked).toBe(6);
  });
});

describe("payloadHash", () => {
  test("the cached hash equals a fresh array's; equal bytes hash equal, other bytes differ", () => {
    const a = new TextEncoder().encode("payload one");
    const first = payloadHash(a);
    expect(payloadHash(a)).toBe(first); // from the cache
    expect(payloadHash(new Uint8Array(a))).toBe(first); // a copy is hashed afresh
    expect(payloadHash(new TextEncoder().encode("payload two"))).not.toBe(first);
    const frozen = Object.freeze(new Uint8Array(0)); // cannot take the cached property
    expect(payloadHash(frozen)).toBe(payloadHash(new Uint8Array(0)));
  });
});

describe("SimHost sync model", () => {
  const entry = (index: number): Entry => ({
    index,
    term: 1,
    type: 0,
    data: new Uint8Array([index]),
  });
  const ready = (o: { hard?: HardState; entries?: Entry[]; mustSync?: boolean }): Ready => ({
    softState: null,
    hardState: o.hard ?? null,
    entries: o.entries ?? [],
    snapshot: null,
    messages: [],
    committedEntries: [],
    mustSync: o.mustSync ?? false,
  });
  const newHost = () =>
    new SimHost(0, { peers: [0], electionTicks: 10, heartbeatTicks: 1 }, new Rng(1), null);

  test("commit-only hard states wait for the next fsync, which writes the latest after the log", () => {
    const h = newHost();
    h.persist(
      ready({ hard: { term: 1, vote: 0, commit: 0 }, entries: [entry(1)], mustSync: true }),
    );
    expect(h.unsyncedWrites).toBe(0);
    h.persist(ready({ hard: { term: 1, vote: 0, commit: 1 } }));
    const hard = { term: 1, vote: 0, commit: 2 };
    h.persist(ready({ hard }));
    hard.commit = 99; // the node may reuse its record: the host wrote its own copy
    expect(h.unsyncedWrites).toBe(2);
    expect(h.durable.hardState.commit).toBe(0);
    expect(h.live.hardState.commit).toBe(2);
    const syncs = h.syncCount;
    h.persist(ready({ entries: [entry(2)], mustSync: true }));
    expect(h.unsyncedWrites).toBe(0);
    expect(h.syncCount).toBe(syncs + 1);
    expect(h.durable.hardState).toEqual({ term: 1, vote: 0, commit: 2 });
    expect(h.durable.lastIndex()).toBe(2);
  });

  test("a crash before the fsync loses the unsynced writes", () => {
    const h = newHost();
    h.persist(
      ready({ hard: { term: 1, vote: 0, commit: 0 }, entries: [entry(1)], mustSync: true }),
    );
    h.persist(ready({ hard: { term: 1, vote: 0, commit: 1 } }));
    h.crash();
    expect(h.unsyncedWrites).toBe(0);
    h.sync(); // nothing left to write
    expect(h.durable.hardState.commit).toBe(0);
    h.restart();
    expect(h.live.hardState.commit).toBe(0);
    expect(h.live.lastIndex()).toBe(1);
  });

  test("the checker's log view gives a term for each entry and the snapshot's index, nothing beyond", () => {
    const h = newHost();
    const terms = (v: LogView) => Array.from({ length: 10 }, (_, i) => v.termAt(i) ?? null);
    h.persist(ready({ entries: [1, 2, 3, 4, 5, 6, 7].map(entry), mustSync: true }));
    h.live.createSnapshot(4, new Uint8Array(0));
    h.live.compact(4);
    const v = h.logView();
    // Index 4 is the snapshot's (its term is kept), 5-7 are entries; 0-3 and 8-9 are absent.
    expect(terms(v)).toEqual([null, null, null, null, 1, 1, 1, 1, null, null]);
    expect([v.lastIndex, v.snapshotIndex, v.snapshotTerm]).toEqual([7, 4, 1]);
    // The durable copy was not compacted: it still reads from index 0 (the empty log's sentinel).
    expect(terms(h.durableView().log)).toEqual([0, 1, 1, 1, 1, 1, 1, 1, null, null]);
  });
});
