/**
 * One fuzz trial: a 3- or 5-node cluster with a KV workload under one fault
 * schedule family (fuzz-schedules.ts: random, leader-moments, figure8-churn,
 * one-way-links, clock-skew), then a healing phase. Fails on any safety
 * violation (the checker runs after every event), on a non-linearizable
 * client history, on divergent applied histories, on lost liveness (no
 * leader, or no progress, after healing), or on exceeding the run's event or
 * virtual-time budget (a livelock fails with its seed instead of hanging).
 * Everything derives from the seed, so `runFuzzSeed(seed)` replays a failure.
 */
import { Rng } from "../../core/rng.ts";
import { BudgetExceeded } from "./budget.ts";
import { SafetyViolation } from "./checker.ts";
import { SimCluster } from "./cluster.ts";
import {
  type FaultContext,
  type FaultFamily,
  familyOfSeed,
  makeSchedule,
  randomNetwork,
} from "./fuzz-schedules.ts";
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
  /** Run this family instead of the seed's own (familyOfSeed). */
  family?: FaultFamily;
  /** Event budget of the run. Default FUZZ_MAX_EVENTS. */
  maxEvents?: number;
  /** SimClusterOptions.tickEveryTick (tests compare it with the default). */
  tickEveryTick?: boolean;
}

/** Named limit: events per fuzz seed (a healthy seed runs under 200k; a livelock fails here). */
export const FUZZ_MAX_EVENTS = 3_000_000;
/** Virtual ms past faultMs + 2 x healMs a seed may use: the final write's retries (harness.one, up to 12 s) and the last fault slice. */
const FUZZ_SLACK_MS = 15_000;

/** What fired: a Figure 3 property, or how else the run failed. */
export type FuzzInvariant = string;

export interface FuzzResult {
  seed: number;
  family: FaultFamily;
  ok: boolean;
  error?: string;
  /** The property that fired (e.g. "Leader Completeness", "liveness", "budget (events)"). */
  invariant?: FuzzInvariant;
  nodes: number;
  virtualMs: number;
  messagesSent: number;
  events: number;
  opsCompleted: number;
  faults: number;
  linearizability: string;
  /** Fingerprint of every delivered message (trace.ts): equal across replays of the seed. */
  traceHash: number;
}

/** The fuzzed clusters' election timeout range, ms: a heal window shorter than its top cannot elect a leader. */
export const FUZZ_ELECTION_TIMEOUT_MS: readonly [number, number] = [150, 300];

export function runFuzzSeed(seed: number, options: FuzzOptions = {}): FuzzResult {
  const rng = new Rng(seed).fork(4242);
  const healMs = options.healMs ?? 5000;
  const family = options.family ?? familyOfSeed(seed);
  const nodes = rng.chance(0.7) ? 5 : 3;
  const pick = <T>(xs: readonly T[]): T => xs[rng.int(xs.length)]!;
  const ctx: FaultContext = { inFaultPhase: true, faults: 0 };
  const schedule = makeSchedule(family, rng.fork(7), ctx, nodes);
  const faultMs = (options.faultMs ?? 3000) * (schedule.faultPhaseScale ?? 1);
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
    maxEvents: options.maxEvents ?? FUZZ_MAX_EVENTS,
    tickEveryTick: options.tickEveryTick,
    maxVirtualMs: faultMs + 2 * healMs + FUZZ_SLACK_MS,
    ...schedule.options,
  });
  if (rng.chance(0.5)) c.snapshotEvery(pick([5, 20, 100]));
  schedule.install(c);
  const clients = new KvClients(c, { clients: 1 + rng.int(5), keys: 1 + rng.int(4), seed });
  clients.start(faultMs + healMs / 2);
  const result = (ok: boolean, error?: string, lin = "not checked"): FuzzResult => ({
    seed,
    family,
    ok,
    error,
    invariant: error === undefined ? undefined : invariantOf(error),
    nodes,
    virtualMs: c.virtualMs,
    messagesSent: c.stats().messagesSent,
    events: c.stats().events,
    opsCompleted: clients.completed,
    faults: ctx.faults,
    linearizability: lin,
    traceHash: c.trace.hash,
  });
  try {
    while (c.virtualMs < faultMs) schedule.step(c);
    ctx.inFaultPhase = false;
    healAll(c);
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
    if (e instanceof SafetyViolation || e instanceof BudgetExceeded)
      return result(false, e.message);
    const msg = e instanceof Error ? e.message : String(e);
    return result(false, msg.startsWith("one(") ? `liveness: ${msg}` : `assertion: ${msg}`);
  }
}

/** Everyone up, connected, on a reliable network. */
function healAll(c: SimCluster): void {
  c.heal();
  c.setNetwork({
    delayMs: [0, 26],
    dropRate: 0,
    duplicateRate: 0,
    reorderRate: 0,
    longDelayRate: 0,
  });
  for (let id = 0; id < c.size; id++) {
    c.restart(id);
    c.connect(id);
  }
}

/** The property named by a failure message: the checker's "X violated", or its kind prefix. */
function invariantOf(error: string): FuzzInvariant {
  const violated = /^(.+?) violated at virtual/.exec(error);
  if (violated) return violated[1]!;
  if (error.startsWith("budget: event")) return "budget (events)";
  if (error.startsWith("budget: virtual")) return "budget (virtual time)";
  return error.split(":")[0]!;
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
