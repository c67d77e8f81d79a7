/**
 * The load generator, as a function (tests and the pipeline experiment call
 * runLoad; `bun run load` wraps it).
 *
 * Open loop (--rate): each connection sends batches on a fixed schedule
 * whatever the server does; latency runs from each batch's intended send time
 * to its ack, so stalls show up in the tail instead of silently slowing the
 * sender (no coordinated omission). Closed loop (--max N): each connection
 * keeps at most N events unacked and sends as acks return.
 *
 * Conservation: at the end every event sent must be acked or rejected (or,
 * after the server's FINAL ack during a graceful stop, declared never
 * accepted); anything else is an error in the result.
 */
import { z } from "zod";
import { monoNowNs } from "../core/clock.ts";
import { RecordBytesSchema } from "../core/contracts.ts";
import { clientTag, DEFAULT_RECORD_BYTES, LANE_NAMES, RECORD_SIZES } from "../core/record.ts";
import { Rng } from "../core/rng.ts";
import type { FlagSpec } from "./cli-args.ts";
import { type ConnectionSummary, LoadConnection } from "./load-connection.ts";
import {
  ACK_WAIT_WHOLE_GAP_NS,
  DEFAULT_ACK_WAIT_SLICE_US,
  DEFAULT_KERNEL_TIMER_SLACK_NS,
  DEFAULT_TIMER_SLACK_MS,
  MAX_ACK_WAIT_SLICE_US,
  MAX_KERNEL_TIMER_SLACK_NS,
  MAX_TIMER_SLACK_MS,
  runSendLoop,
  topUp,
} from "./load-schedule.ts";
import { type LatencySummary, newHistogram, summarize } from "./profiler.ts";
import { REJECT_REASON_NAMES } from "./protocol.ts";
import { LoadStalls, type StallRecord } from "./stall-log.ts";

export const LoadOptionsSchema = z
  .object({
    host: z.string().min(1).default("127.0.0.1"),
    port: z.number().int().min(1).max(65535).default(7400),
    connections: z.number().int().min(1).max(4096).default(4),
    /** Offered events per second over all connections (open loop). */
    rate: z.number().min(1).max(1e9).default(100_000),
    /** Closed loop: max unacked events per connection (overrides rate). */
    max: z
      .number()
      .int()
      .min(1)
      .max(1 << 24)
      .optional(),
    durationS: z.number().min(0.01).max(86_400).default(5),
    /** Seconds of sending before the measured window: checked for conservation, kept out of the latency histogram. */
    warmupS: z.number().min(0).max(3600).default(0),
    batch: z.number().int().min(1).max(16_384).default(64),
    laneMix: z
      .union([
        z
          .string()
          .regex(
            /^\d+(\.\d+)?:\d+(\.\d+)?:\d+(\.\d+)?$/,
            "lane mix is R:T:B, three non-negative numbers",
          )
          .transform((s) => s.split(":").map(Number) as [number, number, number]),
        z.tuple([z.number().min(0), z.number().min(0), z.number().min(0)]),
      ])
      .refine((m) => m[0] + m[1] + m[2] > 0, "lane mix must not be all zero")
      .default([1, 1, 1]),
    recordBytes: RecordBytesSchema.default(DEFAULT_RECORD_BYTES),
    seed: z.number().int().min(0).max(0xffffffff).default(1),
    /** Fill payloads with the checkable pattern (the server's --verify checks it). */
    pattern: z.boolean().default(false),
    /** Write every acked TRANSACTIONAL run "tag from to" to this file as acks arrive. */
    recordAcks: z.string().min(1).optional(),
    /** How long to wait for outstanding acks after the sending window, ms. */
    drainTimeoutMs: z.number().int().min(0).max(600_000).default(10_000),
    quiet: z.boolean().default(false),
    /** Open loop: send only on the 1 ms timer tick, never a futex sleep (the generator before; for A/B runs). */
    tickOnly: z.boolean().default(false),
    /**
     * Open loop: how long before a batch is due the sender stops waiting on
     * timers and sleeps on the futex instead, ms (0: the 1 ms timer up to the
     * last millisecond, the generator before; for A/B runs). load-schedule.ts.
     */
    timerSlackMs: z.number().min(0).max(MAX_TIMER_SLACK_MS).default(DEFAULT_TIMER_SLACK_MS),
    /**
     * Open loop: the longest futex sleep while acks are owed, µs, except a
     * short gap to the next batch (MAX_ACK_WAIT_SLICE_US = the earlier sender). load-schedule.ts.
     */
    ackWaitSliceUs: z.number().min(1).max(MAX_ACK_WAIT_SLICE_US).default(DEFAULT_ACK_WAIT_SLICE_US),
    /** Open loop: the sending thread's kernel timer slack, ns (0: leave it). load-schedule.ts. */
    kernelTimerSlackNs: z
      .number()
      .int()
      .min(0)
      .max(MAX_KERNEL_TIMER_SLACK_NS)
      .default(DEFAULT_KERNEL_TIMER_SLACK_NS),
  })
  .strict();
