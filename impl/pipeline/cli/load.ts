/**
 * `bun run load`: drives a running pipeline server with the load generator
 * (impl/pipeline/load.ts), prints throughput and end-to-end latency, and exits
 * non-zero if any event is unaccounted for.
 */

import { LANE_NAMES } from "../../core/record.ts";
import { helpText, parseFlags, UsageError, validateOptions } from "../cli-args.ts";
import { LOAD_FLAGS, LoadOptionsSchema, type LoadResult, runLoad } from "../load.ts";
import {
  DEFAULT_RESP_PORT,
  type LoadTarget,
  NoRespServerError,
  runRespLoad,
  splitTargetFlag,
  TARGET_FLAG,
} from "../load-resp.ts";
import { fmtNs } from "../profiler.ts";
import { REJECT_REASON_NAMES } from "../protocol.ts";
import { SLOW_E2E_NS } from "../stall-log.ts";

const USAGE =
  "usage: bun run load [options]\n\nOpen loop (--rate) or closed loop (--max) load against `bun run pipeline`; checks every event is acked or rejected.";

/** How many measured batches took 50 ms or more (each is in LoadResult.stalls with its time). */
function slowLine(r: LoadResult): string {
  const slow = r.stalls.filter((s) => s.kind === "e2e-slow");
  const events = slow.reduce((a, s) => a + s.detail, 0);
  const more = r.stallsDropped > 0 ? ` (+${r.stallsDropped} not kept)` : "";
  return `  batches acked >= ${SLOW_E2E_NS / 1e6} ms after their intended send: ${slow.length}${more}, ${events} events`;
}

export function formatLoadResult(r: LoadResult): string {
  const l = r.latency;
  const mode =
    r.mode === "open"
      ? `open loop, offered ${Math.round(r.offeredPerS)} events/s`
      : `closed loop, max ${r.config.max} unacked/connection`;
  return [
    `load: ${mode}, ${r.config.connections} connections, batch ${r.config.batch}, ${r.config.recordBytes} B records, seed ${r.config.seed}`,
    `  sent ${r.sent}  acked ${r.acked}  rejected ${r.rejected}  not accepted (server stopped) ${r.notAccepted}  unresolved ${r.unresolved}`,
    `  achieved ${Math.round(r.achievedPerS)} events/s over ${r.elapsedS.toFixed(2)} s`,
    `  e2e latency from intended send: p50 ${fmtNs(l.p50Ns)}  p99 ${fmtNs(l.p99Ns)}  p99.9 ${fmtNs(l.p999Ns)}  max ${fmtNs(l.maxNs)}  (${l.count} events${r.config.warmupS > 0 ? `, after ${r.config.warmupS} s warm-up` : ""})`,
    ...(r.laneLatency ?? []).map(
      (l, i) =>
        `  ${LANE_NAMES[i]!.padEnd(13)} p50 ${fmtNs(l.p50Ns)}  p99 ${fmtNs(l.p99Ns)}  p99.9 ${fmtNs(l.p999Ns)}  (${l.count} acked)`,
    ),
    ...(r.rejected > 0 && r.rejectedByReason
      ? [
          `  rejected by reason: ${REJECT_REASON_NAMES.map((n, i) => `${n} ${r.rejectedByReason![i]}`).join("  ")}`,
        ]
      : []),
    r.mode === "open"
      ? `  generator schedule lag (sent - intended): p50 ${fmtNs(r.sendLag.p50Ns)}  p99 ${fmtNs(r.sendLag.p99Ns)}  max ${fmtNs(r.sendLag.maxNs)}`
      : "  generator schedule lag: n/a (closed loop sends on acks)",
    ...(r.ackRtt
      ? [
          `  write to ack read (e2e less the send lag): p50 ${fmtNs(r.ackRtt.p50Ns)}  p99 ${fmtNs(r.ackRtt.p99Ns)}  max ${fmtNs(r.ackRtt.maxNs)}`,
        ]
      : []),
    slowLine(r),
    r.errors.length === 0
      ? "  conservation: OK (every event sent is acked, rejected, or declared not accepted)"
      : `  conservation: FAILED\n${r.errors
          .slice(0, 20)
          .map((e) => `    ${e}`)
          .join("\n")}${r.errors.length > 20 ? `\n    ... ${r.errors.length - 20} more` : ""}`,
  ].join("\n");
}

async function main(): Promise<number> {
  const argv = process.argv.slice(2);
  if (argv.includes("--help") || argv.includes("-h")) {
    process.stdout.write(helpText(USAGE, [...LOAD_FLAGS, TARGET_FLAG]));
    return 0;
  }
  let cfg: ReturnType<typeof LoadOptionsSchema.parse>;
  let target: LoadTarget;
  try {
    const split = splitTargetFlag(argv);
    target = split.target;
    const raw = parseFlags(split.rest, LOAD_FLAGS);
    if (target === "resp" && raw.port === undefined) raw.port = DEFAULT_RESP_PORT;
    cfg = validateOptions(LoadOptionsSchema, raw, LOAD_FLAGS);
    if (cfg.recordAcks && cfg.pattern)
      throw new UsageError(
        "--record-acks: the client tag goes in the payload, so not with --pattern",
      );
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`load: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
  if (!cfg.quiet) {
    const mode =
      cfg.max !== undefined
        ? `closed loop, max ${cfg.max} unacked per connection`
        : `open loop at ${cfg.rate} events/s`;
    console.log(
      `load: ${cfg.connections} connections to ${target} at ${cfg.host}:${cfg.port}, ${mode}, ${cfg.warmupS > 0 ? `${cfg.warmupS} s warm-up + ` : ""}${cfg.durationS} s, seed ${cfg.seed}`,
    );
  }
  let result: LoadResult;
  try {
    result = target === "resp" ? await runRespLoad(cfg) : await runLoad(cfg);
  } catch (err) {
    if (err instanceof NoRespServerError) {
      console.log(`load --target resp: ${err.message}`);
      return 0;
    }
    process.stderr.write(`load: ${(err as Error).message}\n`);
    return 1;
  }
  if (target === "resp") console.log(`target resp: Redis XADD at ${cfg.host}:${cfg.port}`);
  console.log(formatLoadResult(result));
  if (result.serverGone) process.stderr.write(`load: ${result.serverGone}\n`);
  return result.errors.length === 0 && !result.serverGone ? 0 : 1;
}

if (import.meta.main) process.exit(await main());
