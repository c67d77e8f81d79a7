/**
 * Fault schedule families for the fuzzer (fuzz.ts). Each seed runs one
 * family, named in its failure report. A random mix of faults rarely lines
 * up the few events a deep Raft bug needs, so the families aim at them:
 *
 * - random: partitions, crashes, restarts, disconnects, network changes,
 *   leadership transfers, and crashes right after a node votes or acks.
 * - leader-moments: the leader crashes right after it advances its commit
 *   index, right after it sends AppendEntries, or a voter or the candidate
 *   crashes right after a vote is granted (the moments Figure 2's
 *   persistence and commit rules protect).
 * - figure8-churn: the 6.824 "Figure 8 unreliable" pattern: propose at the
 *   leader, wait a few ms, crash the leader, restart a random node when a
 *   majority is down; entries go one per message, so an old-term entry can
 *   reach a majority before the new leader's own entry does (§5.4.2).
 * - one-way-links: A hears B but B does not hear A (plus crashes).
 * - clock-skew: every node's clock runs at its own rate in [0.8, 1.25], so
 *   election and heartbeat timers drift apart (plus the random mix).
 */
import type { Rng } from "../../core/rng.ts";
import { MessageType } from "../types.ts";
import type { SimCluster, SimClusterOptions } from "./cluster.ts";
import { encodeKvCommand } from "./kv.ts";
import type { NetworkOptions } from "./network.ts";

export const FAULT_FAMILIES = [
  "random",
  "leader-moments",
  "figure8-churn",
  "one-way-links",
  "clock-skew",
] as const;
export type FaultFamily = (typeof FAULT_FAMILIES)[number];

/** The family a seed runs: round robin, so N seeds give each family N/5 of them. */
export function familyOfSeed(seed: number): FaultFamily {
  return FAULT_FAMILIES[(seed >>> 0) % FAULT_FAMILIES.length]!;
}

/** Shared between the driver and a family's hooks. */
export interface FaultContext {
  inFaultPhase: boolean;
  faults: number;
}

export interface FaultSchedule {
  /** Cluster options this family needs (merged over the seed's random ones). */
  options: Partial<SimClusterOptions>;
  /** The fault phase lasts faultMs times this (default 1). */
  faultPhaseScale?: number;
  /** Hooks installed once, before the run. */
  install(c: SimCluster): void;
  /** Runs one slice of the fault phase: some virtual time, then a fault. */
  step(c: SimCluster): void;
}

/** Client id for the churn family's own proposals (no KvClients client uses it). */
const CHURN_CLIENT = 1_000_001;
/** The churn phase runs this many times faultMs: a Figure 8 needs several leader lifetimes to line up. */
const FIGURE8_PHASE_SCALE = 3;
/** Named limit: a crashed node comes back within this many virtual ms in the targeted families. */
const MAX_DOWN_MS = 300;

export function makeSchedule(
  family: FaultFamily,
  rng: Rng,
  ctx: FaultContext,
  nodes: number,
): FaultSchedule {
  const random = (c: SimCluster) => {
    c.runFor(rng.chance(0.2) ? rng.int(1000) : rng.int(150));
    injectRandomFault(c, rng);
    ctx.faults++;
  };
  switch (family) {
    case "random":
      return { options: {}, install: (c) => crashAfterReplies(c, rng, ctx), step: random };
    case "leader-moments":
      return {
        options: {},
        install: (c) => crashAtLeaderMoments(c, rng, ctx),
        step: (c) => {
          c.runFor(rng.int(200));
          if (rng.chance(0.25)) random(c);
        },
      };
    case "figure8-churn":
      return {
        // Short timers on a fast network: many more leader lifetimes per virtual second.
        faultPhaseScale: FIGURE8_PHASE_SCALE,
        options: {
          maxEntriesPerMsg: 1,
          maxInflightMsgs: 1,
          electionTimeoutMs: [60, 120],
          heartbeatMs: 15,
          network: { ...randomNetwork(rng), delayMs: [0, 2 + rng.int(10)] },
        },
        // The leader also crashes right after it advances its commit index: the
        // moment an entry committed against §5.4.2 is exposed.
        install: (c) => {
          crashLeaderAfterCommit(c, rng, ctx, 0.3 + rng.next() * 0.5);
          crashLeaderAfterAppend(c, rng, ctx, 0.1 + rng.next() * 0.3);
        },
        step: churnStep(rng, ctx),
      };
    case "one-way-links":
      return {
        options: {},
        install: () => {},
        step: (c) => {
          c.runFor(rng.chance(0.2) ? rng.int(1000) : rng.int(150));
          injectOneWayFault(c, rng);
          ctx.faults++;
        },
      };
    case "clock-skew":
      return {
        options: { clockRates: skewedClockRates(rng, nodes) },
        install: () => {},
        step: random,
      };
  }
}

