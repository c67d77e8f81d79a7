/**
 * Unit tests of RaftNode log replication, driven step by step through the
 * hand router in raft.node.harness.ts (FIFO delivery, cut links, messages
 * held back on purpose): commitment by majority, the Figure 8 rule, fast
 * backtracking hints, batching limits, the pipelining window, InstallSnapshot
 * and leadership transfer. Each test cites its section of Ongaro and
 * Ousterhout 2014 (extended version), or Ongaro's dissertation ("thesis").
 */
import { describe, expect, test } from "bun:test";
import { Rng } from "../impl/core/rng.ts";
import type { Message } from "../impl/raft/types.ts";
import { MessageType as MT } from "../impl/raft/types.ts";
import { bytes, Router, storageWithLog } from "./raft.node.harness.ts";

const SEED = Number(process.env.SEED ?? 11);
const apps = (ms: Message[], to: number) => ms.filter((m) => m.type === MT.App && m.to === to);

describe("RaftNode replication and commitment (§5.3)", () => {
  test("§5.3: entries commit once a majority stores them, and every node applies them in order", () => {
    const r = new Router([1, 2, 3, 4, 5], {}, SEED);
    r.elect(1);
    r.isolate(4);
    r.isolate(5);
    for (let i = 0; i < 10; i++) r.node(1).propose(bytes(i));
    r.settle();
    expect(r.node(1).commitIndex).toBe(11); // no-op + 10
    r.isolate(3);
    r.node(1).propose(bytes(99));
    r.settle();
    expect(r.node(1).commitIndex).toBe(11); // 2 of 5 hold index 12: not committed
    r.heal();
    r.tick([1], 3);
    const expected = [...Array(10).keys(), 99];
    for (const id of r.ids) expect(r.appliedData(id)).toEqual(expected);
  });

  test("§5.3 Log Matching: random proposals and ticks leave identical applied logs (seeded)", () => {
    const rng = new Rng(SEED);
    const r = new Router([1, 2, 3], {}, SEED);
    r.elect(1);
    for (let step = 0; step < 300; step++) {
      const leader = r.leaders()[0];
      if (leader !== undefined && rng.chance(0.5)) r.node(leader).propose(bytes(step & 0xff));
      r.tick(r.ids, 1);
    }
    const a = r.applied.get(1)!.map((e) => `${e.index}:${e.term}`);
    expect(a.length).toBeGreaterThan(100);
    for (const id of [2, 3])
      expect(r.applied.get(id)!.map((e) => `${e.index}:${e.term}`)).toEqual(a);
  });

  test("§5.4.2 Figure 8: an old-term entry on a majority is not committed by counting", () => {
    const peers = [1, 2, 3];
    // Node 1 led term 2 and wrote index 2 locally only; everyone is at term 3.
    const r = new Router(peers, { maxEntriesPerMsg: 1 }, SEED, {
      1: storageWithLog(peers, [1, 2], 3, 1),
      2: storageWithLog(peers, [1], 3, 1),
      3: storageWithLog(peers, [1], 3, 1),
    });
    r.node(1).campaign();
    // Deliver everything, except that once a follower holds index 2, hold back
    // the Apps carrying the new leader's own no-op (index 3).
    const held = r.settle(
      (m) =>
        m.type === MT.App &&
        r.storages.get(m.to)!.lastIndex() >= 2 &&
        (m.entries ?? []).some((e) => e.index === 3),
    );
    expect(r.node(1).role).toBe("leader");
    expect(r.node(1).term).toBe(4);
    for (const id of [2, 3]) expect(r.storages.get(id)!.lastIndex()).toBe(2); // index 2 on all three
    expect(r.node(1).commitIndex).toBe(1); // ... yet not committed: its term is 2, not 4
    expect(held.length).toBeGreaterThan(0);
    for (const m of held) r.deliver(m);
    r.settle();
    expect(r.node(1).commitIndex).toBe(3); // committing index 3 commits index 2 indirectly
    r.tick([1], 1);
    for (const id of peers) expect(r.node(id).commitIndex).toBe(3);
  });
});