export type LoadOptions = z.input<typeof LoadOptionsSchema>;
export type LoadConfig = z.output<typeof LoadOptionsSchema>;

export const LOAD_FLAGS: FlagSpec[] = [
  { flag: "host", key: "host", kind: "string", help: "server address (default 127.0.0.1)" },
  { flag: "port", key: "port", kind: "int", help: "server port, 1..65535 (default 7400)" },
  {
    flag: "connections",
    key: "connections",
    kind: "int",
    help: "TCP connections, 1..4096 (default 4)",
  },
  {
    flag: "rate",
    key: "rate",
    kind: "number",
    help: "open loop: offered events/s over all connections, 1..1e9 (default 100000)",
  },
  {
    flag: "max",
    key: "max",
    kind: "int",
    help: "closed loop instead: max unacked events per connection, 1..16777216",
  },
  {
    flag: "duration",
    key: "durationS",
    kind: "number",
    help: "seconds of sending, 0.01..86400 (default 5)",
  },
  {
    flag: "warmup",
    key: "warmupS",
    kind: "number",
    help: "seconds of sending before --duration starts; conserved but not in the latency figures, 0..3600 (default 0)",
  },
  { flag: "batch", key: "batch", kind: "int", help: "events per frame, 1..16384 (default 64)" },
  {
    flag: "lane-mix",
    key: "laneMix",
    kind: "string",
    help: "R:T:B relative share of REALTIME, TRANSACTIONAL, BATCH events (default 1:1:1)",
  },
  {
    flag: "record-bytes",
    key: "recordBytes",
    kind: "int",
    help: `event record size: ${RECORD_SIZES.join(", ")}; must match the server (default 64)`,
  },
  {
    flag: "seed",
    key: "seed",
    kind: "int",
    help: "seed for the lane choice, 0..4294967295 (default 1)",
  },
  {
    flag: "pattern",
    key: "pattern",
    kind: "bool",
    help: "fill payloads with the checkable pattern (pair with the server's --verify)",
  },
  {
    flag: "record-acks",
    key: "recordAcks",
    kind: "string",
    help: "write each acked TRANSACTIONAL sequence run as a line 'TAG FROM TO' ([FROM, TO), client tag in payload bytes 0..3) to this file, for `bun run cluster verify --acks`; not with --pattern",
  },
  {
    flag: "drain-timeout-ms",
    key: "drainTimeoutMs",
    kind: "int",
    help: "wait this long for outstanding acks after sending, 0..600000 (default 10000)",
  },
  { flag: "quiet", key: "quiet", kind: "bool", help: "print only the result (no start line)" },
  {
    flag: "tick-only",
    key: "tickOnly",
    kind: "bool",
    help: "open loop: send only on the 1 ms timer tick (batches leave up to ~1 ms late); default sleeps on a futex up to 200 µs when a batch is due sooner",
  },
  {
    flag: "timer-slack-ms",
    key: "timerSlackMs",
    kind: "number",
    help: `open loop: stop waiting on timers this long before a batch is due and sleep on a futex instead, 0..${MAX_TIMER_SLACK_MS} ms (default ${DEFAULT_TIMER_SLACK_MS}; 0 = the earlier sender)`,
  },
  {
    flag: "ack-wait-slice-us",
    key: "ackWaitSliceUs",
    kind: "number",
    help: `open loop: while acks are owed, futex sleeps last at most this long (a gap of ${ACK_WAIT_WHOLE_GAP_NS / 1000} µs or less to the next batch is slept whole), so acks are read sooner, 1..${MAX_ACK_WAIT_SLICE_US} µs (default ${DEFAULT_ACK_WAIT_SLICE_US}; ${MAX_ACK_WAIT_SLICE_US} = the earlier sender)`,
  },
  {
    flag: "kernel-timer-slack-ns",
    key: "kernelTimerSlackNs",
    kind: "int",
    help: `open loop: the sending thread's Linux timer slack during the run (how late a timed sleep may end), 0..${MAX_KERNEL_TIMER_SLACK_NS} ns (default ${DEFAULT_KERNEL_TIMER_SLACK_NS}; 0 = leave the kernel's, normally 50000)`,
  },
];

