/**
 * The raft-commit report section (experiments/raft-commit/section.ts) on
 * hand-made rows: the targets are decided from paired repetitions (same
 * `repeat` on both sides), hit and miss both reachable, the interval given
 * from 3 pairs on, and missing etcd rows said as such; the Prometheus
 * counter reader the experiment uses sums samples across labels and ignores
 * longer names sharing a prefix. No cluster is started here (the smoke test
 * runs a real point).
 */
import { expect, test } from "bun:test";
import raftCommit from "../experiments/raft-commit/experiment.ts";
import { sumMetric } from "../experiments/raft-commit/prometheus.ts";
import { raftCommitSection } from "../experiments/raft-commit/section.ts";

type Row = Record<string, unknown>;

function row(
  target: "eventlab" | "etcd",
  concurrency: number,
  recordsPerAppend: number,
  repeat: number,
  m: { appendsPerS: number; p50: number },
): Row {
  return {
    members: 3,
    fsync: "on",
    concurrency,
    recordsPerAppend,
    recordBytes: 64,
    durationS: 1,
    target,
    repeat,
    seed: repeat,
    appendsPerS: m.appendsPerS,
    recordsPerS: m.appendsPerS * recordsPerAppend,
    commitLatencyNsP50: m.p50,
    commitLatencyNsP99: m.p50 * 3,
    commitLatencyNsP999: m.p50 * 5,
    commitLatencyNsMax: m.p50 * 6,
    fsyncsPerS: 100,
    bytesWritten: 1000,
    fsyncMode: "fsync",
    appends: 100,
    failedAppends: 0,
    windowS: 1,
  };
}

/** Three repetitions: eventlab 256-record appends at `evAppendsPerS`, etcd puts at 1000/s; p50s as given. */
function rows(evAppendsPerS: number[], evP50: number, etcdP50: number): Row[] {
  return evAppendsPerS.flatMap((a, rep) => [
    row("eventlab", 64, 256, rep, { appendsPerS: a, p50: 1e6 }),
    row("etcd", 64, 1, rep, { appendsPerS: 1000, p50: 1e6 }),
    row("eventlab", 1, 1, rep, { appendsPerS: 100, p50: evP50 }),
    row("etcd", 1, 1, rep, { appendsPerS: 100, p50: etcdP50 }),
  ]);
}

test("targets: paired ratios per repetition, hit with an interval clear of the target", () => {
  // 256 x [200, 220, 240] / 1000 = 51.2, 56.3, 61.4 (all >= 25); p50 1 ms vs 2 ms = 0.5.
  const s = raftCommitSection(rows([200, 220, 240], 1e6, 2e6), raftCommit);
  const [thr, lat] = s.findings;
  expect(thr).toContain("HIT");
  expect(thr).toContain("median of 3 paired repetitions: 51.2, 56.3, 61.4");
  expect(thr).toContain("clear of the target");
  expect(lat).toContain("HIT");
  expect(lat).toContain("0.5");
  expect(s.charts.map((c) => c.name)).toEqual([
    "throughput-vs-concurrency",
    "latency-vs-throughput",
  ]);
  expect(s.tables[0]!.rows.length).toBe(4);
});

test("targets: misses are reported as misses", () => {
  // 256 x 50 / 1000 = 12.8 < 25; p50 3 ms vs 1 ms = 3 > 1.
  const s = raftCommitSection(rows([50, 50, 50], 3e6, 1e6), raftCommit);
  expect(s.findings[0]).toContain("MISS");
  expect(s.findings[0]).toContain("entirely on the wrong side");
  expect(s.findings[1]).toContain("MISS");
});

test("without etcd rows the targets say they were not measured", () => {
  const s = raftCommitSection(
    rows([200], 1e6, 1e6).filter((r) => r.target === "eventlab"),
    raftCommit,
  );
  expect(s.findings[0]).toContain("not measured");
  expect(s.findings[1]).toContain("not measured");
});

test("sumMetric sums a counter over its labels and skips longer names", () => {
  const text = [
    "# TYPE eventlab_raft_fsyncs_total counter",
    'eventlab_raft_fsyncs_total{member="1"} 5',
    'eventlab_raft_fsyncs_total{member="2"} 7',
    "eventlab_raft_fsyncs_total_extra 100",
    "etcd_disk_wal_write_bytes_total 1.5e3",
  ].join("\n");
  expect(sumMetric(text, "eventlab_raft_fsyncs_total")).toBe(12);
  expect(sumMetric(text, "etcd_disk_wal_write_bytes_total")).toBe(1500);
  expect(sumMetric(text, "absent_total")).toBe(0);
});
