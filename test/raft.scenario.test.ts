/**
 * Raft scenarios in virtual time, modeled on the MIT 6.824 Raft lab tests
 * (2A election, 2B agreement), run on SimCluster with the safety checker on
 * after every event. Where the lab expects command index k, we allow for the
 * no-op entry each new leader appends (§8 of the Raft paper), so indexes are
 * compared relative to the first command. Each test names its seed.
 */
import { describe, expect, test } from "bun:test";
import { Rng } from "../impl/core/rng.ts";
import {
  checkNoLeader,
  checkOneLeader,
  checkTerms,
  labCluster as cluster,
  enc,
  LAB_ELECTION_MS,
  nCommitted,
  one,
} from "../impl/raft/sim/harness.ts";

const ELECTION_MS = LAB_ELECTION_MS;

describe("2A: leader election (§5.2)", () => {
  test("initial election: one leader, and the term stays put without failures", () => {
    const c = cluster(3, 1);
    checkOneLeader(c);
    c.runFor(50);
    const term1 = checkTerms(c);
    expect(term1).toBeGreaterThanOrEqual(1);
    c.runFor(2 * ELECTION_MS);
    expect(checkTerms(c)).toBe(term1);
    checkOneLeader(c);
  });

  test("re-election after the leader is cut off; none without a majority", () => {
    const c = cluster(3, 2);
    const leader1 = checkOneLeader(c);
    c.disconnect(leader1);
    checkOneLeader(c);
    c.connect(leader1);
    const leader2 = checkOneLeader(c);
    c.disconnect(leader2);
    c.disconnect((leader2 + 1) % 3);
    c.runFor(2 * ELECTION_MS);
    checkNoLeader(c);
    c.connect((leader2 + 1) % 3);
    checkOneLeader(c);
    c.connect(leader2);
    checkOneLeader(c);
  });

  test("many elections: 7 servers, 3 random ones cut off, 10 times", () => {
    const c = cluster(7, 3);
    const rng = new Rng(3);
    checkOneLeader(c);
    for (let iter = 0; iter < 10; iter++) {
      const cut = [rng.int(7), rng.int(7), rng.int(7)];
      for (const id of cut) c.disconnect(id);
      checkOneLeader(c); // at least 4 of 7 remain: a majority
      for (const id of cut) c.connect(id);
    }
    checkOneLeader(c);
  });
});

