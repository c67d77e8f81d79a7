/**
 * The member's counters and the Prometheus text exposition of them
 * (GET /metrics). Counters are typed fields, not string keys; per-peer
 * figures live in one record per peer id.
 */

/** Upper bounds (seconds) of the fsync latency histogram buckets, etcd's wal_fsync buckets. */
export const FSYNC_BUCKETS_S = [
  0.0005, 0.001, 0.002, 0.004, 0.008, 0.016, 0.032, 0.064, 0.128, 0.256, 0.512, 1.024,
];

export class PeerCounters {
  bytesOut = 0;
  bytesIn = 0;
  messagesOut = 0;
  messagesIn = 0;
  /** Dropped on the way out: queue over its byte bound, peer not connected, or a cut link. */
  droppedOut = 0;
  /** Dropped on the way in by a cut link (fault switch). */
  droppedIn = 0;
  connects = 0;
  badFrames = 0;
}

export class Histogram {
  readonly counts: number[];
  sum = 0;
  count = 0;
  constructor(readonly bounds: readonly number[]) {
    this.counts = bounds.map(() => 0);
  }
  observe(v: number): void {
    this.sum += v;
    this.count++;
    for (let i = 0; i < this.bounds.length; i++) {
      if (v <= this.bounds[i]!) {
        this.counts[i]!++;
        return;
      }
    }
  }
}

export class MemberMetrics {
  proposals = 0;
  proposalsRefused = 0;
  commits = 0;
  appliedEntries = 0;
  appliedRecords = 0;
  duplicateAppends = 0;
  fsyncs = 0;
  readies = 0;
  elections = 0;
  leaderChanges = 0;
  clientConnections = 0;
  /** Snapshots this member (as leader) sent to a follower that fell behind its log. */
  snapshotsSent = 0;
  /** Snapshots from a leader this member installed (its log was replaced). */
  snapshotsInstalled = 0;
  clientBadFrames = 0;
  clientLimitErrors = 0;
  readonly fsyncSeconds = new Histogram(FSYNC_BUCKETS_S);
  readonly peers = new Map<number, PeerCounters>();

  peer(id: number): PeerCounters {
    let p = this.peers.get(id);
    if (!p) this.peers.set(id, (p = new PeerCounters()));
    return p;
  }

  /** Prometheus text format 0.0.4. */
  prometheus(memberId: number, walBytesWritten: number): string {
    const lines: string[] = [];
    const counter = (name: string, help: string, v: number) => {
      lines.push(`# HELP eventlab_raft_${name} ${help}`, `# TYPE eventlab_raft_${name} counter`);
      lines.push(`eventlab_raft_${name}{member="${memberId}"} ${v}`);
    };
    counter(
      "proposals_total",
      "Client appends and barriers proposed by this member as leader.",
      this.proposals,
    );
    counter(
      "proposals_refused_total",
      "Proposals the node refused (not leader, transfer, uncommitted limit).",
      this.proposalsRefused,
    );
    counter("commits_total", "Entries this member saw committed and applied.", this.commits);
    counter(
      "applied_records_total",
      "Client records in accepted entries applied.",
      this.appliedRecords,
    );
    counter(
      "duplicate_appends_total",
      "Retried appends found already committed (answered with the first index).",
      this.duplicateAppends,
    );
    counter("fsyncs_total", "Storage syncs (at most one per Ready).", this.fsyncs);
    counter("wal_written_bytes_total", "Bytes written to the WAL files.", walBytesWritten);
    counter(
      "elections_total",
      "Elections (and pre-elections) this member started.",
      this.elections,
    );
    counter("leader_changes_total", "Times the known leader changed.", this.leaderChanges);
    counter(
      "snapshots_sent_total",
      "Snapshots sent to a follower behind the leader's log.",
      this.snapshotsSent,
    );
    counter(
      "snapshots_installed_total",
      "Snapshots from a leader installed.",
      this.snapshotsInstalled,
    );
    counter(
      "client_bad_frames_total",
      "Client connections closed for a malformed frame.",
      this.clientBadFrames,
    );
    counter(
      "client_limit_errors_total",
      "Client requests refused for a named limit.",
      this.clientLimitErrors,
    );
    const h = this.fsyncSeconds;
    lines.push("# HELP eventlab_raft_fsync_duration_seconds Latency of one storage sync.");
    lines.push("# TYPE eventlab_raft_fsync_duration_seconds histogram");
    let cum = 0;
    h.bounds.forEach((b, i) => {
      cum += h.counts[i]!;
      lines.push(
        `eventlab_raft_fsync_duration_seconds_bucket{member="${memberId}",le="${b}"} ${cum}`,
      );
    });
    lines.push(
      `eventlab_raft_fsync_duration_seconds_bucket{member="${memberId}",le="+Inf"} ${h.count}`,
    );
    lines.push(`eventlab_raft_fsync_duration_seconds_sum{member="${memberId}"} ${h.sum}`);
    lines.push(`eventlab_raft_fsync_duration_seconds_count{member="${memberId}"} ${h.count}`);
    const perPeer = (name: string, help: string, pick: (p: PeerCounters) => number) => {
      lines.push(`# HELP eventlab_raft_${name} ${help}`, `# TYPE eventlab_raft_${name} counter`);
      for (const [id, p] of [...this.peers].sort((a, b) => a[0] - b[0])) {
        lines.push(`eventlab_raft_${name}{member="${memberId}",peer="${id}"} ${pick(p)}`);
      }
    };
    perPeer("peer_sent_bytes_total", "Bytes written to a peer.", (p) => p.bytesOut);
    perPeer("peer_received_bytes_total", "Bytes received from a peer.", (p) => p.bytesIn);
    perPeer(
      "peer_dropped_messages_total",
      "Messages to a peer dropped (slow, gone, or cut).",
      (p) => p.droppedOut,
    );
    perPeer(
      "peer_bad_frames_total",
      "Peer connections closed for a malformed frame.",
      (p) => p.badFrames,
    );
    return `${lines.join("\n")}\n`;
  }
}
