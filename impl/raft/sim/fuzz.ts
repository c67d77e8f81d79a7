/**
 * One fuzz trial: a 3- or 5-node cluster with a KV workload under a seeded
 * random fault schedule (partitions, crashes and restarts, disconnects, drop,
 * duplicate, reorder, long delays, leadership transfers, snapshots), then a
 * healing phase. Fails on any safety violation (the checker runs after every
 * event), on a non-linearizable client history, on divergent applied
 * histories, or on lost liveness (no leader, or no progress, after healing).
 * Everything derives from the seed, so `runFuzzSeed(seed)` replays a failure.
 */
import { Rng } from "../../core/rng.ts";
import { MessageType } from "../types.ts";
import { SimCluster } from "./cluster.ts";
import { bytesEqual, one } from "./harness.ts";
import { encodeKvCommand, KvClients, KvStore } from "./kv.ts";
import { checkKvHistory } from "./linearizability.ts";

export interface FuzzOptions {
  /** Virtual ms of faults before healing. Default 3000. */
  faultMs?: number;
  /** Virtual ms allowed for recovery after healing. Default 5000. */
  healMs?: number;
  /** Encode every message with the binary codec. Default: every 4th seed. */
  wireCodec?: boolean;
}

export interface FuzzResult {
  seed: number;
  ok: boolean;
  error?: string;
  nodes: number;
  virtualMs: number;
  messagesSent: number;
  events: number;
  opsCompleted: number;
  faults: number;
  linearizability: string;
}

/** The fuzzed clusters' election timeout range, ms: a heal window shorter than its top cannot elect a leader. */
export const FUZZ_ELECTION_TIMEOUT_MS: readonly [number, number] = [150, 300];

export function runFuzzSeed(seed: number, options: FuzzOptions = {}): FuzzResult {
  const rng = new Rng(seed).fork(4242);
  const faultMs = options.faultMs ?? 3000;
  const healMs = options.healMs ?? 5000;
  const nodes = rng.chance(0.7) ? 5 : 3;
  const pick = <T>(xs: readonly T[]): T => xs[rng.int(xs.length)]!;
  const c = new SimCluster({
    nodes,
    seed,
    electionTimeoutMs: [...FUZZ_ELECTION_TIMEOUT_MS],
    heartbeatMs: 50,
    tickMs: 1,
    preVote: rng.chance(0.5),
    checkQuorum: rng.chance(0.5),
    maxEntriesPerMsg: pick([1, 4, 64, 256]),
    maxInflightMsgs: pick([1, 4, 256]),
    wireCodec: options.wireCodec ?? seed % 4 === 0,
    network: randomNetwork(rng),
    stateMachine: () => new KvStore(),
  });
  if (rng.chance(0.5)) c.snapshotEvery(pick([5, 20, 100]));
  // Targeted crashes: right after a node grants a vote or acknowledges entries,
  // the moment a missing fsync would be lost (Figure 2: persist before replying).
  const crashAfterReplyRate = rng.chance(0.5) ? 0.05 + rng.next() * 0.2 : 0;
  let inFaultPhase = true;
  if (crashAfterReplyRate > 0) {
    c.onSend((m) => {
      const reply =
        (m.type === MessageType.VoteResp && !m.reject) ||
        (m.type === MessageType.AppResp && !m.reject);
      if (!inFaultPhase || !reply || !rng.chance(crashAfterReplyRate)) return;
      const id = m.from;
      c.at(0, () => {
        c.crash(id);
        c.at(1 + rng.int(50), () => {
          if (inFaultPhase) c.restart(id);
        });
      });
    });
  }
  const clients = new KvClients(c, { clients: 1 + rng.int(5), keys: 1 + rng.int(4), seed });
  clients.start(faultMs + healMs / 2);
  let faults = 0;
  const result = (ok: boolean, error?: string, lin = "not checked"): FuzzResult => ({
    seed,
    ok,
    error,
    nodes,
    virtualMs: c.virtualMs,
    messagesSent: c.stats().messagesSent,
    events: c.stats().events,
    opsCompleted: clients.completed,
    faults,
    linearizability: lin,
  });
  try {
    while (c.virtualMs < faultMs) {
      c.runFor(rng.chance(0.2) ? rng.int(1000) : rng.int(150));
      injectFault(c, rng, pick);
      faults++;
    }
    // Heal: everyone up, connected, on a reliable network.
    inFaultPhase = false;
    c.heal();
    c.setNetwork({
      delayMs: [0, 26],
      dropRate: 0,
      duplicateRate: 0,
      reorderRate: 0,
      longDelayRate: 0,
    });
    for (let id = 0; id < nodes; id++) {
      c.restart(id);
      c.connect(id);
    }
    if (!c.runUntil(() => c.leader() !== null, healMs))
      return result(false, `liveness: no leader ${healMs} ms after healing`);
    // Throws if the healed cluster makes no progress (a write on a key no client uses).
    one(c, encodeKvCommand({ c: 1_000_000, s: 1, k: "put", key: "fuzz-final", v: "1" }), nodes);
    c.runFor(healMs);
    const history = clients.finish();
    const agree = checkAgreement(c);
    if (agree) return result(false, agree);
    const lin = checkKvHistory(history);
    const linText = `${lin.result} (${history.length} ops, ${lin.searchSteps} steps)`;
    if (lin.result === "violation") return result(false, `linearizability: ${lin.detail}`, linText);
    return result(true, undefined, linText);
  } catch (e) {
    return result(false, e instanceof Error ? e.message : String(e));
  }
}

function randomNetwork(rng: Rng) {
  const maxDelay = 5 + rng.int(45);
  return {
    delayMs: [0, maxDelay] as [number, number],
    dropRate: rng.chance(0.5) ? rng.next() * 0.2 : 0,
    duplicateRate: rng.chance(0.5) ? rng.next() * 0.1 : 0,
    reorderRate: rng.chance(0.5) ? rng.next() * 0.2 : 0,
    reorderExtraMs: 50 + rng.int(300),
    longDelayRate: rng.chance(0.3) ? rng.next() * 0.01 : 0,
    longDelayMs: 500 + rng.int(3000),
  };
}

function injectFault(c: SimCluster, rng: Rng, pick: <T>(xs: readonly T[]) => T): void {
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
      if (l !== null) c.transferLeadership(l, pick(Array.from({ length: n }, (_, i) => i)));
      break;
    }
  }
}

/** All nodes applied the same commands at the same indexes (their histories are prefixes of one another). */
function checkAgreement(c: SimCluster): string | null {
  const longest = Array.from({ length: c.size }, (_, id) => c.applied(id)).sort(
    (a, b) => b.length - a.length,
  )[0]!;
  for (let id = 0; id < c.size; id++) {
    const mine = c.applied(id);
    for (let i = 0; i < mine.length; i++) {
      const a = mine[i]!;
      const b = longest[i]!;
      if (a.index !== b.index || a.term !== b.term || !bytesEqual(a.data, b.data)) {
        return `agreement: node ${id} applied index ${a.index} term ${a.term}, another node index ${b.index} term ${b.term} at position ${i}`;
      }
    }
  }
  return null;
}
