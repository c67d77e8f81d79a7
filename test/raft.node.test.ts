/**
 * Unit tests of RaftNode elections, driven step by step: a hand router
 * (raft.node.harness.ts) runs the Ready loop and delivers messages in FIFO
 * order, or the test delivers chosen messages itself. Each test names the
 * section of Ongaro and Ousterhout 2014, "In Search of an Understandable
 * Consensus Algorithm (Extended Version)" it checks (pre-vote and leadership
 * transfer are from Ongaro's 2014 dissertation, cited as "thesis").
 */
import { describe, expect, test } from "bun:test";
import { Rng } from "../impl/core/rng.ts";
import { RaftNode } from "../impl/raft/node.ts";
import { MemoryStorage } from "../impl/raft/storage.ts";
import type { Message } from "../impl/raft/types.ts";
import { EntryType, MessageType as MT, NONE } from "../impl/raft/types.ts";
import { Router, storageWithLog } from "./raft.node.harness.ts";

const SEED = Number(process.env.SEED ?? 7);

describe("RaftNode election (§5.2)", () => {
  test("§5.2: a campaigning node wins a majority and becomes the only leader", () => {
    const r = new Router([1, 2, 3], {}, SEED);
    r.elect(1);
    expect(r.leaders()).toEqual([1]);
    for (const id of [1, 2, 3]) {
      expect(r.node(id).term).toBe(1);
      expect(r.node(id).leader).toBe(1);
    }
    expect(r.node(2).role).toBe("follower");
    const st = r.node(1).status();
    expect([st.role, st.term, st.commit, st.progress[2]?.state, st.progress[2]?.match]).toEqual([
      "leader",
      1,
      1,
      "replicate",
      1,
    ]);
  });

  test("§5.2: election timeouts elect exactly one leader per term", () => {
    for (let seed = 1; seed <= 20; seed++) {
      const r = new Router([1, 2, 3, 4, 5], {}, seed);
      const leadersByTerm = new Map<number, Set<number>>();
      for (let t = 0; t < 200; t++) {
        r.tick();
        for (const id of r.leaders()) {
          const term = r.node(id).term;
          if (!leadersByTerm.has(term)) leadersByTerm.set(term, new Set());
          leadersByTerm.get(term)!.add(id);
        }
      }
      expect(r.leaders().length).toBe(1);
      for (const set of leadersByTerm.values()) expect(set.size).toBe(1);
    }
  });

  test("§5.2: timeouts are drawn from [min, max); min == max means no randomness", () => {
    const firesAt = (min: number, max: number, seed: number): number => {
      const n = new RaftNode({
        id: 1,
        peers: [1, 2, 3],
        electionTicks: min,
        electionTicksMax: max,
        heartbeatTicks: 1,
        rng: new Rng(seed),
        storage: new MemoryStorage([1, 2, 3]),
      });
      for (let t = 1; t <= 10 * max; t++) {
        n.tick();
        if (n.role === "candidate") return t;
      }
      return -1;
    };
    for (let seed = 0; seed < 50; seed++) expect(firesAt(150, 150, seed)).toBe(150);
    const seen = new Set<number>();
    for (let seed = 0; seed < 200; seed++) seen.add(firesAt(150, 152, seed));
    expect([...seen].sort()).toEqual([150, 151]);
    for (let seed = 0; seed < 200; seed++) {
      const t = firesAt(10, 20, seed);
      expect(t >= 10 && t < 20).toBe(true);
    }
  });

  test("§5.2: a candidate that hears from a leader of its term returns to follower", () => {
    const r = new Router([1, 2, 3], {}, SEED);
    r.elect(1);
    const c = r.node(2);
    // Node 2 times out before node 1's heartbeat arrives (nothing delivered).
    c.campaign();
    r.take(); // discard its vote requests
    expect(c.role).toBe("candidate");
    const term = c.term;
    c.step({ type: MT.App, from: 3, to: 2, term, index: 0, logTerm: 0, entries: [], commit: 0 });
    expect(c.role).toBe("follower");
    expect(c.leader).toBe(3);
  });

  test("§5.2: a candidate that loses the majority steps down", () => {
    const r = new Router([1, 2, 3], {}, SEED);
    const n = r.node(1);
    n.campaign();
    const reqs = r.take((m) => m.type === MT.Vote);
    expect(reqs.length).toBe(2);
    for (const q of reqs)
      n.step({ type: MT.VoteResp, from: q.to, to: 1, term: n.term, reject: true });
    expect(n.role).toBe("follower");
  });

  test("§5.1: a stale-term message is ignored, a newer term turns a leader into a follower", () => {
    const r = new Router([1, 2, 3], {}, SEED);
    const l = r.elect(1);
    l.step({ type: MT.VoteResp, from: 2, to: 1, term: 0, reject: true });
    expect(l.role).toBe("leader");
    l.step({ type: MT.Heartbeat, from: 3, to: 1, term: 5, commit: 0 });
    expect(l.role).toBe("follower");
    expect(l.term).toBe(5);
    expect(l.leader).toBe(3);
  });
});

