/**
 * The simulator's run budgets and fault tools. Budgets: a livelock (an event
 * that reschedules itself at the same virtual instant forever) fails with
 * BudgetExceeded naming the seed instead of hanging the test run, and so
 * does running past the virtual-time budget. Faults: a one-way cut stops
 * one direction only; a node with clock rate 2 ticks twice as often (its
 * election timer fires sooner, §5.2); a crash point kills a leader after it
 * persisted a Ready and before that Ready's messages leave; skipping quiet
 * ticks (the simulator's default) replays exactly the run that ticks every
 * tick, over ten fuzz seeds of all five fault families; the voter's and the
 * candidate's fsync latencies (Figure 16's broadcast-time split) hold back
 * just the vote grant and the vote request. The two checker
 * rules added for the fuzzer fire on hand-made breaches: the term rule
 * (Figure 2, rules for all servers) and persistence before reply (Figure 2:
 * persistent state is on stable storage before responding to RPCs).
 */
import { describe, expect, test } from "bun:test";
import { BudgetExceeded } from "../impl/raft/sim/budget.ts";
import { SafetyChecker, SafetyViolation } from "../impl/raft/sim/checker.ts";
import { SimCluster } from "../impl/raft/sim/cluster.ts";
import { runFuzzSeed } from "../impl/raft/sim/fuzz.ts";
import { FAULT_FAMILIES, familyOfSeed } from "../impl/raft/sim/fuzz-schedules.ts";
import { MessageType } from "../impl/raft/types.ts";

const base = { electionTimeoutMs: [150, 300] as [number, number], heartbeatMs: 50 };

