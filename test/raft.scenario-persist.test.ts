/**
 * Raft scenarios with crashes and unreliable networks, modeled on the MIT
 * 6.824 lab 2C tests: persistence across crashes (Figure 2's "updated on
 * stable storage before responding to RPCs"), the Figure 8 case (§5.4.2: a
 * leader must not count replicas of older-term entries toward commitment) on
 * reliable and unreliable networks, and churn. SimCluster's crash keeps only
 * fsynced state; the safety checker runs after every event. Each test names
 * its seed.
 */
import { describe, expect, test } from "bun:test";
import { Rng } from "../impl/core/rng.ts";
import type { SimCluster } from "../impl/raft/sim/cluster.ts";
import {
  bytesEqual,
  checkOneLeader,
  labCluster as cluster,
  enc,
  LAB_ELECTION_MS,
  LAB_RELIABLE_NETWORK,
  nCommitted,
  one,
} from "../impl/raft/sim/harness.ts";

const ELECTION_MS = LAB_ELECTION_MS;
const RELIABLE = LAB_RELIABLE_NETWORK;
/** The lab's unreliable network: lost messages, short delays, some reordering. */
const UNRELIABLE = {
  delayMs: [0, 27] as [number, number],
  dropRate: 0.1,
  duplicateRate: 0.02,
  reorderRate: 0.05,
  reorderExtraMs: 100,
};

function crashRestart(c: SimCluster, id: number): void {
  c.crash(id);
  c.restart(id);
}

describe("2C: persistence", () => {
  test("persist 1: whole-cluster and single-node restarts keep the log", () => {
    const c = cluster(3, 31);
    one(c, enc(11), 3);
    for (let id = 0; id < 3; id++) c.crash(id);
    for (let id = 0; id < 3; id++) c.restart(id);
    one(c, enc(12), 3);
    const leader1 = checkOneLeader(c);
    crashRestart(c, leader1);
    one(c, enc(13), 3);
    const leader2 = checkOneLeader(c);
    c.crash(leader2);
    one(c, enc(14), 2);
    c.restart(leader2);
    const i4 = one(c, enc(15), 3);
    const i3 = (checkOneLeader(c) + 1) % 3;
    c.crash(i3);
    one(c, enc(16), 2);
    c.restart(i3);
    one(c, enc(17), 3);
    expect(nCommitted(c, i4).count).toBe(3);
  });

  test("persist 2: repeated partial crashes and disconnections, 5 servers", () => {
    const c = cluster(5, 32);
    let v = 10;
    for (let iter = 0; iter < 5; iter++) {
      one(c, enc(v++), 5);
      const leader1 = checkOneLeader(c);
      c.disconnect((leader1 + 1) % 5);
      c.disconnect((leader1 + 2) % 5);
      one(c, enc(v++), 3);
      c.disconnect(leader1);
      c.disconnect((leader1 + 3) % 5);
      c.disconnect((leader1 + 4) % 5);
      for (const k of [1, 2]) {
        crashRestart(c, (leader1 + k) % 5);
        c.connect((leader1 + k) % 5);
      }
      c.runFor(ELECTION_MS);
      crashRestart(c, (leader1 + 3) % 5);
      c.connect((leader1 + 3) % 5);
      one(c, enc(v++), 3);
      c.connect((leader1 + 4) % 5);
      c.connect(leader1);
    }
    one(c, enc(1000), 5);
  });

  test("persist 3: a partitioned leader and a follower crash; the leader restarts", () => {
    const c = cluster(3, 33);
    one(c, enc(101), 3);
    const leader = checkOneLeader(c);
    c.disconnect((leader + 2) % 3);
    one(c, enc(102), 2);
    c.crash(leader);
    c.crash((leader + 1) % 3);
    c.connect((leader + 2) % 3);
    c.restart(leader);
    one(c, enc(103), 2);
    c.restart((leader + 1) % 3);
    one(c, enc(104), 3);
  });
});

