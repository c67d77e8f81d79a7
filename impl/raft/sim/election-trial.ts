/**
 * The Raft paper's leader-election experiment (Ongaro and Ousterhout 2014,
 * §9.3, Figure 16), one trial at a time, in virtual time.
 *
 * Paper setup, and how each part is modeled here:
 * - 5 servers; the leader is crashed and the time until a new leader is
 *   elected is measured ("time without leader": from the crash until some
 *   survivor becomes leader of a later term).
 * - "the servers in each trial had different log lengths, so some candidates
 *   were not eligible to become leader": before the crash the leader commits
 *   one entry that two randomly chosen followers never receive (their App
 *   messages are filtered), so 2 of the 4 survivors cannot win (§5.4.1; the
 *   issue's reading; the paper gives no count). Asserted on every win.
 * - "our test script triggered a synchronized broadcast of heartbeat RPCs
 *   from the leader before terminating its process ... The leader was
 *   crashed uniformly randomly within its heartbeat interval, which was half
 *   of the minimum election timeout ... Thus, the smallest possible downtime
 *   was about half of the minimum election timeout": the leader is in steady
 *   state (STEADY_BEATS heartbeat broadcasts on the trial's network, every
 *   survivor a follower of its term); right after a broadcast (all four
 *   followers in one event), it is crashed after U(0, heartbeat) ms, with
 *   heartbeat = min timeout / 2. Downtime >= min/2 + delay - small.
 * - "broadcast time of roughly 15ms" (Figure 16 caption; §5.6 defines it as
 *   sending RPCs to every server in parallel and receiving the replies):
 *   one-way delays uniform in [7, 8] ms, a 15 ms round trip with 1 ms of
 *   jitter (the paper gives no jitter). syncDelayMs optionally moves part of
 *   it to disk: messages of a Ready that must fsync (a new term, a vote, new
 *   entries) leave that much later, heartbeats do not. The faithful split
 *   (LogCabin fsyncs a vote before replying) is a short wire delay plus the
 *   voter's sync (voterSyncMs), e.g. oneWayDelayMs [1, 2] and voterSyncMs 12:
 *   a request-to-reply time of about 15 ms, of which only 1-2 ms is the
 *   request's flight. The candidate's own sync of its new term before it
 *   sends (candidateSyncMs) is set separately. Where the 15 ms goes
 *   matters: a vote request's one-way time against the timeout spread
 *   decides split votes, and the time from granting a vote to the new
 *   leader's first AppendEntries decides whether a voter with a short
 *   timeout deposes it (12-24 ms).
 * - election timer rule: electionTimerReset "etcd" (every term change
 *   restarts it) or "paper" (Figure 2). The paper measured LogCabin, which
 *   follows Figure 2.
 * - timers: election timeouts uniform in [min, max) drawn in ticks of
 *   tickMs (default 0.1 ms, fine enough for the 150-151 ms line), each node's
 *   clock at a random phase. checkQuorum off; preVote as given (the paper
 *   had no pre-vote).
 * - setup (not measured): the first leader is elected and the entry
 *   committed on a fast network (SETUP_DELAY_MS), then the trial's network
 *   is switched in. On the trial's own network a 15 ms round trip against
 *   12-24 ms timeouts deposes most fresh leaders, and under the paper rule
 *   the setup could fail 20 attempts in a row.
 * A trial that elects no leader within capMs (default 10 s, the paper's
 * "longer than 10 seconds" for 150-150 ms, which it ran 100 times, not
 * 1000) is recorded as censored.
 *
 * Pure: the result depends only on the arguments (the seed drives the whole
 * simulation); no I/O, no wall clock.
 */
import { assert } from "../../core/assert.ts";
import { Rng } from "../../core/rng.ts";
import { type ElectionTimerReset, MessageType } from "../types.ts";
import { SimCluster } from "./cluster.ts";

