/**
 * When the election timer restarts: RaftConfig.electionTimerReset "etcd"
 * (default, as etcd-raft: on every term change) vs "paper" (Ongaro and
 * Ousterhout 2014, §5.2 and Figure 2 "Rules for Servers": a follower
 * converts to candidate "if election timeout elapses without receiving
 * AppendEntries RPC from current leader or granting vote to candidate"; a
 * candidate resets its timer when it starts an election). Each test drives
 * one node by hand with a fixed timeout (min == max, no randomness) and
 * counts the ticks until it campaigns, so a test fails if the option is
 * ignored: the two modes give different counts where Figure 2 and etcd
 * differ, and the same counts where they agree.
 */
import { describe, expect, test } from "bun:test";
import { Rng } from "../impl/core/rng.ts";
import { RaftNode } from "../impl/raft/node.ts";
import type { MemoryStorage } from "../impl/raft/storage.ts";
import type { ElectionTimerReset, Message } from "../impl/raft/types.ts";
import { MessageType as MT } from "../impl/raft/types.ts";
import { storageWithLog } from "./raft.node.harness.ts";

const TIMEOUT_TICKS = 10;
const PEERS = [1, 2, 3];

/** Node 2 of {1,2,3} holding a log of terms [1, 1] at term 1, timeout exactly 10 ticks. */
function follower(rule: ElectionTimerReset, storage?: MemoryStorage): RaftNode {
  return new RaftNode({
    id: 2,
    peers: PEERS,
    electionTicks: TIMEOUT_TICKS,
    electionTicksMax: TIMEOUT_TICKS,
    heartbeatTicks: 1,
    rng: new Rng(3),
    storage: storage ?? storageWithLog(PEERS, [1, 1], 1, 2),
    electionTimerReset: rule,
  });
}

function tick(n: RaftNode, times: number): void {
  for (let i = 0; i < times; i++) n.tick();
}

/** Ticks until the node starts an election; returns how many ticks that took. */
function ticksUntilCampaign(n: RaftNode): number {
  const term = n.term;
  for (let t = 1; t <= 10 * TIMEOUT_TICKS; t++) {
    n.tick();
    if (n.role === "candidate" && n.term > term) return t;
  }
  return -1;
}

/** Drains the node's Ready and returns the messages it sent. */
function sent(n: RaftNode): Message[] {
  const rd = n.ready();
  n.advance();
  return rd.messages;
}

const vote = (term: number, index: number, logTerm: number): Message => ({
  type: MT.Vote,
  from: 3,
  to: 2,
  term,
  index,
  logTerm,
});

describe("election timer restarts (§5.2, Figure 2)", () => {
  for (const rule of ["etcd", "paper"] as const) {
    test(`${rule}: an untouched follower campaigns after exactly its timeout`, () => {
      expect(ticksUntilCampaign(follower(rule))).toBe(TIMEOUT_TICKS);
    });

    test(`${rule}: granting a vote restarts the timer (Figure 2, both rules)`, () => {
      const n = follower(rule);
      tick(n, 6);
      n.step(vote(5, 2, 1)); // up-to-date candidate: vote granted
      expect(sent(n).map((m) => [m.type, m.reject])).toEqual([[MT.VoteResp, false]]);
      expect(ticksUntilCampaign(n)).toBe(TIMEOUT_TICKS);
    });

    test(`${rule}: a heartbeat from the current leader restarts the timer (both rules)`, () => {
      const n = follower(rule);
      n.step({ type: MT.Heartbeat, from: 1, to: 2, term: 1, commit: 2 });
      tick(n, 6);
      n.step({ type: MT.Heartbeat, from: 1, to: 2, term: 1, commit: 2 });
      expect(n.leader).toBe(1);
      expect(ticksUntilCampaign(n)).toBe(TIMEOUT_TICKS);
    });
  }

  test("§5.1/Figure 2: a refused higher-term vote request moves the term; only etcd restarts the timer", () => {
    const after = (rule: ElectionTimerReset) => {
      const n = follower(rule);
      tick(n, 6);
      n.step(vote(5, 1, 1)); // candidate's log is shorter (§5.4.1): refused
      expect(sent(n).map((m) => [m.type, m.reject])).toEqual([[MT.VoteResp, true]]);
      expect([n.term, n.role]).toEqual([5, "follower"]);
      return ticksUntilCampaign(n);
    };
    expect(after("paper")).toBe(TIMEOUT_TICKS - 6); // the timer kept running
    expect(after("etcd")).toBe(TIMEOUT_TICKS); // restarted on the term change
  });

  test("Figure 2: a candidate that loses keeps its timer under the paper rule", () => {
    const campaigner = (rule: ElectionTimerReset) => {
      const n = follower(rule, storageWithLog(PEERS, [1], 1, 1));
      expect(ticksUntilCampaign(n)).toBe(TIMEOUT_TICKS); // term 2, timer restarted
      sent(n);
      tick(n, 4);
      for (const from of [1, 3]) {
        n.step({ type: MT.VoteResp, from, to: 2, term: 2, reject: true });
      }
      expect([n.term, n.role]).toEqual([2, "follower"]); // lost: 2 of 3 refused
      return ticksUntilCampaign(n);
    };
    expect(campaigner("paper")).toBe(TIMEOUT_TICKS - 4);
    expect(campaigner("etcd")).toBe(TIMEOUT_TICKS);
  });

  test("a leader that steps down starts a fresh timer under both rules", () => {
    for (const rule of ["etcd", "paper"] as const) {
      const n = follower(rule, storageWithLog(PEERS, [1], 1, 1));
      n.campaign();
      sent(n);
      for (const from of [1, 3]) {
        n.step({ type: MT.VoteResp, from, to: 2, term: 2, reject: false });
      }
      expect(n.role).toBe("leader");
      tick(n, 7);
      n.step({ type: MT.AppResp, from: 3, to: 2, term: 9 }); // a higher term deposes it
      expect([n.term, n.role]).toEqual([9, "follower"]);
      expect(ticksUntilCampaign(n)).toBe(TIMEOUT_TICKS);
    }
  });

  test("an unknown rule is refused with the field named", () => {
    expect(() => follower("raft" as ElectionTimerReset)).toThrow(/electionTimerReset/);
  });
});
