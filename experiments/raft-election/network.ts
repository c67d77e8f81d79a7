/**
 * The network raft-election runs every line on: the paper's ~15 ms broadcast
 * time (request to reply) split as raft-election-split found closest to the
 * paper's stated figures: one-way wire delay uniform in [2, 3] ms and the
 * voter's disk sync of its vote, 10 ms, before it replies (2.5 + 10 + 2.5 ms).
 * The candidate's own sync of its new term is 0: Raft lets it send while it
 * syncs. syncDelayMs (every other persisted message) stays 0, as in the
 * split sweep. One source for the grid, the smoke point and the
 * raft-election-split section, which says which split raft-election uses.
 */
export const RAFT_ELECTION_NETWORK = {
  oneWayDelayMinMs: 2,
  oneWayDelayMaxMs: 3,
  syncDelayMs: 0,
  voterSyncMs: 10,
  candidateSyncMs: 0,
} as const;