export interface LoadResult {
  config: LoadConfig;
  mode: "open" | "closed";
  sent: number;
  acked: number;
  rejected: number;
  notAccepted: number;
  unresolved: number;
  /** Seconds from the first send to the last ack. */
  elapsedS: number;
  offeredPerS: number;
  achievedPerS: number;
  latency: LatencySummary;
  /** End-to-end latency per lane (REALTIME, TRANSACTIONAL, BATCH), acked events only (eventlab protocol only). */
  laneLatency?: LatencySummary[];
  /** Rejects by reason, REJECT_REASON_NAMES order (eventlab protocol only). */
  rejectedByReason?: number[];
  /**
   * Open loop: how late the generator itself sent each batch against its
   * intended time (per event, measured window only). A large figure means the
   * client, not the server, was behind (its event loop or its core was busy);
   * the e2e latency still counts from the intended time. Zero in closed loop.
   */
  sendLag: LatencySummary;
  /**
   * Per event, from its batch's actual write to the ack being read (e2e less
   * the send lag): the server, both kernel hops and the generator's own
   * receive path (an ack is read only when the generator's thread next polls
   * its sockets). Eventlab protocol only.
   */
  ackRtt?: LatencySummary;
  connections: ConnectionSummary[];
  /** Conservation and protocol failures; empty means every event is accounted for. */
  errors: string[];
  /**
   * Every measured batch acked SLOW_E2E_NS or more after its intended send
   * time (kind e2e-slow: atNs = intended time, detail = events), plus the
   * generator's own episodes (loop-lag, send-backlog), in time order.
   */
  stalls: StallRecord[];
  /** Episodes left out because a log was full (MAX_STALL_RECORDS). */
  stallsDropped: number;
  /** Set when the server closed a connection before sending ended: the run was cut short. */
  serverGone: string | null;
}

export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const cfg = LoadOptionsSchema.parse(options);
  if (cfg.recordAcks && cfg.pattern)
    throw new Error("--record-acks needs the client tag in the payload: not with --pattern");
  const latency = newHistogram();
  const laneLatency = LANE_NAMES.map(() => newHistogram());
  const sink = cfg.recordAcks ? Bun.file(cfg.recordAcks).writer() : null;
  const recorder = sink
    ? (tag: number, from: number, to: number) => void sink.write(`${tag} ${from} ${to}\n`)
    : null;
  const sendLag = newHistogram();
  const ackRtt = newHistogram();
  const rng = new Rng(cfg.seed);
  const conns = Array.from(
    { length: cfg.connections },
    (_, i) =>
      new LoadConnection(
        i,
        cfg.recordBytes,
        cfg.batch,
        cfg.laneMix,
        rng.fork(i),
        cfg.pattern,
        latency,
        laneLatency,
        clientTag(cfg.seed, i),
        recorder,
      ),
  );
  const stalls = new LoadStalls();
  for (const c of conns) {
    c.slow = stalls.slow;
    c.ackRtt = ackRtt;
    c.backlog.stalls = stalls.generator;
  }
  const closedAtNs = new Float64Array(cfg.connections).fill(Infinity);
  try {
    await Promise.all(conns.map((c) => connect(cfg, c, closedAtNs)));
  } catch (err) {
    for (const c of conns) c.socket?.end();
    throw new NoServerError(cfg.host, cfg.port, (err as Error).message);
  }
  const mode = cfg.max !== undefined ? "closed" : "open";
  const startNs = monoNowNs();
  const endNs = startNs + (cfg.warmupS + cfg.durationS) * 1e9;
  for (const c of conns) c.recordFromNs = startNs + cfg.warmupS * 1e9;
  let lastAckNs = startNs;
  const onAck = () => {
    lastAckNs = monoNowNs();
    if (mode === "closed" && lastAckNs < endNs)
      for (const c of conns) topUp(c, cfg.batch, cfg.max!);
  };
  for (const c of conns) c.onAck = onAck;

  const run = { failure: null as Error | null };
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
  if (sink) await sink.end();
  const result = {
    ...summarizeRun(
      cfg,
      mode,
      conns,
      latency,
      sendLag,
      startNs,
      Math.max(lastAckNs, startNs),
      sendEndNs,
      run.failure,
    ),
    ...stalls.result(),
  };
  result.laneLatency = laneLatency.map(summarize);
  result.ackRtt = summarize(ackRtt);
  result.serverGone = serverGone(cfg, conns, closedAtNs, startNs, endNs, sendEndNs);
  return result;
}

