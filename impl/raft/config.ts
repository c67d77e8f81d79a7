/**
 * RaftConfig's defaults and limits, in one place: every RaftNode constructor
 * calls resolveConfig, which validates the numbers and fills the defaults
 * (types.ts documents each field and points here for its default).
 */
import { assertIntInRange } from "../core/assert.ts";
import { ELECTION_TIMER_RESETS, type ElectionTimerReset, type RaftConfig } from "./types.ts";

/** The default of every optional RaftConfig field. */
export const RAFT_DEFAULTS = {
  /** electionTicksMax = this x electionTicks when not given. */
  electionTicksMaxFactor: 2,
  preVote: false,
  checkQuorum: false,
  electionTimerReset: "etcd" as ElectionTimerReset,
  maxSizePerMsgBytes: 1 << 20,
  maxEntriesPerMsg: 256,
  maxInflightMsgs: 256,
  maxCommittedPerReady: 4096,
  maxUncommittedEntries: 65536,
} as const;

/** Named maxima on the config's numbers (a typo, not a tuning choice, beyond these). */
const MAX_TICKS = 1 << 30;
const MAX_BYTES_OR_ENTRIES = 2 ** 40;
const MAX_PER_MESSAGE = 1 << 20;
const MAX_NODE_ID = 0x7fffffff;

/** A RaftConfig with every default filled (applied stays optional: its default is the snapshot index). */
export type ResolvedRaftConfig = Required<Omit<RaftConfig, "applied">> &
  Pick<RaftConfig, "applied">;

/** Validates `cfg` (validateConfig) and fills its defaults from RAFT_DEFAULTS. */
export function resolveConfig(cfg: RaftConfig): ResolvedRaftConfig {
  validateConfig(cfg);
  const d = RAFT_DEFAULTS;
  return {
    ...cfg,
    electionTicksMax: cfg.electionTicksMax ?? d.electionTicksMaxFactor * cfg.electionTicks,
    preVote: cfg.preVote ?? d.preVote,
    checkQuorum: cfg.checkQuorum ?? d.checkQuorum,
    electionTimerReset: cfg.electionTimerReset ?? d.electionTimerReset,
    maxSizePerMsgBytes: cfg.maxSizePerMsgBytes ?? d.maxSizePerMsgBytes,
    maxEntriesPerMsg: cfg.maxEntriesPerMsg ?? d.maxEntriesPerMsg,
    maxInflightMsgs: cfg.maxInflightMsgs ?? d.maxInflightMsgs,
    maxCommittedPerReady: cfg.maxCommittedPerReady ?? d.maxCommittedPerReady,
    maxUncommittedEntries: cfg.maxUncommittedEntries ?? d.maxUncommittedEntries,
  };
}

/** Checks a RaftConfig's numbers; throws RangeError naming the bad field. */
export function validateConfig(cfg: RaftConfig): void {
  if (cfg.maxSizePerMsgBytes !== undefined)
    assertIntInRange("maxSizePerMsgBytes", cfg.maxSizePerMsgBytes, 1, MAX_BYTES_OR_ENTRIES);
  if (cfg.maxCommittedPerReady !== undefined)
    assertIntInRange("maxCommittedPerReady", cfg.maxCommittedPerReady, 1, MAX_BYTES_OR_ENTRIES);
  if (cfg.applied !== undefined)
    assertIntInRange("applied", cfg.applied, 0, Number.MAX_SAFE_INTEGER);
  assertIntInRange("id", cfg.id, 0, MAX_NODE_ID);
  assertIntInRange("electionTicks", cfg.electionTicks, 1, MAX_TICKS);
  if (cfg.electionTicksMax !== undefined) {
    assertIntInRange("electionTicksMax", cfg.electionTicksMax, cfg.electionTicks, MAX_TICKS);
  }
  assertIntInRange("heartbeatTicks", cfg.heartbeatTicks, 1, MAX_TICKS);
  if (cfg.maxInflightMsgs !== undefined)
    assertIntInRange("maxInflightMsgs", cfg.maxInflightMsgs, 1, MAX_PER_MESSAGE);
  if (cfg.maxUncommittedEntries !== undefined)
    assertIntInRange("maxUncommittedEntries", cfg.maxUncommittedEntries, 1, MAX_BYTES_OR_ENTRIES);
  if (cfg.maxEntriesPerMsg !== undefined)
    assertIntInRange("maxEntriesPerMsg", cfg.maxEntriesPerMsg, 1, MAX_PER_MESSAGE);
  const rule = cfg.electionTimerReset;
  if (rule !== undefined && !ELECTION_TIMER_RESETS.includes(rule)) {
    throw new RangeError(
      `electionTimerReset must be one of ${ELECTION_TIMER_RESETS.join(", ")}, got ${String(rule)}`,
    );
  }
  for (const p of cfg.peers) assertIntInRange("peers[]", p, 0, MAX_NODE_ID);
}
