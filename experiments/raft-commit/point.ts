/**
 * One point of `raft-commit` (experiments/raft-commit/experiment.ts registers
 * it): its params, what it measures, and the trial that runs it on eventlab
 * (eventlab-target.ts) or etcd (etcd-target.ts). Both sides get the same
 * bytes per request: `recordsPerAppend` seeded-random records of
 * `recordBytes` (eventlab: one append of that many records; etcd: one put
 * whose value is those records concatenated), the same concurrency, the same
 * warm-up and window.
 */
import { z } from "zod";
import { Rng } from "../../impl/core/rng.ts";
import { etcdBinary, etcdTrial, stopEtcdCluster } from "./etcd-target.ts";
import { eventlabTrial, stopEventlabCluster } from "./eventlab-target.ts";

/** Seconds of unmeasured load before each trial's window. */
export const WARMUP_S = 0.3;

export const raftCommitParams = {
  members: z.number().int().min(1).max(7),
  /** "on": every Ready fdatasyncs (the only mode etcd has); "off": --fsync false (experiments only). */
  fsync: z.enum(["on", "off"]),
  /** Appends (puts) in flight: one closed loop each. */
  concurrency: z.number().int().min(1).max(1024),
  recordsPerAppend: z.number().int().min(1).max(4096),
  recordBytes: z.number().int().min(1).max(65_536),
  /** Measured window per trial, s (after WARMUP_S). */
  durationS: z.number().min(0.1).max(600),
  /** Last, so the grid alternates eventlab and etcd trial by trial (the last param varies fastest). */
  target: z.enum(["eventlab", "etcd"]),
};
export type RaftCommitPoint = z.output<z.ZodObject<typeof raftCommitParams>>;

const ns = z.number().min(0);
export const raftCommitMeasured = {
  appendsPerS: z.number().min(0),
  recordsPerS: z.number().min(0),
  commitLatencyNsP50: ns,
  commitLatencyNsP99: ns,
  commitLatencyNsP999: ns,
  commitLatencyNsMax: ns,
  /** Storage syncs per second over all members (eventlab: one per Ready, no-ops when fsync is off; etcd: WAL fsyncs + backend commits). */
  fsyncsPerS: z.number().min(0),
  /** WAL bytes written over all members during the window. */
  bytesWritten: z.number().min(0),
  /** What the members reported running: "fsync" or "no-fsync". */
  fsyncMode: z.enum(["fsync", "no-fsync"]),
  appends: z.number().int().min(0),
  failedAppends: z.number().int().min(0),
  windowS: z.number().min(0),
};
export type RaftCommitMeasured = z.output<z.ZodObject<typeof raftCommitMeasured>>;

/** Why a point is not run, or true. */
export function raftCommitSupported(p: RaftCommitPoint): true | string {
  if (p.target === "etcd") {
    if (p.members !== 3 || p.fsync !== "on")
      return "etcd rows run 3 members with fsync on (etcd 3.4 cannot turn fsync off)";
    if (!etcdBinary())
      return "skipped: no etcd binary (apt-get install etcd-server, or EVENTLAB_ETCD=/path/to/etcd)";
  }
  return true;
}

export async function runRaftCommitPoint(
  p: RaftCommitPoint,
  seed: number,
): Promise<RaftCommitMeasured> {
  const rng = new Rng(seed);
  const records = Array.from({ length: p.recordsPerAppend }, () => {
    const r = new Uint8Array(p.recordBytes);
    rng.fill(r);
    return r;
  });
  const r =
    p.target === "eventlab"
      ? await eventlabTrial(p, WARMUP_S, p.durationS, records)
      : await etcdTrial(p, WARMUP_S, p.durationS, concat(records));
  const l = r.loop;
  if (l.failed > 0)
    console.warn(`raft-commit ${p.target}: ${l.failed} failed: ${l.errors.join("; ")}`);
  return {
    appendsPerS: l.committed / l.windowS,
    recordsPerS: (l.committed * p.recordsPerAppend) / l.windowS,
    commitLatencyNsP50: l.latency.p50Ns,
    commitLatencyNsP99: l.latency.p99Ns,
    commitLatencyNsP999: l.latency.p999Ns,
    commitLatencyNsMax: l.latency.maxNs,
    fsyncsPerS: r.fsyncs / l.windowS,
    bytesWritten: r.bytesWritten,
    fsyncMode: r.fsyncMode as "fsync" | "no-fsync",
    appends: l.committed,
    failedAppends: l.failed,
    windowS: l.windowS,
  };
}

/** Stops the clusters held between points (the runner's and the smoke test's teardown). */
export async function stopRaftCommitClusters(): Promise<void> {
  await Promise.all([stopEventlabCluster(), stopEtcdCluster()]);
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((s, p) => s + p.byteLength, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.byteLength;
  }
  return out;
}
