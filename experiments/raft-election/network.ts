/**
 * The network raft-election runs every line on: the paper's ~15 ms broadcast
 * time all on the wire (one-way uniform in [7, 8] ms, no disk sync). One
 * source for its grid, its smoke point and the raft-election-split section,
 * which says which split raft-election uses.
 */
export const RAFT_ELECTION_NETWORK = {
  oneWayDelayMinMs: 7,
  oneWayDelayMaxMs: 8,
  syncDelayMs: 0,
} as const;
