/**
 * The pipeline's HTTP port (--http-port), the members' conventions (etcd's):
 * GET /health answers 200 {"health":true} while the pipeline runs;
 * GET /metrics is Prometheus text: open
 * connections and the commit stage's typed counters (TRANSACTIONAL lane).
 * Owner: the pipeline's main thread.
 */
import type { Server } from "bun";
import type { CommitCounters, CommitHost } from "./commit-host.ts";
import { WORD_OPEN_CONNECTIONS } from "./control-layout.ts";

export interface PipelineHttpSources {
  control: SharedArrayBuffer;
  commit: CommitHost | null;
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