/**
 * Named limit: clock rates lie in [1 / MAX_CLOCK_RATE, MAX_CLOCK_RATE]. Raft
 * needs heartbeat + delay < election timeout as each node measures them;
 * with 50 ms heartbeats, 150 ms minimum timeouts and up to 26 ms delay after
 * healing, 1.25 keeps that (62.5 + 26 < 120 ms), so a liveness failure is a
 * bug and not the schedule. At 2 (tried first) a fast follower outruns a slow
 * leader's heartbeats for good: seed 1744 never settled.
 */
const MAX_CLOCK_RATE = 1.25;

/** Per-node clock rates, log-uniform in [1 / MAX_CLOCK_RATE, MAX_CLOCK_RATE], for the clock-skew family. */
export function skewedClockRates(rng: Rng, nodes: number): number[] {
  return Array.from({ length: nodes }, () => MAX_CLOCK_RATE ** (rng.next() * 2 - 1));
}

export function randomNetwork(rng: Rng): Partial<NetworkOptions> {
  const maxDelay = 5 + rng.int(45);
  return {
    delayMs: [0, maxDelay],
    dropRate: rng.chance(0.5) ? rng.next() * 0.2 : 0,
    duplicateRate: rng.chance(0.5) ? rng.next() * 0.1 : 0,
    reorderRate: rng.chance(0.5) ? rng.next() * 0.2 : 0,
    reorderExtraMs: 50 + rng.int(300),
    longDelayRate: rng.chance(0.3) ? rng.next() * 0.01 : 0,
    longDelayMs: 500 + rng.int(3000),
  };
}

/** Crashes `id` now (from an event, not mid-Ready) and restarts it within MAX_DOWN_MS. */
function crashSoon(c: SimCluster, rng: Rng, ctx: FaultContext, id: number): void {
  c.at(0, () => {
    if (!ctx.inFaultPhase || !c.isUp(id)) return;
    c.crash(id);
    ctx.faults++;
    c.at(1 + rng.int(MAX_DOWN_MS), () => {
      if (ctx.inFaultPhase) c.restart(id);
    });
  });
}

/** Right after a node grants a vote or acknowledges entries: where a missing fsync is lost. */
function crashAfterReplies(c: SimCluster, rng: Rng, ctx: FaultContext): void {
  if (!rng.chance(0.5)) return;
  const rate = 0.05 + rng.next() * 0.2;
  c.onSend((m) => {
    const reply =
      (m.type === MessageType.VoteResp && !m.reject) ||
      (m.type === MessageType.AppResp && !m.reject);
    if (ctx.inFaultPhase && reply && rng.chance(rate)) crashSoon(c, rng, ctx, m.from);
  });
}

/**
 * With probability `rate`, a leader dies right after a Ready that advances
 * its commit index: persisted, but before its messages (the next entries,
 * the new commit index) leave. It comes back within MAX_DOWN_MS.
 */
function crashLeaderAfterCommit(c: SimCluster, rng: Rng, ctx: FaultContext, rate: number): void {
  const lastCommit: number[] = [];
  c.onReady((id, rd) => {
    if (!rd.hardState) return false;
    const advanced = rd.hardState.commit > (lastCommit[id] ?? 0);
    lastCommit[id] = rd.hardState.commit;
    if (!ctx.inFaultPhase || !advanced || c.role(id) !== "leader" || !rng.chance(rate))
      return false;
    ctx.faults++;
    c.at(1 + rng.int(MAX_DOWN_MS), () => {
      if (ctx.inFaultPhase) c.restart(id);
    });
    return true;
  });
}

/**
 * With probability `rate`, a leader dies right after persisting new entries
 * of its own term, before sending them: Figure 8's (b), an entry only the
 * crashed leader holds, which a later leader of a lower last term may
 * overwrite. It comes back within MAX_DOWN_MS.
 */