/** The lab's Figure 8 test: leaders crash (or vanish) at random moments while proposing. */
function figure8(
  c: SimCluster,
  rng: Rng,
  iters: number,
  vanish: "crash" | "disconnect",
  longReorderAt?: number,
): void {
  one(c, enc(rng.int(10000)), 1);
  let nup = c.size;
  const isIn = (id: number) => (vanish === "crash" ? c.isUp(id) : c.isConnected(id));
  for (let iter = 0; iter < iters; iter++) {
    if (iter === longReorderAt) c.setNetwork({ reorderRate: 0.3, reorderExtraMs: 2000 });
    let leader = -1;
    for (let id = 0; id < c.size; id++)
      if (isIn(id) && c.propose(id, enc(rng.int(10000)))) leader = id;
    c.runFor(rng.next() < 0.1 ? rng.int(ELECTION_MS / 2) : rng.int(13));
    if (leader !== -1 && isIn(leader)) {
      if (vanish === "crash") c.crash(leader);
      else c.disconnect(leader);
      nup--;
    }
    if (nup < 3) {
      const s = rng.int(c.size);
      if (!isIn(s)) {
        if (vanish === "crash") c.restart(s);
        else c.connect(s);
        nup++;
      }
    }
  }
  c.setNetwork(RELIABLE);
  for (let id = 0; id < c.size; id++) {
    if (vanish === "crash") c.restart(id);
    else c.connect(id);
  }
  one(c, enc(rng.int(10000)), c.size);
}

describe("2C: Figure 8 (§5.4.2)", () => {
  test("Figure 8, reliable network: 1000 rounds of leader crashes, then full agreement", () => {
    const c = cluster(5, 34);
    figure8(c, new Rng(34), 1000, "crash");
    expect(c.checker!.counts.leaderLogChecks).toBeGreaterThan(10); // many leaders came and went
  });

  test("Figure 8, unreliable network with long reordering: 1000 rounds, then full agreement", () => {
    const c = cluster(5, 35, { network: UNRELIABLE });
    figure8(c, new Rng(35), 1000, "disconnect", 200);
  });
});

describe("2C: unreliable networks and churn", () => {
  test("unreliable agree: 50 rounds of 5 commands each on a lossy, reordering network", () => {
    const c = cluster(5, 36, { network: UNRELIABLE });
    const rng = new Rng(36);
    for (let iter = 1; iter < 50; iter++) {
      for (let j = 0; j < 4; j++) {
        const l = c.leader();
        if (l !== null) c.propose(l, enc(100 * iter + j));
        c.runFor(rng.int(5));
      }
      one(c, enc(iter), 1);
    }
    c.setNetwork(RELIABLE);
    one(c, enc(100), 5);
  });

  for (const unreliable of [false, true]) {
    test(`churn (${unreliable ? "unreliable" : "reliable"}): crashes, restarts and cuts while clients propose`, () => {
      const seed = unreliable ? 38 : 37;
      const c = cluster(5, seed, { network: unreliable ? UNRELIABLE : RELIABLE });
      const rng = new Rng(seed);
      const proposed: Array<{ index: number; data: Uint8Array }> = [];
      let value = 0;
      // Clients: every ~7 ms a command goes to a random node (accepted only by leaders).
      const client = () => {
        const id = rng.int(5);
        const data = enc(`v${value++}`);
        const at = c.propose(id, data);
        if (at) proposed.push({ index: at.index, data });
        if (c.virtualMs < 10_000) c.at(1 + rng.int(12), client);
      };
      c.at(0, client);
      for (let iter = 0; iter < 20; iter++) {
        const id = rng.int(5);
        const r = rng.next();
        if (r < 0.2) c.disconnect(id);
        else if (r < 0.5) c.connect(id);
        else if (r < 0.6) c.crash(id);
        else if (r < 0.9) c.restart(id);
        c.runFor((ELECTION_MS * 7) / 10 + rng.int(ELECTION_MS));
      }
      c.runFor(Math.max(0, 10_100 - c.virtualMs));
      c.setNetwork(RELIABLE);
      for (let id = 0; id < 5; id++) {
        c.restart(id);
        c.connect(id);
      }
      const last = one(c, enc("final"), 5);
      // Every proposal that ended up committed at its index is agreed by all 5.
      let committed = 0;
      for (const p of proposed) {
        if (p.index > last) continue;
        const { count, data } = nCommitted(c, p.index);
        if (data && bytesEqual(data, p.data)) {
          expect(count).toBe(5);
          committed++;
        }
      }
      expect(committed).toBeGreaterThan(10);
    });
  }
});
