/**
 * The Redis baseline of the load generator (`bun run load --target resp`):
 * the same options, schedule and measurement as runLoad (impl/pipeline/load.ts),
 * but each event is an XADD of its record to a Redis stream over RESP2, with
 * the same pipelining (one socket write of `batch` commands per batch), so
 * eventlab and Redis can be compared on one machine in one run.
 *
 * Open loop (--rate): batches go out on the fixed schedule whatever Redis
 * does; latency from the intended send time. Closed loop (--max N): at most N
 * unanswered XADDs per connection. Conservation: every XADD sent must be
 * answered, in order (an error reply is a reject); anything else is an error
 * in the result.
 *
 * When nothing answers as Redis at host:port, runRespLoad throws
 * NoRespServerError and callers report the run as skipped.
 */
import type { Histogram } from "hdr-histogram-js";
import { monoNowNs } from "../core/clock.ts";
import { Rng } from "../core/rng.ts";
import { type FlagSpec, UsageError } from "./cli-args.ts";
import { type LoadConfig, type LoadOptions, LoadOptionsSchema, type LoadResult } from "./load.ts";
import type { ConnectionSummary } from "./load-connection.ts";
import { runSendLoop, topUp } from "./load-schedule.ts";
import { newHistogram, summarize } from "./profiler.ts";
import { RespLoadConnection } from "./resp-connection.ts";
import { encodeCommand } from "./resp-reader.ts";
import { LoadStalls } from "./stall-log.ts";

export const LOAD_TARGETS = ["eventlab", "resp"] as const;
export type LoadTarget = (typeof LOAD_TARGETS)[number];

export const TARGET_FLAG: FlagSpec = {
  flag: "target",
  key: "target",
  kind: "string",
  help: "eventlab (the pipeline server) or resp (a Redis server: XADD of the same records, same pipelining; --port defaults to 6379 then); default eventlab",
};

/** Named maximum: how long connecting and the setup round trip may take, ms. */
export const RESP_CONNECT_TIMEOUT_MS = 2_000;
/** Timer tick of the open-loop sender, ms (the schedule, not the tick, sets intended times). */
/** Named maximum: batches one connection sends per tick (caps catch-up bursts). */

/** Nothing that speaks RESP answered at host:port: the baseline is skipped, not failed. */
export class NoRespServerError extends Error {
  override name = "NoRespServerError";
  constructor(
    readonly host: string,
    readonly port: number,
    why: string,
  ) {
    super(`skipped: no Redis at ${host}:${port} (${why})`);
  }
}

export interface RespLoadResult extends LoadResult {
  target: "resp";
  /** The first error reply's text, if any XADD was rejected. */
  firstRejectMessage: string | null;
}

/** The stream key of connection `i` (one stream per connection, cleared before the run). */
export function streamKey(i: number): string {
  return `eventlab:load:${i}`;
}

export async function runRespLoad(options: LoadOptions): Promise<RespLoadResult> {
  const cfg = LoadOptionsSchema.parse(options);
  const latency = newHistogram();
  const sendLag = newHistogram();
  const rng = new Rng(cfg.seed);
  const conns = Array.from(
    { length: cfg.connections },
    (_, i) =>
      new RespLoadConnection(
        i,
        streamKey(i),
        cfg.recordBytes,
        cfg.batch,
        cfg.laneMix,
        rng.fork(i),
        cfg.pattern,
        latency,
      ),
  );
  const stalls = new LoadStalls();
  for (const c of conns) {
    c.slow = stalls.slow;
    c.backlog.stalls = stalls.generator;
  }
  try {
    await Promise.all(conns.map((c) => connect(cfg, c)));
  } catch (err) {
    for (const c of conns) c.socket?.end();
    throw err;
  }
  const mode = cfg.max !== undefined ? "closed" : "open";
  const startNs = monoNowNs();
  const endNs = startNs + (cfg.warmupS + cfg.durationS) * 1e9;
  for (const c of conns) c.recordFromNs = startNs + cfg.warmupS * 1e9;
  let lastReplyNs = startNs;
  const run = { failure: null as Error | null };
  const onReply = () => {
    lastReplyNs = monoNowNs();
    if (mode === "closed" && lastReplyNs < endNs) {
      try {
        for (const c of conns) topUp(c, cfg.batch, cfg.max!);
      } catch (err) {
        run.failure ??= err as Error;
      }
    }
  };
  for (const c of conns) c.onReply = onReply;

  const sendEndNs = await runSendLoop(
    conns,
    cfg,
    mode,
    startNs,
    endNs,
    sendLag,
    run,
    stalls.generator,
  );
  return {
    ...summarizeRun(
      cfg,
      mode,
      conns,
      latency,
      sendLag,
      startNs,
      lastReplyNs,
      sendEndNs,
      run.failure,
    ),
    ...stalls.result(),
  };
}