function crashLeaderAfterAppend(c: SimCluster, rng: Rng, ctx: FaultContext, rate: number): void {
  c.onReady((id, rd) => {
    if (!ctx.inFaultPhase || rd.entries.length === 0 || c.role(id) !== "leader") return false;
    if (!rng.chance(rate)) return false;
    ctx.faults++;
    c.at(1 + rng.int(MAX_DOWN_MS), () => {
      if (ctx.inFaultPhase) c.restart(id);
    });
    return true;
  });
}

function crashAtLeaderMoments(c: SimCluster, rng: Rng, ctx: FaultContext): void {
  const appendRate = 0.005 + rng.next() * 0.05;
  const voteRate = 0.05 + rng.next() * 0.3;
  crashLeaderAfterCommit(c, rng, ctx, 0.02 + rng.next() * 0.2);
  c.onSend((m) => {
    if (!ctx.inFaultPhase) return;
    if (m.type === MessageType.App && (m.entries?.length ?? 0) > 0 && rng.chance(appendRate)) {
      crashSoon(c, rng, ctx, m.from);
    } else if (m.type === MessageType.VoteResp && !m.reject && rng.chance(voteRate)) {
      crashSoon(c, rng, ctx, rng.chance(0.5) ? m.from : m.to);
    }
  });
}

/** One round of Figure 8 churn: propose, short wait, crash the leader, keep a majority possible. */
function churnStep(rng: Rng, ctx: FaultContext): (c: SimCluster) => void {
  let seq = 0;
  return (c) => {
    for (let id = 0; id < c.size; id++) {
      if (!c.isUp(id) || c.role(id) !== "leader") continue;
      seq++;
      c.propose(id, encodeKvCommand({ c: CHURN_CLIENT, s: seq, k: "put", key: "f8", v: `${seq}` }));
    }
    c.runFor(rng.chance(0.1) ? rng.int(500) : rng.int(13));
    const l = c.leader();
    if (l !== null) {
      c.crash(l);
      ctx.faults++;
    }
    let up = 0;
    for (let id = 0; id < c.size; id++) if (c.isUp(id)) up++;
    if (up <= c.size / 2) {
      const down = Array.from({ length: c.size }, (_, i) => i).filter((i) => !c.isUp(i));
      c.restart(down[rng.int(down.length)]!);
    }
  };
}

function injectRandomFault(c: SimCluster, rng: Rng): void {
  const n = c.size;
  const id = rng.int(n);
  switch (rng.int(9)) {
    case 0: {
      // A random split: shuffle by random keys, cut at a random point.
      const ids = Array.from({ length: n }, (_, i) => [rng.next(), i] as const);
      ids.sort((a, b) => a[0] - b[0]);
      const cut = 1 + rng.int(n - 1);
      c.partition([ids.slice(0, cut).map((x) => x[1]), ids.slice(cut).map((x) => x[1])]);
      break;
    }
    case 1:
      c.heal();
      break;
    case 2:
      c.crash(id);
      break;
    case 3:
    case 4:
      c.restart(id);
      break;
    case 5:
      c.disconnect(id);
      break;
    case 6:
      c.connect(id);
      break;
    case 7:
      c.setNetwork(randomNetwork(rng));
      break;
    case 8: {
      const l = c.leader();
      if (l !== null) c.transferLeadership(l, rng.int(n));
      break;
    }
  }
}

function injectOneWayFault(c: SimCluster, rng: Rng): void {
  const n = c.size;
  const a = rng.int(n);
  const b = (a + 1 + rng.int(n - 1)) % n;
  switch (rng.int(6)) {
    case 0:
    case 1: {
      // Often cut the leader's outbound or inbound side: the asymmetric cases that matter.
      const l = c.leader();
      if (l !== null && l !== b && rng.chance(0.5)) {
        if (rng.chance(0.5)) c.cutLink(l, b);
        else c.cutLink(b, l);
      } else c.cutLink(a, b);
      break;
    }
    case 2:
      c.restoreLink(a, b);
      break;
    case 3:
      c.heal();
      break;
    case 4:
      c.crash(a);
      break;
    case 5:
      c.restart(a);
      break;
  }
}
