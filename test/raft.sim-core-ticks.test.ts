/**
 * The engine's choice of the next event: SimCore keeps the earliest node
 * tick as tick times change instead of scanning every node before each
 * event. A test subclass re-derives, before every event, what the full scan
 * gives (the earliest tick, the lowest node id on a tie; a tick due with a
 * queued event runs first) and fails on any difference. Run with every
 * node's tick phase at 0, so several nodes tick at the same instant all the
 * time (with tickEveryTick, at every tick), with clock rates that differ,
 * crashes and restarts (a node's ticks stop and start again) and client
 * proposals. Both the tie rule and the rescan when the earliest node's tick
 * moves later were checked to fail this test when broken.
 */
import { expect, test } from "bun:test";
import { SimCluster, type SimClusterOptions } from "../impl/raft/sim/cluster.ts";
import { enc } from "../impl/raft/sim/harness.ts";

class ScanCheckedCluster extends SimCluster {
  checked = 0;
  mismatches: string[] = [];

  constructor(o: SimClusterOptions) {
    super(o);
  }

  protected override nextEventMs(): number {
    const got = super.nextEventMs();
    let tickId = -1;
    let tickMs = Number.POSITIVE_INFINITY;
    for (let id = 0; id < this.nextTickMs.length; id++) {
      if (this.nextTickMs[id]! < tickMs) {
        tickMs = this.nextTickMs[id]!;
        tickId = id;
      }
    }
    const headMs = this.queue.peekTimeMs();
    const wantId = tickId >= 0 && tickMs <= headMs ? tickId : -1;
    const wantMs = wantId >= 0 ? tickMs : headMs;
    this.checked++;
    if ((got !== wantMs || this.dueTickId !== wantId) && this.mismatches.length < 5)
      this.mismatches.push(
        `at ${this.nowMs}: got ${got}/${this.dueTickId}, scan ${wantMs}/${wantId}`,
      );
    return got;
  }
}

test.each([false, true])(
  "the next event is the one a scan of every node's tick would pick, ties included (tickEveryTick %p)",
  (tickEveryTick) => {
    const c = new ScanCheckedCluster({
      nodes: 5,
      seed: 7,
      electionTimeoutMs: [150, 300],
      heartbeatMs: 50,
      tickPhase: false,
      clockRates: [1, 1, 1, 0.5, 2],
      // Every tick an event: the nodes at rate 1 tie at every whole millisecond.
      tickEveryTick,
    });
    for (let round = 0; round < 60; round++) {
      const l = c.leader();
      if (l !== null) c.propose(l, enc(`r${round}`));
      if (round % 10 === 3) c.crash(round % 5);
      if (round % 10 === 6) c.restart((round - 3) % 5);
      c.runFor(53);
    }
    expect(c.mismatches).toEqual([]);
    expect(c.checked).toBeGreaterThan(1000);
    expect(c.stats().events).toBeGreaterThan(1000);
  },
);