describe("RaftNode over the binary codec", () => {
  test("§5.2-§7 over the wire: election, replication, compaction and catch-up through encode/decode", () => {
    const r = new Router(
      [1, 2, 3],
      { preVote: true, checkQuorum: true, maxEntriesPerMsg: 3 },
      SEED,
    );
    r.wire = true;
    r.tick(r.ids, 40);
    const [leader] = r.leaders();
    expect(leader).toBeDefined();
    const lagger = r.ids.find((id) => id !== leader)!;
    r.isolate(lagger);
    for (let i = 0; i < 10; i++) r.node(leader!).propose(bytes(i));
    r.settle();
    const st = r.storages.get(leader!)!;
    const at = r.node(leader!).commitIndex;
    st.createSnapshot(at, new Uint8Array([5]), r.ids);
    st.compact(at);
    r.heal();
    r.node(leader!).propose(bytes(10));
    r.tick(r.ids, 5);
    expect(r.storages.get(lagger)!.snapshot().index).toBe(at);
    expect(r.appliedData(lagger)).toEqual([10]);
    for (const id of r.ids) expect(r.node(id).commitIndex).toBe(at + 1);
  });
});

describe("RaftNode fast log backtracking (§5.3, last paragraphs)", () => {
  test("§5.3: a follower with a long conflicting suffix is repaired with one rejection", () => {
    const peers = [1, 2, 3];
    const leaderLog = [1, 1, 1, 1, 1, 3, 3, 3, 3, 3];
    const followerLog = [1, 1, 1, 1, 1, ...Array(55).fill(2)];
    const r = new Router(peers, {}, SEED, {
      1: storageWithLog(peers, leaderLog, 3),
      2: storageWithLog(peers, followerLog, 3),
      3: storageWithLog(peers, [1, 1, 1], 3),
    });
    r.elect(1);
    expect(r.node(1).role).toBe("leader");
    const rejects = r.sent.filter((m) => m.type === MT.AppResp && m.reject);
    const from2 = rejects.filter((m) => m.from === 2);
    const from3 = rejects.filter((m) => m.from === 3);
    expect(from2.map((m) => [m.index, m.rejectHint, m.logTerm])).toEqual([[10, 10, 2]]);
    expect(from3.map((m) => [m.index, m.rejectHint, m.logTerm])).toEqual([[10, 3, 1]]);
    const want = r.storages.get(1)!.entries(1, 12);
    for (const id of [2, 3]) {
      expect(r.storages.get(id)!.lastIndex()).toBe(11);
      expect(r.storages.get(id)!.entries(1, 12)).toEqual(want);
    }
  });
});