describe("2B: log replication (§5.3)", () => {
  test("basic agreement: consecutive commands get consecutive indexes on all 3", () => {
    const c = cluster(3, 11);
    checkOneLeader(c);
    const first = one(c, enc(100), 3);
    expect(nCommitted(c, first).count).toBe(3);
    for (let k = 1; k < 3; k++) {
      expect(nCommitted(c, first + k).count).toBe(0);
      expect(one(c, enc((k + 1) * 100), 3)).toBe(first + k);
    }
  });

  test("RPC bytes: each command is sent to each follower about once", () => {
    const c = cluster(3, 12);
    checkOneLeader(c);
    one(c, enc(99), 3);
    const bytes0 = c.stats().bytesSent;
    const rng = new Rng(12);
    let sent = 0;
    for (let i = 0; i < 10; i++) {
      const cmd = new Uint8Array(5000);
      rng.fill(cmd);
      one(c, cmd, 3, false);
      sent += cmd.length;
    }
    const got = c.stats().bytesSent - bytes0;
    const expected = sent * 2; // two followers
    expect(got).toBeGreaterThanOrEqual(expected);
    expect(got).toBeLessThan(expected + 50_000);
  });

  test("agreement despite a failed follower; none without a majority", () => {
    const c = cluster(3, 13);
    checkOneLeader(c);
    one(c, enc(101), 3);
    const leader1 = checkOneLeader(c);
    c.disconnect((leader1 + 1) % 3);
    one(c, enc(102), 2);
    c.runFor(ELECTION_MS);
    one(c, enc(103), 2);
    const leader2 = checkOneLeader(c);
    c.disconnect((leader2 + 1) % 3);
    c.disconnect((leader2 + 2) % 3);
    const at = c.propose(leader2, enc(104));
    expect(at).not.toBeNull();
    c.runFor(2 * ELECTION_MS);
    expect(nCommitted(c, at!.index).count).toBe(0);
  });

  test("no agreement once the leader and one follower fail", () => {
    const c = cluster(3, 14);
    checkOneLeader(c);
    one(c, enc(101), 3);
    const leader1 = checkOneLeader(c);
    c.disconnect(leader1);
    one(c, enc(102), 2);
    c.runFor(ELECTION_MS);
    one(c, enc(103), 2);
    const leader2 = checkOneLeader(c);
    c.disconnect(leader2);
    let accepted = 0;
    for (let id = 0; id < 3; id++) if (c.propose(id, enc(104))) accepted++;
    expect(accepted).toBeGreaterThan(0); // the cut-off leaders still accept it
    c.runFor(2 * ELECTION_MS);
    const text = (id: number) => c.applied(id).map((a) => new TextDecoder().decode(a.data));
    for (let id = 0; id < 3; id++) expect(text(id)).not.toContain("104");
    expect(text(3 - leader1 - leader2)).toContain("103");
  });

  test("fail agree: a disconnected follower catches up after it reconnects", () => {
    const c = cluster(3, 15);
    checkOneLeader(c);
    one(c, enc(101), 3);
    const leader = checkOneLeader(c);
    c.disconnect((leader + 1) % 3);
    for (let v = 102; v <= 105; v++) one(c, enc(v), 2);
    c.connect((leader + 1) % 3);
    one(c, enc(106), 3);
    one(c, enc(107), 3);
  });

  test("fail no agree: 3 of 5 cut off, nothing commits; after rejoin it does", () => {
    const c = cluster(5, 16);
    checkOneLeader(c);
    one(c, enc(10), 5);
    const leader = checkOneLeader(c);
    for (let k = 1; k <= 3; k++) c.disconnect((leader + k) % 5);
    const at = c.propose(leader, enc(20));
    expect(at).not.toBeNull();
    c.runFor(2 * ELECTION_MS);
    expect(nCommitted(c, at!.index).count).toBe(0);
    for (let k = 1; k <= 3; k++) c.connect((leader + k) % 5);
    checkOneLeader(c);
    one(c, enc(1000), 5);
  });

  test("concurrent starts: 5 commands proposed at once all commit, in one term", () => {
    const c = cluster(3, 17);
    const leader = checkOneLeader(c);
    const term = c.term(leader);
    const indexes = [];
    for (let i = 0; i < 5; i++) indexes.push(c.propose(leader, enc(100 + i))!.index);
    c.runFor(ELECTION_MS);
    expect(c.term(leader)).toBe(term);
    for (const i of indexes) expect(nCommitted(c, i).count).toBe(3);
    const values = indexes.map((i) => new TextDecoder().decode(nCommitted(c, i).data!));
    expect(values.sort()).toEqual(["100", "101", "102", "103", "104"]);
  });

  test("rejoin of a partitioned leader: its uncommitted entries are overwritten", () => {
    const c = cluster(3, 18);
    checkOneLeader(c);
    one(c, enc(101), 3);
    const leader1 = checkOneLeader(c);
    c.disconnect(leader1);
    for (const v of [102, 103, 104]) c.propose(leader1, enc(v));
    one(c, enc(103), 2);
    const leader2 = checkOneLeader(c);
    c.disconnect(leader2);
    c.connect(leader1);
    one(c, enc(104), 2);
    c.connect(leader2);
    one(c, enc(105), 3);
  });

  test("backup: a leader quickly backs up over long divergent logs (fast backtracking, §5.3)", () => {
    const c = cluster(5, 19);
    const rng = new Rng(19);
    checkOneLeader(c);
    one(c, enc(rng.nextU32()), 5);
    const leader1 = checkOneLeader(c);
    for (const k of [2, 3, 4]) c.disconnect((leader1 + k) % 5);
    for (let i = 0; i < 50; i++) c.propose(leader1, enc(rng.nextU32()));
    c.runFor(ELECTION_MS / 2);
    c.disconnect(leader1);
    c.disconnect((leader1 + 1) % 5);
    for (const k of [2, 3, 4]) c.connect((leader1 + k) % 5);
    for (let i = 0; i < 50; i++) one(c, enc(rng.nextU32()), 3);
    const leader2 = checkOneLeader(c);
    let other = (leader1 + 2) % 5;
    if (leader2 === other) other = (leader2 + 1) % 5;
    c.disconnect(other);
    for (let i = 0; i < 50; i++) c.propose(leader2, enc(rng.nextU32()));
    c.runFor(ELECTION_MS / 2);
    for (let id = 0; id < 5; id++) c.disconnect(id);
    c.connect(leader1);
    c.connect((leader1 + 1) % 5);
    c.connect(other);
    for (let i = 0; i < 50; i++) one(c, enc(rng.nextU32()), 3);
    for (let id = 0; id < 5; id++) c.connect(id);
    one(c, enc(rng.nextU32()), 5);
  });

  test("message counts: election, agreement and idle heartbeats stay within bounds", () => {
    const c = cluster(3, 20);
    checkOneLeader(c);
    const afterElection = c.stats().messagesSent;
    expect(afterElection).toBeLessThan(60); // the lab's 30 RPCs, counted as requests + replies
    const leader = checkOneLeader(c);
    const before = c.stats().messagesSent;
    const iters = 10;
    const term = c.term(leader);
    let last = 0;
    const t0 = c.virtualMs;
    for (let i = 1; i < iters + 2; i++) last = c.propose(leader, enc(i))!.index;
    expect(c.runUntil(() => nCommitted(c, last).count === 3, 1000)).toBe(true);
    expect(c.term(leader)).toBe(term);
    // The lab's bound of (iters + 1 + 3) * 3 RPCs, counted as requests + replies,
    // plus the heartbeat round trips that fall in the wait.
    const heartbeatMsgs = 2 * 2 * Math.ceil((c.virtualMs - t0) / 50);
    expect(c.stats().messagesSent - before).toBeLessThanOrEqual(
      2 * (iters + 1 + 3) * 3 + heartbeatMsgs,
    );
    c.runFor(300); // let the last commit notices settle
    const idle0 = c.stats().messagesSent;
    c.runFor(1000);
    // Idle: heartbeats (1 per 50 ms per follower) and their replies.
    expect(c.stats().messagesSent - idle0).toBeLessThanOrEqual(2 * 2 * (1000 / 50 + 1));
  });
});
