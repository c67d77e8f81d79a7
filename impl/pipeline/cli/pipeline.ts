/**
 * `bun run pipeline`: starts the event pipeline server, prints where it
 * listens, and on SIGINT/SIGTERM stops accepting, drains, acks what it
 * processed, prints the final stats and per-stage latency, and exits 0.
 */

import { LANE_NAMES } from "../../core/record.ts";
import { helpText, parseFlags, UsageError, validateOptions } from "../cli-args.ts";
import { PIPELINE_FLAGS, type PipelineConfig, PipelineOptionsSchema } from "../config.ts";
import { PortInUseError } from "../port-guard.ts";
import { fmtNs, formatStageTable } from "../profiler.ts";
import { checkWiring, type PipelineServer, type PipelineStats, startPipeline } from "../server.ts";
import { STALL_MIN_NS } from "../stall-log.ts";
import { summarizeStalls } from "../stall-report.ts";

const USAGE =
  "usage: bun run pipeline [options]\n\nTCP ingest -> dispatcher -> 3-lane bus -> process managers, acks back (docs/protocol.md).";

async function loadConfigFile(path: string): Promise<Record<string, unknown>> {
  const file = Bun.file(path);
  if (!(await file.exists())) throw new UsageError(`--config: file ${path} not found`);
  try {
    const json = await file.json();
    if (typeof json !== "object" || json === null || Array.isArray(json)) {
      throw new Error("top level must be an object");
    }
    return json as Record<string, unknown>;
  } catch (err) {
    throw new UsageError(`--config ${path}: not valid JSON options: ${(err as Error).message}`);
  }
}

export async function parsePipelineArgs(argv: string[]): Promise<PipelineConfig> {
  const flags = parseFlags(argv, PIPELINE_FLAGS);
  const { config: path, ...rest } = flags;
  const file = typeof path === "string" ? await loadConfigFile(path) : {};
  const configFile =
    typeof path === "string"
      ? { path, keys: Object.keys(file).filter((k) => !(k in rest)) }
      : undefined;
  const cfg = validateOptions(
    PipelineOptionsSchema,
    { ...file, ...rest },
    PIPELINE_FLAGS,
    configFile,
  );
  await import("../register.ts");
  try {
    checkWiring(cfg);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  return cfg;
}

export function formatStats(s: PipelineStats): string {
  const c = s.counters;
  const keys = Object.keys(c).sort();
  const lines = keys.map((k) => `  ${k.padEnd(44)} ${c[k]}`);
  const episodes = summarizeStalls(s.stalls, []).byKind.map(
    (k) =>
      `  ${k.key.padEnd(34)} ${String(k.count).padStart(6)} total ${fmtNs(k.totalNs)} longest ${fmtNs(k.maxNs)}`,
  );
  const stallText = episodes.length ? episodes.join("\n") : "  none";
  return `final stats after ${(s.elapsedMs / 1000).toFixed(1)} s:\n${lines.join("\n")}\n\n${formatLaneSummary(s)}\n\nper-stage latency (CLOCK_MONOTONIC, ns):\n${formatStageTable(s.stages)}\n\nstall episodes >= ${STALL_MIN_NS / 1e6} ms per thread (stall-log.ts):\n${stallText}`;
}

/** Per lane: processed by the process managers; TRANSACTIONAL also through the commit stage. */
export function formatLaneSummary(s: PipelineStats): string {
  const c = s.counters;
  const k = s.commit;
  const rows = LANE_NAMES.map((lane) => {
    const processed = c[`process.events.${lane}`] ?? 0;
    if (lane !== "TRANSACTIONAL" || k.receivedEvents === 0)
      return `  ${lane.padEnd(14)} accepted ${processed}`;
    return `  ${lane.padEnd(14)} accepted ${processed}  committed ${k.committedEvents}  rejected COMMIT_DEADLINE ${k.rejectedDeadlineEvents}  rejected COMMIT_FAILED ${k.rejectedFailedEvents}  pending at stop ${k.pendingEvents}  (late commits after a reject: ${k.lateCommittedBatches} batches)`;
  });
  return `per lane:\n${rows.join("\n")}`;
}

async function main(): Promise<number> {
  const argv = process.argv.slice(2);
  if (argv.includes("--help") || argv.includes("-h")) {
    process.stdout.write(helpText(USAGE, PIPELINE_FLAGS));
    return 0;
  }
  let cfg: PipelineConfig;
  try {
    cfg = await parsePipelineArgs(argv);
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`pipeline: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
  let server: PipelineServer;
  try {
    server = await startPipeline(cfg);
  } catch (err) {
    process.stderr.write(`pipeline: ${(err as Error).message}\n`);
    return err instanceof PortInUseError ? 2 : 1;
  }
  if (server.raftDataDir) console.log(`pipeline: embedded raft cluster in ${server.raftDataDir}`);
  if (server.commit)
    console.log(`pipeline: commit stage ${cfg.commitStage} via ${server.commit.backend.where}`);
  if (server.httpPort !== null)
    console.log(`pipeline: http http://${server.host}:${server.httpPort} (/health, /metrics)`);
  console.log(
    cfg.topology === "compact"
      ? `pipeline listening on ${server.host}:${server.port} (topology compact: ingest ${cfg.ingestWorkers}, each processing its own events; alloc ${cfg.alloc}, record ${cfg.recordBytes} B, commit ${cfg.commitStage})`
      : `pipeline listening on ${server.host}:${server.port} (topology staged: ingest ${cfg.ingestWorkers}, consumers ${cfg.consumers}, queue ${cfg.queue}, lane queue ${cfg.laneQueue ?? cfg.queue}, alloc ${cfg.alloc}, wait ${cfg.wait}, record ${cfg.recordBytes} B, commit ${cfg.commitStage})`,
  );
  await new Promise<void>((resolve) => {
    process.once("SIGINT", () => resolve());
    process.once("SIGTERM", () => resolve());
  });
  if (!cfg.quiet) console.log("pipeline: stopping (no new connections; draining; final acks)");
  let stats: PipelineStats;
  try {
    stats = await server.stop();
  } catch (err) {
    process.stderr.write(`pipeline: stop failed: ${(err as Error).message}\n`);
    return 1;
  }
  console.log(formatStats(stats));
  const lost = stats.counters["ingest.eventsUnresolvedAtStop"] ?? 0;
  const duplicates = stats.counters["ingest.duplicateAcks"] ?? 0;
  if (lost > 0 || duplicates > 0) {
    process.stderr.write(
      `pipeline: broken invariant: ${lost} admitted events never resolved, ${duplicates} duplicate outcomes\n`,
    );
    return 1;
  }
  return 0;
}

if (import.meta.main) process.exit(await main());