describe("RaftNode batching and pipelining", () => {
  test("catch-up Apps respect maxSizePerMsgBytes and maxEntriesPerMsg", () => {
    for (const [payloadBytes, maxBytes, maxEntries, perMsg] of [
      [50, 200, 64, 2], // (50 + 24) * 2 <= 200 < (50 + 24) * 3
      [1, 1 << 20, 4, 4],
    ] as const) {
      const r = new Router(
        [1, 2, 3],
        { maxSizePerMsgBytes: maxBytes, maxEntriesPerMsg: maxEntries },
        SEED,
      );
      r.elect(1);
      r.isolate(3);
      for (let i = 0; i < 30; i++) r.node(1).propose(new Uint8Array(payloadBytes).fill(i));
      r.settle();
      r.heal();
      const before = r.sent.length;
      r.tick([1], 2);
      const toThree = apps(r.sent.slice(before), 3).filter((m) => m.entries!.length > 0);
      expect(toThree.length).toBeGreaterThanOrEqual(Math.ceil(30 / perMsg));
      for (const m of toThree) expect(m.entries!.length).toBeLessThanOrEqual(perMsg);
      expect(r.storages.get(3)!.lastIndex()).toBe(31);
    }
  });

  test("replicate state pipelines at most maxInflightMsgs unacknowledged Apps", () => {
    const r = new Router([1, 2, 3], { maxInflightMsgs: 3 }, SEED);
    r.elect(1);
    for (let i = 0; i < 10; i++) r.node(1).propose(bytes(i));
    const first = apps(r.take(), 2);
    expect(first.length).toBe(3);
    for (const m of first) r.deliver(m);
    r.settle();
    expect(r.storages.get(2)!.lastIndex()).toBe(11);
  });

  test("probe state sends one App at a time until the follower answers", () => {
    const r = new Router([1, 2, 3], {}, SEED);
    r.node(1).campaign();
    for (const m of r.take((m) => m.type === MT.Vote)) r.deliver(m);
    for (const m of r.take((m) => m.type === MT.VoteResp)) r.deliver(m);
    expect(r.node(1).role).toBe("leader");
    for (let i = 0; i < 5; i++) r.node(1).propose(bytes(i));
    expect(apps(r.take(), 2).length).toBe(1);
  });
});

describe("RaftNode log compaction and InstallSnapshot (§7)", () => {
  const compactLeader = (r: Router) => {
    const st = r.storages.get(1)!;
    const at = r.node(1).commitIndex;
    st.createSnapshot(at, new Uint8Array([7, 7]), [1, 2, 3]);
    st.compact(at);
    return at;
  };

  test("§7: a follower behind the compacted log gets the snapshot, then the entries after it", () => {
    const r = new Router([1, 2, 3], {}, SEED);
    r.elect(1);
    r.isolate(3);
    for (let i = 0; i < 20; i++) r.node(1).propose(bytes(i));
    r.settle();
    const snapIndex = compactLeader(r);
    r.heal();
    r.tick([1], 3);
    expect(r.sent.filter((m) => m.type === MT.Snap && m.to === 3).length).toBe(1);
    const st3 = r.storages.get(3)!;
    expect(st3.snapshot().index).toBe(snapIndex);
    expect(st3.snapshot().data).toEqual(new Uint8Array([7, 7]));
    r.node(1).propose(bytes(200));
    r.tick([1], 2);
    expect(r.applied.get(3)!.map((e) => e.index)).toEqual([snapIndex + 1]);
    expect(r.appliedData(3)).toEqual([200]);
    expect(r.node(3).commitIndex).toBe(r.node(1).commitIndex);
  });

  test("§7: a lost snapshot is sent again after an election timeout", () => {
    const r = new Router([1, 2, 3], {}, SEED);
    r.elect(1);
    r.isolate(3);
    for (let i = 0; i < 5; i++) r.node(1).propose(bytes(i));
    r.settle();
    const snapIndex = compactLeader(r);
    r.heal();
    r.node(1).tick();
    r.settle((m) => m.type === MT.Snap); // dropped on the way
    r.tick([1], 12);
    expect(r.sent.filter((m) => m.type === MT.Snap && m.to === 3).length).toBe(2);
    expect(r.storages.get(3)!.snapshot().index).toBe(snapIndex);
  });

  test("§7: a snapshot the follower's log already covers only advances its commit", () => {
    const r = new Router([1, 2, 3], {}, SEED);
    r.elect(1);
    for (let i = 0; i < 5; i++) r.node(1).propose(bytes(i));
    r.settle();
    const snap = r.storages.get(1)!.createSnapshot(4, new Uint8Array(), [1, 2, 3]);
    const f = r.node(2);
    const last = f.lastIndex;
    f.step({ type: MT.Snap, from: 1, to: 2, term: r.node(1).term, snapshot: snap });
    expect(f.lastIndex).toBe(last);
    expect(r.take((m) => m.type === MT.AppResp).map((m) => m.index)).toEqual([f.commitIndex]);
    expect(r.storages.get(2)!.snapshot().index).toBe(0);
  });
});

