/**
 * The Raft paper's leader-election experiment (Ongaro and Ousterhout 2014,
 * §9.3, Figure 16), one trial at a time, in virtual time.
 *
 * Paper setup, and how each part is modeled here:
 * - 5 servers; the leader is crashed and the time until a new leader is
 *   elected is measured ("time without leader").
 * - "the servers in each trial had different log lengths, so some candidates
 *   were not eligible to become leader": before the crash the leader commits
 *   one entry that two randomly chosen followers never receive (their App
 *   messages are filtered), so 2 of the 4 survivors cannot win (§5.4.1).
 * - "a synchronized broadcast of heartbeat RPCs from the leader before
 *   terminating": we wait for a heartbeat broadcast, then crash the leader
 *   at a uniformly random point within its heartbeat interval, which is
 *   half the minimum election timeout; so the smallest possible downtime is
 *   about half the minimum election timeout, as in the paper.
 * - broadcast time about 15 ms: one-way delays uniform in [7, 8] ms (a
 *   15 ms round trip). The paper does not give the jitter; it matters, since
 *   with no timeout randomness only jitter separates the candidates (try
 *   oneWayDelayMs [5, 10] to see split votes resolve much faster). Disk
 *   writes before replying are not modeled separately: they are in the delay.
 * - timers: election timeouts uniform in [min, max) drawn in ticks of
 *   tickMs (default 0.1 ms, fine enough for the 150-151 ms line), each node's
 *   clock at a random phase.
 * A trial that elects no leader within capMs (default 10 s, the paper's
 * "longer than 10 seconds" for 150-150 ms) is recorded as censored.
 *
 * Pure: the result depends only on the arguments (the seed drives the whole
 * simulation); no I/O, no wall clock.
 */
import { assert } from "../../core/assert.ts";
import { Rng } from "../../core/rng.ts";
import { MessageType } from "../types.ts";
import { SimCluster } from "./cluster.ts";

export interface ElectionTrialOptions {
  /** Election timeout range [min, max] ms; max == min means no randomness. */
  timeoutMs: [number, number];
  seed: number;
  preVote: boolean;
  /** One-way network delay range, ms. Default [7, 8]: a 15 ms round trip (the paper's broadcast time) with 1 ms of jitter. */
  oneWayDelayMs?: [number, number];
  /** Timer resolution, ms. Default 0.1. */
  tickMs?: number;
  /** Give up (censor) after this many virtual ms without a leader. Default 10,000. */
  capMs?: number;
}

export interface ElectionTrialResult {
  /** Virtual ms from the leader's crash until a new leader was elected (capMs if censored). */
  timeWithoutLeaderMs: number;
  /** True when no leader was elected within capMs. */
  censored: boolean;
  /** Terms started after the crash (1 = the first election succeeded). */
  electionTerms: number;
  /** Where in its heartbeat interval the leader was crashed, ms after the broadcast. */
  crashOffsetMs: number;
  seed: number;
}

/** Virtual ms allowed to set up a trial (first leader, committed entry) before it is an error. */
const SETUP_LIMIT_MS = 60_000;

/** Named limit: setups retried when leadership changes before the planned crash (short timeouts can do that). */
const MAX_SETUP_ATTEMPTS = 20;

/**
 * Finds the leader, commits an entry two followers lack, waits for a
 * heartbeat broadcast and then a random part of the interval. Returns null
 * if leadership changed meanwhile (the caller tries again).
 */
function prepareCrash(c: SimCluster, rng: Rng, heartbeatMs: number, seed: number) {
  assert(
    c.runUntil(() => c.leader() !== null, SETUP_LIMIT_MS),
    () => `election trial seed ${seed}: no leader`,
  );
  const leader = c.leader()!;
  const term = c.term(leader);
  const followers = [0, 1, 2, 3, 4].filter((id) => id !== leader);
  const behind = new Set<number>();
  while (behind.size < 2) behind.add(followers[rng.int(followers.length)]!);
  // Two followers miss the next entry, so they cannot win (§5.4.1).
  c.setMessageFilter((m) => m.from === leader && behind.has(m.to) && m.type === MessageType.App);
  const stable = () => c.leader() === leader && c.term(leader) === term;
  const at = c.propose(leader, new TextEncoder().encode("entry the two laggards lack"));
  if (at === null) return null;
  c.runUntil(() => c.commitIndex(leader) >= at.index || !stable(), SETUP_LIMIT_MS);
  const beats = c.messagesSentOfType(MessageType.Heartbeat);
  c.runUntil(
    () => c.messagesSentOfType(MessageType.Heartbeat) > beats || !stable(),
    SETUP_LIMIT_MS,
  );
  const crashOffsetMs = rng.next() * heartbeatMs;
  c.runFor(crashOffsetMs);
  if (!stable() || c.commitIndex(leader) < at.index) {
    c.setMessageFilter(null);
    return null;
  }
  return { leader, behind, oldTerm: term, crashOffsetMs };
}

