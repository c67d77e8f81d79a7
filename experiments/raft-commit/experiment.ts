/**
 * `raft-commit`: commit throughput and latency of the real eventlab Raft
 * cluster (member processes over TCP, file WAL with group commit) against
 * etcd in the same run.
 *
 * Sweep: members 1, 3, 5 x fsync on/off x concurrency 1, 16, 64 appends in
 * flight x 1, 16, 256 records of 64 B per append; etcd (3 members, fsync on,
 * the same bytes per put, the same concurrency) alternates trial by trial
 * with eventlab's 3-member fsync-on points (`target` is the last param, so
 * the grid interleaves them; the runner repeats the whole grid round by
 * round, so the ratios pair trials of the same repetition).
 *
 * Trials: WARMUP_S (0.3 s) unmeasured, then durationS measured: quick 0.8 s
 * (3 members only, 12 trials x 3 rounds, ~1 min); full 1.0 s (63 trials x 3
 * rounds, ~6 min on a 2-core host). A cluster is started once per
 * configuration and round (held-cluster.ts), in a temp dir, stopped by PID.
 * Where etcd is missing its rows are skipped with the reason in the metadata.
 */
import { defineExperiment } from "../runner/types.ts";
import {
  type RaftCommitPoint,
  raftCommitMeasured,
  raftCommitParams,
  raftCommitSupported,
  runRaftCommitPoint,
  stopRaftCommitClusters,
} from "./point.ts";
import { raftCommitSection } from "./section.ts";
import { TARGET_P50_RATIO, TARGET_THROUGHPUT_RATIO, TARGETS } from "./targets.ts";

type Block = { [K in keyof RaftCommitPoint]: RaftCommitPoint[K][] };
const RECORD_BYTES = [64];

/** The 3-member fsync-on points, eventlab and etcd alternating. */
function paired(concurrency: number[], records: number[], durationS: number): Block {
  return {
    members: [3],
    fsync: ["on"],
    concurrency,
    recordsPerAppend: records,
    recordBytes: RECORD_BYTES,
    durationS: [durationS],
    target: ["eventlab", "etcd"],
  };
}

function eventlabOnly(
  members: number[],
  fsync: ("on" | "off")[],
  concurrency: number[],
  records: number[],
  durationS: number,
): Block {
  return {
    members,
    fsync,
    concurrency,
    recordsPerAppend: records,
    recordBytes: RECORD_BYTES,
    durationS: [durationS],
    target: ["eventlab"],
  };
}

const QUICK_S = 0.8;
const FULL_S = 1.0;

export default defineExperiment({
  name: "raft-commit",
  description:
    "commit throughput and latency of the eventlab Raft cluster (real member processes, file WAL, group commit) per members x fsync x concurrency x records per append, against a 3-member etcd in the same run",
  module: import.meta.url,
  section: raftCommitSection,
  smoke: {
    // A 3-member cluster without fsync, 4 appends of 16 records in flight for 0.3 s.
    points: [
      {
        members: 3,
        fsync: "off",
        concurrency: 4,
        recordsPerAppend: 16,
        recordBytes: 64,
        durationS: 0.3,
        target: "eventlab",
      },
    ],
    check: (rows) =>
      rows.flatMap((r) =>
        r.appends > 0 && r.failedAppends === 0 && r.fsyncMode === "no-fsync" && r.bytesWritten > 0
          ? []
          : [
              `appends ${r.appends}, failed ${r.failedAppends}, fsyncMode ${r.fsyncMode}, bytesWritten ${r.bytesWritten}`,
            ],
      ),
  },
  params: raftCommitParams,
  measured: raftCommitMeasured,
  grids: {
    quick: [
      paired([1, 64], [1, 256], QUICK_S),
      eventlabOnly([3], ["off"], [1, 64], [1, 256], QUICK_S),
    ],
    full: [
      paired([1, 16, 64], [1, 16, 256], FULL_S),
      eventlabOnly([1, 3, 5], ["on", "off"], [1, 16, 64], [1, 16, 256], FULL_S),
    ],
  },
  repeats: { quick: 3, full: 3 },
  headline: {
    metrics: [],
    // The two targets' 4 points (eventlab and etcd, concurrency 1 and 64) to 15 repetitions (the
    // grid keeps 3): at 3 the half-widths were 4-25%, and 3 pairs make a coarse bootstrap.
    // Cost: 4 trials x 12 extra rounds x ~1.5 s (clusters stay up between them) = ~70 s.
    repeats: { full: 15 },
  },
  isolation: "inline",
  include: (p: RaftCommitPoint) => raftCommitSupported(p),
  claims: [
    {
      id: "raft-commit-throughput-vs-etcd",
      text: `Target: 3 members, fsync on, concurrency 64: eventlab records/s at least ${TARGET_THROUGHPUT_RATIO}x etcd's puts/s measured in the same run.`,
      source: "docs/claims.md: the Raft cluster's targets",
      claimed: { value: TARGET_THROUGHPUT_RATIO, unit: "x (eventlab records/s / etcd puts/s)" },
      measured: {
        kind: "ratio",
        unit: "x (eventlab records/s, 256 records per append / etcd puts/s, 64 B puts)",
        numerator: { column: "recordsPerS", where: TARGETS.throughput.eventlab },
        denominator: { column: "appendsPerS", where: TARGETS.throughput.etcd },
      },
      interpretation: `At or above ${TARGET_THROUGHPUT_RATIO}: hit. Paired per repetition (trials of one round, run next to each other).`,
    },
    {
      id: "raft-commit-p50-vs-etcd",
      text: "Target: 3 members, fsync on, concurrency 1: eventlab's p50 commit latency no worse than etcd's.",
      source: "docs/claims.md: the Raft cluster's targets",
      claimed: { value: TARGET_P50_RATIO, unit: "x (eventlab p50 / etcd p50)" },
      measured: {
        kind: "ratio",
        atMost: true,
        unit: "x (eventlab p50 / etcd p50, one 64 B record per request)",
        numerator: { column: "commitLatencyNsP50", where: TARGETS.p50.eventlab },
        denominator: { column: "commitLatencyNsP50", where: TARGETS.p50.etcd },
      },
      interpretation: `At or below ${TARGET_P50_RATIO}: hit.`,
    },
  ],
  teardown: stopRaftCommitClusters,
  async run(p, ctx) {
    if (ctx.signal.aborted) throw new Error("aborted");
    return runRaftCommitPoint(p, ctx.seed);
  },
});