/**
 * Says how the server went away if it closed a connection, or sent its FINAL
 * ack, before sending ended (the load generator closes its sockets only
 * after): a run cut short looks like a fine, shorter one otherwise. Null when
 * it stayed.
 */
function serverGone(
  cfg: LoadConfig,
  conns: LoadConnection[],
  closedAtNs: Float64Array,
  startNs: number,
  endNs: number,
  sendEndNs: number,
): string | null {
  // A FINAL ack (graceful stop) ends the send loop early without a close: dated by the loop's end.
  const cutShort = sendEndNs < endNs;
  let first = -1;
  let firstNs = Infinity;
  for (let i = 0; i < conns.length; i++) {
    const goneNs =
      closedAtNs[i]! <= sendEndNs
        ? closedAtNs[i]!
        : cutShort && conns[i]!.finalSeen
          ? sendEndNs
          : Infinity;
    if (goneNs < firstNs) [first, firstNs] = [i, goneNs];
  }
  if (first < 0) return null;
  const atS = Math.max(0, (firstNs - startNs) / 1e9);
  const how = conns[first]!.finalSeen
    ? "stopped (final ack received)"
    : "closed the connection without a final ack (crashed or killed?)";
  return `the server at ${cfg.host}:${cfg.port} went away ${atS.toFixed(2)} s into a ${cfg.warmupS + cfg.durationS} s run: it ${how}; the figures cover only the part before`;
}

/** Nothing accepted a connection at host:port. */
export class NoServerError extends Error {
  override name = "NoServerError";
  constructor(
    readonly host: string,
    readonly port: number,
    why: string,
  ) {
    super(
      `no server at ${host}:${port} (${why || "connect failed"}): start one with \`bun run pipeline --port ${port}\``,
    );
  }
}

function connect(cfg: LoadConfig, c: LoadConnection, closedAtNs: Float64Array): Promise<void> {
  return Bun.connect({
    hostname: cfg.host,
    port: cfg.port,
    socket: {
      binaryType: "uint8array",
      data: (_s, chunk) => {
        c.onData(chunk);
        c.onAck?.();
      },
      drain: () => c.onDrain(),
      close: () => {
        c.closed = true;
        closedAtNs[c.index] = Math.min(closedAtNs[c.index]!, monoNowNs());
      },
      error: () => {
        c.closed = true;
        closedAtNs[c.index] = Math.min(closedAtNs[c.index]!, monoNowNs());
      },
    },
  }).then((s) => {
    c.socket = s;
    s.setNoDelay?.(true);
  });
}

function summarizeRun(
  cfg: LoadConfig,
  mode: "open" | "closed",
  conns: LoadConnection[],
  latency: ReturnType<typeof newHistogram>,
  sendLag: ReturnType<typeof newHistogram>,
  startNs: number,
  lastAckNs: number,
  sendEndNs: number,
  failure: Error | null,
): Omit<LoadResult, "stalls" | "stallsDropped"> {
  const summaries = conns.map((c) => c.summary());
  const errors: string[] = failure ? [failure.message] : [];
  for (const s of summaries) {
    errors.push(...s.protocolErrors);
    if (s.serverError) errors.push(`connection ${s.index}: server error ${s.serverError}`);
    if (s.unresolved > 0) {
      errors.push(
        `connection ${s.index}: ${s.unresolved} events unresolved (sent ${s.sent}, acked ${s.acked}, rejected ${s.rejected})`,
      );
    }
  }
  const sum = (f: (s: ConnectionSummary) => number) => summaries.reduce((a, s) => a + f(s), 0);
  const elapsedS = Math.max(1e-9, (lastAckNs - startNs) / 1e9);
  const sent = sum((s) => s.sent);
  return {
    config: cfg,
    mode,
    sent,
    acked: sum((s) => s.acked),
    rejected: sum((s) => s.rejected),
    notAccepted: sum((s) => s.notAccepted),
    unresolved: sum((s) => s.unresolved),
    elapsedS,
    offeredPerS: sent / Math.max(1e-9, (sendEndNs - startNs) / 1e9),
    achievedPerS: (sum((s) => s.acked) + sum((s) => s.rejected)) / elapsedS,
    latency: summarize(latency),
    laneLatency: [],
    rejectedByReason: REJECT_REASON_NAMES.map((_, r) => sum((s) => s.rejectedByReason?.[r] ?? 0)),
    sendLag: summarize(sendLag),
    connections: summaries,
    errors,
    serverGone: null,
  };
}