export function runElectionTrial(o: ElectionTrialOptions): ElectionTrialResult {
  const [lo, hi] = o.timeoutMs;
  assert(
    lo > 0 && hi >= lo,
    () => `timeoutMs must be [min, max] with 0 < min <= max, got [${lo}, ${hi}]`,
  );
  const capMs = o.capMs ?? 10_000;
  const heartbeatMs = lo / 2;
  const rng = new Rng(o.seed).fork(9);
  const c = new SimCluster({
    nodes: 5,
    seed: o.seed,
    electionTimeoutMs: [lo, hi],
    heartbeatMs,
    tickMs: o.tickMs ?? 0.1,
    network: { delayMs: o.oneWayDelayMs ?? [7, 8] },
    preVote: o.preVote,
    checkQuorum: false,
  });
  // A first leader, quickly: one node campaigns at once.
  c.campaign(rng.int(5));
  let setup: {
    leader: number;
    behind: Set<number>;
    oldTerm: number;
    crashOffsetMs: number;
  } | null = null;
  for (let attempt = 0; setup === null; attempt++) {
    assert(
      attempt < MAX_SETUP_ATTEMPTS,
      () => `election trial seed ${o.seed}: no stable leader to crash after ${attempt} attempts`,
    );
    setup = prepareCrash(c, rng, heartbeatMs, o.seed);
  }
  const { leader, behind, oldTerm, crashOffsetMs } = setup;
  c.crash(leader);
  c.setMessageFilter(null);
  const crashMs = c.virtualMs;
  const newLeader = () => {
    const l = c.leader();
    return l !== null && c.term(l) > oldTerm;
  };
  const ok = c.runUntil(newLeader, capMs);
  let maxTerm = oldTerm;
  for (let id = 0; id < 5; id++) if (id !== leader) maxTerm = Math.max(maxTerm, c.term(id));
  if (ok) {
    const winner = c.leader()!;
    assert(
      !behind.has(winner),
      () => `election trial seed ${o.seed}: node ${winner} won without the committed entry`,
    );
  }
  return {
    timeWithoutLeaderMs: ok ? c.virtualMs - crashMs : capMs,
    censored: !ok,
    electionTerms: maxTerm - oldTerm,
    crashOffsetMs,
    seed: o.seed,
  };
}

export interface ElectionLineOptions {
  /** Election timeout range [min, max] ms. */
  timeoutMs: [number, number];
  trials: number;
  seed: number;
  preVote: boolean;
  oneWayDelayMs?: [number, number];
  tickMs?: number;
  capMs?: number;
  /** Called after each trial (progress bars). */
  onTrial?: (trial: number, r: ElectionTrialResult) => void;
}

export interface ElectionLineResult {
  timeoutMinMs: number;
  timeoutMaxMs: number;
  preVote: boolean;
  seed: number;
  trials: ElectionTrialResult[];
}

/**
 * One line of Figure 16: `trials` independent trials of runElectionTrial.
 * Trial k's seed is derived from (seed, k), so the same seed gives the same
 * trials whatever the timeouts (common random numbers across lines).
 * Pure apart from the optional onTrial callback; the experiments runner
 * imports this.
 */
export function runElectionLine(o: ElectionLineOptions): ElectionLineResult {
  assert(
    Number.isInteger(o.trials) && o.trials >= 1,
    () => `trials must be an integer >= 1, got ${o.trials}`,
  );
  const base = new Rng(o.seed);
  const trials: ElectionTrialResult[] = [];
  for (let k = 0; k < o.trials; k++) {
    const r = runElectionTrial({
      timeoutMs: o.timeoutMs,
      seed: base.fork(k).seed,
      preVote: o.preVote,
      oneWayDelayMs: o.oneWayDelayMs,
      tickMs: o.tickMs,
      capMs: o.capMs,
    });
    trials.push(r);
    o.onTrial?.(k, r);
  }
  return {
    timeoutMinMs: o.timeoutMs[0],
    timeoutMaxMs: o.timeoutMs[1],
    preVote: o.preVote,
    seed: o.seed,
    trials,
  };
}