describe("RaftNode transport reports", () => {
  test("reportUnreachable drops a follower from pipelining to one probe at a time", () => {
    const r = new Router([1, 2, 3], {}, SEED);
    r.elect(1);
    r.node(1).reportUnreachable(2);
    for (let i = 0; i < 4; i++) r.node(1).propose(bytes(i));
    expect(apps(r.take(), 2).length).toBe(1);
    expect(apps(r.sent, 3).length).toBeGreaterThanOrEqual(4);
  });

  test("§7: reportSnapshot(ok=false) makes the leader send the snapshot again", () => {
    const r = new Router([1, 2, 3], {}, SEED);
    r.elect(1);
    r.isolate(3);
    for (let i = 0; i < 5; i++) r.node(1).propose(bytes(i));
    r.settle();
    const st = r.storages.get(1)!;
    const at = r.node(1).commitIndex;
    st.createSnapshot(at, new Uint8Array(), [1, 2, 3]);
    st.compact(at);
    r.heal();
    r.node(1).tick();
    r.settle((m) => m.type === MT.Snap);
    r.node(1).reportSnapshot(3, false);
    r.tick([1], 2);
    expect(r.sent.filter((m) => m.type === MT.Snap && m.to === 3).length).toBe(2);
    expect(r.storages.get(3)!.snapshot().index).toBe(at);
  });
});

describe("RaftNode restart (Figure 2 persistent state)", () => {
  test("Figure 2: a restarted node re-applies committed entries unless told what it applied", () => {
    const r = new Router([1, 2, 3], {}, SEED);
    r.elect(1);
    for (let i = 0; i < 4; i++) r.node(1).propose(bytes(i));
    r.tick([1], 1);
    expect(r.appliedData(2)).toEqual([0, 1, 2, 3]);
    r.applied.set(2, []);
    r.restart(2);
    r.flush();
    expect(r.appliedData(2)).toEqual([0, 1, 2, 3]);
    r.applied.set(2, []);
    r.restart(2, { applied: 3 });
    r.flush();
    expect(r.appliedData(2)).toEqual([2, 3]);
  });
});

describe("RaftNode leadership transfer (thesis §3.10)", () => {
  test("thesis §3.10: TimeoutNow makes an up-to-date follower win at once, even under check-quorum", () => {
    const r = new Router([1, 2, 3], { checkQuorum: true, preVote: true }, SEED);
    r.elect(1);
    const term = r.node(1).term;
    r.node(1).transferLeadership(2);
    r.settle();
    expect(r.leaders()).toEqual([2]);
    expect(r.node(2).term).toBe(term + 1);
    expect(r.node(1).leader).toBe(2);
  });

  test("thesis §3.10: a lagging target is caught up first; proposals wait meanwhile", () => {
    const r = new Router([1, 2, 3], {}, SEED);
    r.elect(1);
    r.isolate(3);
    for (let i = 0; i < 5; i++) r.node(1).propose(bytes(i));
    r.settle();
    r.node(1).transferLeadership(3);
    r.settle();
    expect(r.node(1).propose(bytes(9))).toBe(false);
    r.heal();
    r.tick([1], 2);
    expect(r.leaders()).toEqual([3]);
    expect(r.storages.get(3)!.lastIndex()).toBeGreaterThanOrEqual(6);
  });

  test("thesis §3.10: a transfer that does not finish within an election timeout is abandoned", () => {
    const r = new Router([1, 2, 3], {}, SEED);
    r.elect(1);
    r.isolate(3);
    r.node(1).transferLeadership(3);
    r.settle();
    expect(r.node(1).propose(bytes(1))).toBe(false);
    r.tick([1], 10);
    expect(r.leaders()).toEqual([1]);
    expect(r.node(1).propose(bytes(2))).toBe(true);
  });
});