describe("RaftNode vote rules (§5.2, §5.4.1)", () => {
  const voteReq = (from: number, term: number, index: number, logTerm: number): Message => ({
    type: MT.Vote,
    from,
    to: 1,
    term,
    index,
    logTerm,
  });
  const answer = (r: Router) => r.take((m) => m.type === MT.VoteResp);

  test("§5.2: at most one vote per term, first come first served; repeats are re-granted", () => {
    const r = new Router([1, 2, 3], {}, SEED);
    const v = r.node(1);
    v.step(voteReq(2, 1, 0, 0));
    expect(answer(r).map((m) => m.reject)).toEqual([false]);
    expect(v.vote).toBe(2);
    v.step(voteReq(3, 1, 0, 0));
    expect(answer(r).map((m) => m.reject)).toEqual([true]);
    v.step(voteReq(2, 1, 0, 0));
    expect(answer(r).map((m) => m.reject)).toEqual([false]);
    // A new term frees the vote.
    v.step(voteReq(3, 2, 0, 0));
    expect(answer(r).map((m) => [m.reject, m.term])).toEqual([[false, 2]]);
    expect(r.storages.get(1)!.hardState).toEqual({ term: 2, vote: 3, commit: 0 });
  });

  test("§5.2 + Figure 2: the vote is persisted and survives a restart", () => {
    const r = new Router([1, 2, 3], {}, SEED);
    r.node(1).step(voteReq(2, 4, 0, 0));
    expect(answer(r).map((m) => m.reject)).toEqual([false]);
    const again = r.restart(1);
    expect([again.term, again.vote]).toEqual([4, 2]);
    again.step(voteReq(3, 4, 0, 0));
    expect(answer(r).map((m) => m.reject)).toEqual([true]);
  });

  test("§5.4.1: a vote is refused to a candidate whose log is less up-to-date", () => {
    // Voter's log: terms [1, 1, 2] (last term 2, last index 3).
    const cases: Array<[index: number, logTerm: number, granted: boolean]> = [
      [10, 1, false], // longer log, older last term
      [2, 2, false], // same last term, shorter
      [3, 2, true], // identical
      [4, 2, true], // same last term, longer
      [1, 3, true], // newer last term, shorter
    ];
    for (const [index, logTerm, granted] of cases) {
      const st = storageWithLog([1, 2, 3], [1, 1, 2], 2);
      const r = new Router([1, 2, 3], {}, SEED, { 1: st });
      r.node(1).step(voteReq(2, 5, index, logTerm));
      expect({ index, logTerm, granted: answer(r).map((m) => !m.reject) }).toEqual({
        index,
        logTerm,
        granted: [granted],
      });
    }
  });

  test("§5.4.1: a node with a stale log cannot become leader", () => {
    const peers = [1, 2, 3];
    const r = new Router(peers, {}, SEED, {
      1: storageWithLog(peers, [1], 1),
      2: storageWithLog(peers, [1, 1], 1),
      3: storageWithLog(peers, [1, 1], 1),
    });
    r.elect(1);
    expect(r.node(1).role).not.toBe("leader");
    r.elect(2);
    expect(r.leaders()).toEqual([2]);
  });
});