/** Connects, then clears the connection's stream (DEL) and waits for that reply, proving RESP is spoken. */
async function connect(cfg: LoadConfig, c: RespLoadConnection): Promise<void> {
  let socket: Awaited<ReturnType<typeof Bun.connect>>;
  try {
    socket = await Bun.connect({
      hostname: cfg.host,
      port: cfg.port,
      socket: {
        binaryType: "uint8array",
        data: (_s, chunk) => {
          c.onData(chunk);
          c.onReply?.();
        },
        drain: () => c.onDrain(),
        close: () => {
          c.closed = true;
        },
        error: () => {
          c.closed = true;
        },
      },
    });
  } catch (err) {
    throw new NoRespServerError(cfg.host, cfg.port, (err as Error).message || "connect failed");
  }
  c.socket = socket;
  socket.setNoDelay?.(true);
  c.sendSetup(encodeCommand("DEL", c.key), 1);
  const deadline = performance.now() + RESP_CONNECT_TIMEOUT_MS;
  while (c.setupRepliesPending > 0 && !c.done() && performance.now() < deadline) await Bun.sleep(1);
  if (c.setupRepliesPending > 0 || c.broken || c.protocolErrors.length > 0) {
    const why = c.broken
      ? `it does not speak RESP: ${c.broken}`
      : (c.protocolErrors[0] ??
        (c.closed ? "the connection closed" : `no reply in ${RESP_CONNECT_TIMEOUT_MS} ms`));
    throw new NoRespServerError(cfg.host, cfg.port, why);
  }
}

function summarizeRun(
  cfg: LoadConfig,
  mode: "open" | "closed",
  conns: RespLoadConnection[],
  latency: Histogram,
  sendLag: Histogram,
  startNs: number,
  lastReplyNs: number,
  sendEndNs: number,
  failure: Error | null,
): Omit<RespLoadResult, "stalls" | "stallsDropped"> {
  const summaries = conns.map((c) => c.summary());
  const errors: string[] = failure ? [failure.message] : [];
  const connections: ConnectionSummary[] = summaries.map((s) => {
    errors.push(...s.protocolErrors);
    if (s.unresolved > 0) {
      errors.push(
        `resp connection ${s.index}: ${s.unresolved} XADDs unanswered (sent ${s.sent}, acked ${s.acked}, rejected ${s.rejected})`,
      );
    }
    return {
      index: s.index,
      sent: s.sent,
      acked: s.acked,
      rejected: s.rejected,
      notAccepted: 0,
      unresolved: s.unresolved,
      resolvedThrough: s.sent - s.unresolved,
      finalSeen: false,
      serverError: null,
      protocolErrors: s.protocolErrors,
    };
  });
  const sum = (f: (s: ConnectionSummary) => number) => connections.reduce((a, s) => a + f(s), 0);
  const elapsedS = Math.max(1e-9, (lastReplyNs - startNs) / 1e9);
  const sent = sum((s) => s.sent);
  return {
    target: "resp",
    serverGone: null, // not watched for Redis: a RESP run is a baseline, skipped when absent
    config: cfg,
    mode,
    sent,
    acked: sum((s) => s.acked),
    rejected: sum((s) => s.rejected),
    notAccepted: 0,
    unresolved: sum((s) => s.unresolved),
    elapsedS,
    offeredPerS: sent / Math.max(1e-9, (sendEndNs - startNs) / 1e9),
    achievedPerS: (sum((s) => s.acked) + sum((s) => s.rejected)) / elapsedS,
    latency: summarize(latency),
    sendLag: summarize(sendLag),
    connections,
    errors,
    firstRejectMessage: summaries.find((s) => s.firstRejectMessage)?.firstRejectMessage ?? null,
  };
}

/** The Redis port `--target resp` uses when --port is not given. */
export const DEFAULT_RESP_PORT = 6379;

/**
 * Takes `--target X` / `--target=X` out of argv (the load CLI's other flags
 * are LOAD_FLAGS); throws UsageError on a bad value.
 */
export function splitTargetFlag(argv: string[]): { target: LoadTarget; rest: string[] } {
  let target: string = "eventlab";
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === "--target") {
      const v = argv[++i];
      if (v === undefined) throw new UsageError(`--target needs a value: ${TARGET_FLAG.help}`);
      target = v;
    } else if (a.startsWith("--target=")) target = a.slice("--target=".length);
    else rest.push(a);
  }
  if (!(LOAD_TARGETS as readonly string[]).includes(target)) {
    throw new UsageError(`--target must be one of ${LOAD_TARGETS.join(", ")}, got "${target}"`);
  }
  return { target: target as LoadTarget, rest };
}