export interface ElectionTrialOptions {
  /** Election timeout range [min, max] ms; max == min means no randomness. */
  timeoutMs: [number, number];
  seed: number;
  preVote: boolean;
  /** When election timers restart (RaftConfig.electionTimerReset). Default "etcd". */
  electionTimerReset?: ElectionTimerReset;
  /** One-way network delay range, ms. Default [7, 8]: a 15 ms round trip (the paper's broadcast time) with 1 ms of jitter. */
  oneWayDelayMs?: [number, number];
  /** Disk latency before a server sends what it had to persist (SimClusterOptions.syncDelayMs). Default 0. */
  syncDelayMs?: number;
  /** The voter's fsync before it grants a vote, ms (SimClusterOptions.voterSyncDelayMs). Default syncDelayMs. */
  voterSyncMs?: number;
  /** The candidate's fsync of its new term before it asks for votes, ms. Default syncDelayMs. */
  candidateSyncMs?: number;
  /** Timer resolution, ms. Default 0.1. */
  tickMs?: number;
  /** Give up (censor) after this many virtual ms without a leader. Default 10,000. */
  capMs?: number;
  /** Survivors that lack the last committed entry and so cannot win (0-2). Default 2. */
  laggingFollowers?: number;
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
 * One-way delay while a trial sets up its first leader. Setup only has to
 * reach the pre-crash state (a stable leader, an entry two followers lack);
 * on the trial's own network, 12-24 ms timeouts against a 15 ms round trip
 * depose most new leaders before their first AppendEntries lands, so under
 * the paper's timer rule a setup could fail 20 times in a row.
 */
const SETUP_DELAY_MS: [number, number] = [0.1, 0.2];

/** Heartbeat broadcasts on the trial's network before the crash window (steady state). */
const STEADY_BEATS = 3;

/** Runs until the leader's next heartbeat broadcast or until it stops leading `term`. */
function untilBroadcast(c: SimCluster, stable: () => boolean): void {
  const beats = c.messagesSentOfType(MessageType.Heartbeat);
  c.runUntil(
    () => c.messagesSentOfType(MessageType.Heartbeat) > beats || !stable(),
    SETUP_LIMIT_MS,
  );
}

/**
 * On a fast setup network: finds the leader and commits an entry two
 * followers lack. Then on the trial's network: lets STEADY_BEATS heartbeat
 * broadcasts go out, and after the last one waits a uniformly random part of
 * the heartbeat interval. Returns null if leadership changed meanwhile (the
 * caller tries again).
 */
function prepareCrash(
  c: SimCluster,
  rng: Rng,
  heartbeatMs: number,
  delayMs: [number, number],
  seed: number,
  lagging: number,
) {
  c.setNetwork({ delayMs: SETUP_DELAY_MS });
  assert(
    c.runUntil(() => c.leader() !== null, SETUP_LIMIT_MS),
    () => `election trial seed ${seed}: no leader`,
  );
  const leader = c.leader()!;
  const term = c.term(leader);
  const followers = [0, 1, 2, 3, 4].filter((id) => id !== leader);
  const behind = new Set<number>();
  while (behind.size < lagging) behind.add(followers[rng.int(followers.length)]!);
  // `lagging` followers (default two) miss the next entry, so they cannot win (§5.4.1).
  c.setMessageFilter((m) => m.from === leader && behind.has(m.to) && m.type === MessageType.App);
  const stable = () => c.leader() === leader && c.term(leader) === term;
  const at = c.propose(leader, new TextEncoder().encode("entry the two laggards lack"));
  if (at === null) return null;
  c.runUntil(() => c.commitIndex(leader) >= at.index || !stable(), SETUP_LIMIT_MS);
  c.setNetwork({ delayMs });
  for (let k = 0; k < STEADY_BEATS && stable(); k++) untilBroadcast(c, stable);
  const crashOffsetMs = rng.next() * heartbeatMs;
  c.runFor(crashOffsetMs);
  // Every survivor must be a plain follower of this term: one that timed out
  // in the switch to the slower network would start the race before the crash.
  const calm = followers.every((id) => c.role(id) === "follower" && c.term(id) === term);
  if (!stable() || !calm || c.commitIndex(leader) < at.index) {
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
  const lagging = o.laggingFollowers ?? 2;
  assert(
    Number.isInteger(lagging) && lagging >= 0 && lagging <= 2,
    () =>
      `laggingFollowers must be 0, 1 or 2 (a majority of the 4 survivors must hold the entry), got ${lagging}`,
  );
  const capMs = o.capMs ?? 10_000;
  const heartbeatMs = lo / 2;
  const rng = new Rng(o.seed).fork(9);
  const delayMs = o.oneWayDelayMs ?? [7, 8];
  const c = new SimCluster({
    nodes: 5,
    seed: o.seed,
    electionTimeoutMs: [lo, hi],
    heartbeatMs,
    tickMs: o.tickMs ?? 0.1,
    network: { delayMs },
    syncDelayMs: o.syncDelayMs ?? 0,
    voterSyncDelayMs: o.voterSyncMs,
    candidateSyncDelayMs: o.candidateSyncMs,
    preVote: o.preVote,
    checkQuorum: false,
    electionTimerReset: o.electionTimerReset ?? "etcd",
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
    setup = prepareCrash(c, rng, heartbeatMs, delayMs, o.seed, lagging);
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
  electionTimerReset?: ElectionTimerReset;
  oneWayDelayMs?: [number, number];
  syncDelayMs?: number;
  voterSyncMs?: number;
  candidateSyncMs?: number;
  tickMs?: number;
  capMs?: number;
  laggingFollowers?: number;
  /** Called after each trial (progress bars). */
  onTrial?: (trial: number, r: ElectionTrialResult) => void;
}

export interface ElectionLineResult {
  timeoutMinMs: number;
  timeoutMaxMs: number;
  preVote: boolean;
  electionTimerReset: ElectionTimerReset;
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
      electionTimerReset: o.electionTimerReset,
      oneWayDelayMs: o.oneWayDelayMs,
      syncDelayMs: o.syncDelayMs,
      voterSyncMs: o.voterSyncMs,
      candidateSyncMs: o.candidateSyncMs,
      tickMs: o.tickMs,
      capMs: o.capMs,
      laggingFollowers: o.laggingFollowers,
    });
    trials.push(r);
    o.onTrial?.(k, r);
  }
  return {
    timeoutMinMs: o.timeoutMs[0],
    timeoutMaxMs: o.timeoutMs[1],
    preVote: o.preVote,
    electionTimerReset: o.electionTimerReset ?? "etcd",
    seed: o.seed,
    trials,
  };
}