describe("RaftNode pre-vote and check-quorum (§6, §9.6, thesis §9.6)", () => {
  test("thesis §9.6: pre-vote; an isolated node does not raise its term, and rejoining deposes no one", () => {
    const r = new Router([1, 2, 3], { preVote: true, checkQuorum: true }, SEED);
    r.elect(1);
    const term = r.node(1).term;
    r.isolate(3);
    r.tick([3], 200);
    expect(r.node(3).term).toBe(term);
    expect(r.node(3).role).toBe("pre-candidate");
    r.heal();
    r.tick(undefined, 30);
    expect(r.leaders()).toEqual([1]);
    expect(r.node(1).term).toBe(term);
    expect(r.node(3).leader).toBe(1);
  });

  test("thesis §9.6 (contrast): without pre-vote the isolated node's term keeps rising", () => {
    const r = new Router([1, 2, 3], {}, SEED);
    r.elect(1);
    const term = r.node(1).term;
    r.isolate(3);
    r.tick([3], 200);
    expect(r.node(3).term).toBeGreaterThan(term + 5);
  });

  test("thesis §9.6 (contrast): check-quorum alone; the rejoining node's higher term deposes the leader", () => {
    const r = new Router([1, 2, 3], { checkQuorum: true }, SEED);
    r.elect(1);
    const term = r.node(1).term;
    r.isolate(3);
    r.tick([3], 100);
    const term3 = r.node(3).term;
    expect(term3).toBeGreaterThan(term);
    r.heal();
    r.tick([1], 1); // a heartbeat reaches node 3, which answers with its higher term
    expect(r.node(1).term).toBe(term3);
    expect(r.node(1).role).toBe("follower");
  });

  test("thesis §9.6: pre-vote grants do not change anyone's term or vote", () => {
    const r = new Router([1, 2, 3], { preVote: true }, SEED);
    const n = r.node(1);
    n.campaign();
    expect(n.role).toBe("pre-candidate");
    expect(n.term).toBe(0);
    const pre = r.take((m) => m.type === MT.PreVote);
    expect(pre.map((m) => m.term)).toEqual([1, 1]);
    r.deliver(pre[0]!);
    expect(r.node(pre[0]!.to).term).toBe(0);
    expect(r.node(pre[0]!.to).vote).toBe(NONE);
    const resp = r.take((m) => m.type === MT.PreVoteResp);
    expect(resp.map((m) => [m.reject, m.term])).toEqual([[false, 1]]);
    r.deliver(resp[0]!);
    // A majority of pre-votes (self + one) starts the real election.
    expect(n.role).toBe("candidate");
    expect(n.term).toBe(1);
  });

  test("§6: a leader that hears from no quorum for an election timeout steps down (check-quorum)", () => {
    const r = new Router([1, 2, 3], { checkQuorum: true }, SEED);
    r.elect(1);
    r.isolate(1);
    r.tick([1], 9);
    expect(r.node(1).role).toBe("leader");
    r.tick([1], 12);
    expect(r.node(1).role).toBe("follower");
    expect(r.node(1).leader).toBeNull();
  });

  test("§6: with check-quorum, a leader that hears from a quorum stays", () => {
    const r = new Router([1, 2, 3], { checkQuorum: true }, SEED);
    r.elect(1);
    r.isolate(3);
    r.tick([1, 2], 100);
    expect(r.leaders()).toEqual([1]);
  });

  test("§6 disruptive servers: followers that heard from a leader recently ignore vote requests", () => {
    const r = new Router([1, 2, 3], { checkQuorum: true }, SEED);
    r.elect(1);
    const term = r.node(1).term;
    r.node(2).step({ type: MT.Vote, from: 3, to: 2, term: term + 5, index: 99, logTerm: 99 });
    expect(r.take((m) => m.type === MT.VoteResp)).toEqual([]);
    expect(r.node(2).term).toBe(term);
    expect(r.node(2).leader).toBe(1);
  });
});

