/**
 * The pipeline's HTTP port (--http-port), the members' conventions (etcd's):
 * GET /health answers 200 {"health":true} while the pipeline runs;
 * GET /metrics is Prometheus text: open
 * connections; per lane the events processed, committed (acked), rejected
 * with reason and pending (lane-counters.ts: live, summed over the threads
 * that process events); and the commit stage's typed counters
 * (TRANSACTIONAL lane).
 * Owner: the pipeline's main thread.
 */
import type { Server } from "bun";
import { LANE_NAMES } from "../core/record.ts";
import type { CommitCounters, CommitHost } from "./commit-host.ts";
import { WORD_OPEN_CONNECTIONS } from "./control-layout.ts";
import { type LaneCounts, readLaneCounts } from "./lane-counters.ts";

export interface PipelineHttpSources {
  control: SharedArrayBuffer;
  commit: CommitHost | null;
  /** Per-lane counts of the processing threads (lane-counters.ts). */
  laneCounters: SharedArrayBuffer;
}

/** Counter name -> help, in exposition order (typed: a misspelt field is a compile error). */
const COMMIT_METRICS: [keyof CommitCounters, string, "counter" | "gauge"][] = [
  ["receivedEvents", "TRANSACTIONAL events handed to the commit stage", "counter"],
  ["committedEvents", "TRANSACTIONAL events committed (then acked)", "counter"],
  ["rejectedDeadlineEvents", "TRANSACTIONAL events rejected COMMIT_DEADLINE", "counter"],
  ["rejectedFailedEvents", "TRANSACTIONAL events rejected COMMIT_FAILED", "counter"],
  ["batches", "commit batches received from process managers", "counter"],
  ["committedBatches", "commit batches committed", "counter"],
  ["lateCommittedBatches", "batches committed after their deadline reject", "counter"],
  ["pendingEvents", "TRANSACTIONAL events in the commit stage now", "gauge"],
  ["inFlightBatches", "batches being committed now", "gauge"],
];

function snake(s: string): string {
  return s.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

export function metricsText(src: PipelineHttpSources): string {
  const ctl = new Int32Array(src.control);
  const lines = [
    "# HELP eventlab_pipeline_open_connections client connections open now",
    "# TYPE eventlab_pipeline_open_connections gauge",
    `eventlab_pipeline_open_connections ${Atomics.load(ctl, WORD_OPEN_CONNECTIONS)}`,
  ];
  lines.push(...laneMetrics(readLaneCounts(src.laneCounters), src.commit?.counters ?? null));
  if (src.commit) {
    const c = src.commit.counters;
    const stage = src.commit.backend.name;
    for (const [key, help, type] of COMMIT_METRICS) {
      const name = `eventlab_pipeline_commit_${snake(key)}`;
      lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
      lines.push(`${name}{stage="${stage}",lane="TRANSACTIONAL"} ${c[key]}`);
    }
  }
  return `${lines.join("\n")}\n`;
}

/**
 * Per lane: processed; committed (REALTIME and BATCH are acked when processed,
 * TRANSACTIONAL when its commit stage says committed: at once with
 * `immediate`); rejected by reason; pending (only a remote commit stage holds
 * events after processing).
 */
function laneMetrics(n: LaneCounts, commit: CommitCounters | null): string[] {
  const P = "eventlab_pipeline_lane";
  const out = [
    `# HELP ${P}_processed_events_total events the process managers (or compact ingest Workers) processed`,
    `# TYPE ${P}_processed_events_total counter`,
  ];
  const committed: string[] = [];
  const rejected: string[] = [];
  const pending: string[] = [];
  LANE_NAMES.forEach((lane, i) => {
    const processed = n.processed[i]!;
    const invalid = n.rejectedInvalid[i]!;
    const remote = lane === "TRANSACTIONAL" ? commit : null;
    out.push(`${P}_processed_events_total{lane="${lane}"} ${processed}`);
    committed.push(
      `${P}_committed_events_total{lane="${lane}"} ${remote ? remote.committedEvents : processed - invalid}`,
    );
    rejected.push(`${P}_rejected_events_total{lane="${lane}",reason="INVALID"} ${invalid}`);
    if (remote) {
      rejected.push(
        `${P}_rejected_events_total{lane="${lane}",reason="COMMIT_DEADLINE"} ${remote.rejectedDeadlineEvents}`,
        `${P}_rejected_events_total{lane="${lane}",reason="COMMIT_FAILED"} ${remote.rejectedFailedEvents}`,
      );
    }
    pending.push(`${P}_pending_events{lane="${lane}"} ${remote ? remote.pendingEvents : 0}`);
  });
  return [
    ...out,
    `# HELP ${P}_committed_events_total events acked as committed`,
    `# TYPE ${P}_committed_events_total counter`,
    ...committed,
    `# HELP ${P}_rejected_events_total events rejected, by reason (docs/protocol.md)`,
    `# TYPE ${P}_rejected_events_total counter`,
    ...rejected,
    `# HELP ${P}_pending_events events processed and not yet committed or rejected`,
    `# TYPE ${P}_pending_events gauge`,
    ...pending,
  ];
}

export function startPipelineHttp(
  host: string,
  port: number,
  src: PipelineHttpSources,
): Server<undefined> {
  try {
    return Bun.serve({
      hostname: host,
      port,
      fetch(req) {
        const path = new URL(req.url).pathname;
        if (req.method !== "GET") return new Response("GET only\n", { status: 405 });
        if (path === "/health") return Response.json({ health: true });
        if (path === "/metrics")
          return new Response(metricsText(src), {
            headers: { "content-type": "text/plain; version=0.0.4" },
          });
        return new Response("not found: GET /health or /metrics\n", { status: 404 });
      },
    });
  } catch (err) {
    throw new Error(
      `--http-port ${port}: cannot listen on ${host}:${port}: ${(err as Error).message}`,
    );
  }
}
