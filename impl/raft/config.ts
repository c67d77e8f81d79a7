/** Validation of RaftConfig numbers, run by every RaftNode constructor. */
import { assertIntInRange } from "../core/assert.ts";
import { ELECTION_TIMER_RESETS, type RaftConfig } from "./types.ts";

/** Checks a RaftConfig's numbers; throws RangeError naming the bad field. */
export function validateConfig(cfg: RaftConfig): void {
  if (cfg.maxSizePerMsgBytes !== undefined)
    assertIntInRange("maxSizePerMsgBytes", cfg.maxSizePerMsgBytes, 1, 2 ** 40);
  if (cfg.maxCommittedPerReady !== undefined)
    assertIntInRange("maxCommittedPerReady", cfg.maxCommittedPerReady, 1, 2 ** 40);
  if (cfg.applied !== undefined)
    assertIntInRange("applied", cfg.applied, 0, Number.MAX_SAFE_INTEGER);
  assertIntInRange("id", cfg.id, 0, 0x7fffffff);
  assertIntInRange("electionTicks", cfg.electionTicks, 1, 1 << 30);
  if (cfg.electionTicksMax !== undefined) {
    assertIntInRange("electionTicksMax", cfg.electionTicksMax, cfg.electionTicks, 1 << 30);
  }
  assertIntInRange("heartbeatTicks", cfg.heartbeatTicks, 1, 1 << 30);
  if (cfg.maxInflightMsgs !== undefined)
    assertIntInRange("maxInflightMsgs", cfg.maxInflightMsgs, 1, 1 << 20);
  if (cfg.maxUncommittedEntries !== undefined)
    assertIntInRange("maxUncommittedEntries", cfg.maxUncommittedEntries, 1, 2 ** 40);
  if (cfg.maxEntriesPerMsg !== undefined)
    assertIntInRange("maxEntriesPerMsg", cfg.maxEntriesPerMsg, 1, 1 << 20);
  const rule = cfg.electionTimerReset;
  if (rule !== undefined && !ELECTION_TIMER_RESETS.includes(rule)) {
    throw new RangeError(
      `electionTimerReset must be one of ${ELECTION_TIMER_RESETS.join(", ")}, got ${String(rule)}`,
    );
  }
  for (const p of cfg.peers) assertIntInRange("peers[]", p, 0, 0x7fffffff);
}