describe("run budgets", () => {
  test("a livelock at one virtual instant fails on the event budget with its seed", () => {
    const c = new SimCluster({ ...base, nodes: 3, seed: 77, maxEvents: 5000 });
    const spin = (): void => c.at(0, spin);
    c.at(10, spin);
    let err: unknown;
    try {
      c.runFor(1000);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(BudgetExceeded);
    const b = err as BudgetExceeded;
    expect(b.kind).toBe("events");
    expect(b.limit).toBe(5000);
    expect(b.message).toContain("seed 77");
    expect(b.virtualMs).toBeLessThanOrEqual(10);
  });

  test("running past the virtual-time budget fails", () => {
    const c = new SimCluster({ ...base, nodes: 3, seed: 5, maxVirtualMs: 2000 });
    c.runFor(1500);
    expect(() => c.runFor(1000)).toThrow(/virtual-time budget of 2000 ms exceeded \(seed 5\)/);
  });
});

describe("fault tools", () => {
  test("a one-way cut stops only the cut direction", () => {
    const c = new SimCluster({ ...base, nodes: 3, seed: 3, network: { delayMs: [1, 1] } });
    expect(c.runUntil(() => c.leader() !== null, 5000)).toBe(true);
    const l = c.leader()!;
    const f = (l + 1) % 3;
    c.cutLink(l, f); // f no longer hears the leader's heartbeats
    const termBefore = c.term(f);
    c.runFor(2000);
    // f timed out and campaigned although the leader kept sending; its vote
    // requests still reached the old leader (the other direction), which
    // adopted the higher term.
    expect(c.term(f)).toBeGreaterThan(termBefore);
    expect(c.term(l)).toBeGreaterThan(termBefore);
    c.heal();
    expect(c.runUntil(() => c.leader() !== null, 5000)).toBe(true);
  });

  test("clock rate 2 makes a node's election timer fire twice as often", () => {
    // Everyone isolated: each node keeps timing out and starting elections
    // (pre-vote off, so each timeout is a new term); node 0's clock runs 2x.
    const c = new SimCluster({ ...base, nodes: 3, seed: 9, clockRates: [2, 1, 1] });
    for (let id = 0; id < 3; id++) c.disconnect(id);
    c.runFor(6000);
    const slow = Math.max(c.term(1), c.term(2));
    expect(slow).toBeGreaterThan(10);
    expect(c.term(0)).toBeGreaterThan(1.6 * slow);
    expect(c.term(0)).toBeLessThan(2.5 * slow);
    expect(() => new SimCluster({ ...base, nodes: 3, seed: 1, clockRates: [1, 1] })).toThrow(
      /one rate per node/,
    );
  });

  test("a crash point kills the leader after persisting, before its messages leave", () => {
    const c = new SimCluster({ ...base, nodes: 3, seed: 11 });
    expect(c.runUntil(() => c.leader() !== null, 5000)).toBe(true);
    c.runFor(500); // followers acked the no-op: the leader pipelines
    const l = c.leader()!;
    let armed = true;
    let victimMessages = -1;
    c.onReady((id, rd) => {
      if (!armed || id !== l || rd.entries.length === 0) return false;
      armed = false;
      victimMessages = rd.messages.length;
      return true;
    });
    const sentBefore = c.stats().messagesSent;
    c.propose(l, new Uint8Array([1, 2, 3]));
    expect(c.isUp(l)).toBe(false);
    expect(victimMessages).toBeGreaterThan(0); // it had appends to send ...
    expect(c.stats().messagesSent).toBe(sentBefore); // ... and none left
    expect(c.durableHardState(l).term).toBe(c.term(l)); // the entry's Ready was fsynced
  });

  test("skipping quiet ticks is the same run as ticking every tick (trace hash, ops, messages)", () => {
    for (let seed = 1; seed <= 10; seed++) {
      const lazy = runFuzzSeed(seed, { faultMs: 1500, healMs: 2000 });
      const eager = runFuzzSeed(seed, { faultMs: 1500, healMs: 2000, tickEveryTick: true });
      expect(lazy.ok).toBe(true);
      expect([lazy.traceHash, lazy.opsCompleted, lazy.messagesSent]).toEqual([
        eager.traceHash,
        eager.opsCompleted,
        eager.messagesSent,
      ]);
      expect(lazy.events).toBeLessThan(eager.events); // the quiet ticks were skipped
    }
  });

  test("voter and candidate fsync latencies delay exactly the vote grant and the vote request", () => {
    const electedAfterMs = (voter: number, candidate: number) => {
      const c = new SimCluster({
        ...base,
        nodes: 3,
        seed: 4,
        electionTimeoutMs: [1000, 2000],
        network: { delayMs: [1, 1] },
        voterSyncDelayMs: voter,
        candidateSyncDelayMs: candidate,
        tickPhase: false,
      });
      const t0 = c.virtualMs;
      c.campaign(0);
      expect(c.runUntil(() => c.leader() === 0, 500)).toBe(true);
      return c.virtualMs - t0;
    };
    // Request 1 ms on the wire, reply 1 ms: 2 ms, plus each side's sync.
    expect(electedAfterMs(0, 0)).toBeCloseTo(2, 6);
    expect(electedAfterMs(10, 0)).toBeCloseTo(12, 6);
    expect(electedAfterMs(10, 5)).toBeCloseTo(17, 6);
  });

  test("seeds cycle through every fault family", () => {
    const seen = new Set(
      Array.from({ length: FAULT_FAMILIES.length }, (_, i) => familyOfSeed(i + 1)),
    );
    expect([...seen].sort()).toEqual([...FAULT_FAMILIES].sort());
  });
});

describe("checker rules added for the fuzzer", () => {
  const view = (lastIndex: number) => ({
    lastIndex,
    snapshotIndex: 0,
    snapshotTerm: 0,
    termAt: () => 1,
  });

  test("term rule: staying in a lower term after a response of a higher one fires", () => {
    const ck = new SafetyChecker(1);
    ck.observeTermRule(0, MessageType.AppResp, 3, 3, true);
    ck.observeTermRule(0, MessageType.PreVote, 9, 3, false); // pre-vote may not raise the term
    expect(() => ck.observeTermRule(0, MessageType.AppResp, 4, 3, true)).toThrow(SafetyViolation);
    expect(() => ck.observeTermRule(0, MessageType.AppResp, 4, 3, true)).toThrow(/Term rule/);
  });

  test("persistence before reply: a vote or ack not yet durable fires", () => {
    const ck = new SafetyChecker(1);
    const vote = { type: MessageType.VoteResp, from: 1, to: 2, term: 5, reject: false };
    ck.observeReply(1, vote, { term: 5, vote: 2, log: view(0) });
    ck.observeReply(1, { ...vote, reject: true }, { term: 4, vote: 0, log: view(0) });
    expect(() => ck.observeReply(1, vote, { term: 5, vote: 0, log: view(0) })).toThrow(
      /Persistence before reply/,
    );
    const ack = { type: MessageType.AppResp, from: 1, to: 2, term: 5, index: 7 };
    ck.observeReply(1, ack, { term: 5, vote: 2, log: view(7) });
    expect(() => ck.observeReply(1, ack, { term: 5, vote: 2, log: view(6) })).toThrow(
      /acknowledges index 7/,
    );
  });
});