describe("RaftNode basics", () => {
  test("§5.2: a single-node cluster elects itself and commits alone", () => {
    const r = new Router([1], {}, SEED);
    r.tick([1], 25);
    expect(r.node(1).role).toBe("leader");
    expect(r.node(1).propose(new Uint8Array([42]))).toBe(true);
    r.settle();
    expect(r.appliedData(1)).toEqual([42]);
  });

  test("§8: a new leader's first entry is a no-op of its own term", () => {
    const r = new Router([1, 2, 3], {}, SEED);
    r.elect(1);
    const st = r.storages.get(2)!;
    const [first] = st.entries(1, 2);
    expect(first).toMatchObject({ index: 1, term: 1, type: EntryType.Noop });
    expect(r.node(2).commitIndex).toBe(1);
  });

  test("Ready contract: nothing to do after settling, and hardState reported only on change", () => {
    const r = new Router([1, 2, 3], {}, SEED);
    r.elect(1);
    for (const id of [1, 2, 3]) expect(r.node(id).hasReady()).toBe(false);
    const l = r.node(1);
    l.tick(); // heartbeat only: messages, no hard state change
    const rd = l.ready();
    expect(rd.hardState).toBeNull();
    expect(rd.messages.map((m) => m.type)).toEqual([MT.Heartbeat, MT.Heartbeat]);
    l.advance();
    expect(() => l.advance()).toThrow(/advance/);
  });

  test("Ready contract: a Ready's entries stay as handed out while the node goes on (they are lent, not copied)", () => {
    const solo = new Router([1], {}, SEED);
    solo.tick([1], 25);
    const l = solo.node(1);
    const indexes = (es: readonly { index: number }[]) => es.map((e) => e.index);
    l.propose(new Uint8Array([1]));
    l.propose(new Uint8Array([2]));
    const first = l.ready();
    const firstIdx = indexes(first.entries);
    expect(firstIdx.length).toBe(2);
    solo.storages.get(1)!.append(first.entries); // persisted, as the Ready contract asks
    l.advance();
    for (let i = 3; i <= 6; i++) l.propose(new Uint8Array([i]));
    const second = l.ready();
    expect(indexes(second.entries)).toEqual([
      firstIdx[1]! + 1,
      firstIdx[1]! + 2,
      firstIdx[1]! + 3,
      firstIdx[1]! + 4,
    ]);
    expect(indexes(first.entries)).toEqual(firstIdx);
    l.advance();
  });

  test("Ready contract: a caller that fills a Ready's shared empty entries or messages fails at advance()", () => {
    // A Ready without entries or messages shares one empty array per kind (none is built per Ready).
    const fill = (arr: unknown[], node: RaftNode): void => {
      try {
        arr.push({});
        expect(() => node.advance()).toThrow(/shared empty/);
      } finally {
        arr.length = 0; // shared by every node in this process: empty it again
      }
      node.advance(); // now accepted
    };
    const r = new Router([1, 2, 3], {}, SEED);
    r.elect(1);
    const f = r.node(2);
    f.campaign(); // a vote request: hard state and messages, no entries
    const votes = f.ready();
    expect([votes.entries.length, votes.messages.length]).toEqual([0, 2]);
    fill(votes.entries, f);
    const solo = new Router([1], {}, SEED);
    solo.tick([1], 25);
    const l = solo.node(1);
    expect(l.propose(new Uint8Array([1]))).toBe(true); // an entry, nobody to send it to
    const own = l.ready();
    expect([own.entries.length, own.messages.length]).toEqual([1, 0]);
    fill(own.messages, l);
  });

  test("config numbers are validated, naming the bad field", () => {
    const base = {
      id: 1,
      peers: [1, 2, 3],
      electionTicks: 10,
      heartbeatTicks: 1,
      rng: new Rng(1),
      storage: new MemoryStorage([1, 2, 3]),
    };
    expect(() => new RaftNode({ ...base, electionTicksMax: 9 })).toThrow(/electionTicksMax/);
    expect(() => new RaftNode({ ...base, heartbeatTicks: 0 })).toThrow(/heartbeatTicks/);
    expect(() => new RaftNode({ ...base, maxInflightMsgs: 0 })).toThrow(/maxInflightMsgs/);
    expect(() => new RaftNode({ ...base, id: -1 })).toThrow(/id/);
    expect(new RaftNode({ ...base, electionTicksMax: 10 }).role).toBe("follower");
  });

  test("a leader that cannot commit refuses proposals beyond maxUncommittedEntries", () => {
    const r = new Router([1, 2, 3], { maxUncommittedEntries: 5 }, SEED);
    r.elect(1);
    r.isolate(1);
    const accepted = Array.from({ length: 8 }, (_, i) => r.node(1).propose(new Uint8Array([i])));
    expect(accepted).toEqual([true, true, true, true, true, false, false, false]);
    r.heal();
    r.tick([1], 2);
    expect(r.node(1).propose(new Uint8Array([9]))).toBe(true);
  });

  test("propose is refused by followers", () => {
    const r = new Router([1, 2, 3], {}, SEED);
    r.elect(1);
    expect(r.node(2).propose(new Uint8Array([1]))).toBe(false);
  });
});
