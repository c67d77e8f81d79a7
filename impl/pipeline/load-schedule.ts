/**
 * The open-loop send schedule both load generators share (eventlab frames in
 * load.ts, Redis XADD in load-resp.ts), so the two targets are driven by the
 * same clock: connections staggered across one batch interval, each batch sent
 * at its intended time whatever the server does, and the generator's own lag
 * recorded against that time.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { monoNowNs } from "../core/clock.ts";
import { type newHistogram, recordNs } from "./profiler.ts";
import { StallKind, type StallLog } from "./stall-log.ts";

/** How often the sender wakes to send what is due (the schedule's resolution). */
export const SEND_TICK_MS = 1;

/**
 * Open loop: when the next batch is due sooner than one tick, the sender
 * sleeps on a futex (Atomics.wait) for at most this long, then polls I/O
 * (setImmediate) and sends what is due, instead of waiting a whole timer
 * tick: with only the 1 ms timer, batches left 0.6 ms late at the median and
 * ~1.4 ms at p99, which alone breaks a 1 ms SLO. Acks arriving during a
 * sleep are read at most this late, which counts against the measured
 * latency (never in its favour).
 */
export const FINE_SLEEP_MAX_NS = 200_000;

/**
 * Open loop: while any connection has unacked events, a futex sleep lasts at
 * most this long, µs. The thread cannot read sockets while it sleeps, so an
 * ack that arrives during a FINE_SLEEP_MAX_NS sleep waited in the kernel for
 * the rest of it: with 200 µs slices every ack at 100-150k events/s was read
 * ~200 µs after it arrived (strace: sendto, futex 190 µs, then recvfrom of
 * an ack that was already there), which the e2e figure charges to the
 * pipeline. Short slices only while acks are owed: the extra wake-ups last
 * about one round trip per batch.
 */
export const DEFAULT_ACK_WAIT_SLICE_US = 20;
/**
 * A gap to the next batch this short is slept whole even while acks are
 * owed (an ack then waits at most this long, as it did before the slices):
 * at high rates a batch is due every 50-100 µs, and cutting each gap into
 * slices doubled the generator's wake-ups (800k events/s: +66 ms/s of
 * process CPU with 20 µs slices).
 */
export const ACK_WAIT_WHOLE_GAP_NS = 100_000;
/** Named maximum for --ack-wait-slice-us (FINE_SLEEP_MAX_NS: past that it is the plain sleep). */
export const MAX_ACK_WAIT_SLICE_US = FINE_SLEEP_MAX_NS / 1000;

/**
 * The kernel's timer slack for the sending thread during an open-loop run,
 * ns. Linux lets a timed futex sleep end up to the thread's slack late (50 µs
 * by default) so it can batch wake-ups; the generator's send lag p50 was
 * 53-92 µs with the default, and a bare 200 µs futex sleep overshot by 75 µs
 * at the median with 50 µs of slack against 24 µs with 1 µs. Set through
 * /proc/self/timerslack_ns (the main thread's; Linux only, ignored elsewhere)
 * and put back after the run. 0 leaves the thread's slack as it is.
 * Default 0 (opt-in): 1 µs cut the send lag p50 from ~75 to ~25 µs, but at
 * 800k events/s the process used ~150 ms/s more CPU (A/B in
 * docs/pipeline-latency.md), CPU a 2-core host's server needs at goodput.
 */
export const DEFAULT_KERNEL_TIMER_SLACK_NS = 0;
/** Named maximum for --kernel-timer-slack-ns (the kernel's own default is 50 µs). */
export const MAX_KERNEL_TIMER_SLACK_NS = 1_000_000;
const TIMER_SLACK_FILE = "/proc/self/timerslack_ns";

/**
 * Sets the main thread's kernel timer slack to `ns` (0: leave it); returns
 * how to put it back. Does nothing off the main thread (the file names the
 * main thread's slack) or where the file cannot be written.
 */
export function setKernelTimerSlack(ns: number): () => void {
  if (ns <= 0 || !Bun.isMainThread) return () => {};
  try {
    const before = readFileSync(TIMER_SLACK_FILE, "utf8").trim();
    writeFileSync(TIMER_SLACK_FILE, String(Math.round(ns)));
    return () => {
      try {
        writeFileSync(TIMER_SLACK_FILE, before);
      } catch {
        // the value stays: only the timing of this process's later sleeps differs
      }
    };
  } catch {
    return () => {};
  }
}

/**
 * Open loop: the sender switches from the 1 ms timer to futex sleeps when
 * the next batch is due within SEND_TICK_MS + this slack, ms. A 1 ms
 * setTimeout often fires late by up to about a millisecond (the event loop
 * polls with a millisecond timeout), so with no slack a batch due 1.05 ms
 * ahead waited on a timer that fired after it was due: that lateness went
 * straight into e2e latency. 0 keeps the earlier sender (A/B runs).
 */
export const DEFAULT_TIMER_SLACK_MS = 1;
/** Named maximum for --timer-slack-ms: past this the sender is a poll loop. */
export const MAX_TIMER_SLACK_MS = 10;
const fineSleeper = new Int32Array(new SharedArrayBuffer(4));

/** When the next batch of any connection is due (ns). */
function nextDueNs(
  sentBatches: Float64Array,
  startNs: number,
  intervalNs: number,
  connections: number,
): number {
  let due = Number.POSITIVE_INFINITY;
  for (let i = 0; i < connections; i++) {
    const t = startNs + (intervalNs * i) / connections + sentBatches[i]! * intervalNs;
    if (t < due) due = t;
  }
  return due;
}

/** Batches one connection may send in one tick when it has fallen behind (a named bound). */
export const MAX_BATCHES_PER_TICK = 1024;

/** Where the open-loop sender records its schedule lag: batches intended before fromNs (warm-up) are left out. */
export interface SendLag {
  hist: ReturnType<typeof newHistogram>;
  fromNs: number;
  batch: number;
}

/** A connection the schedule can drive: false when it cannot take a batch now. */
export interface BatchSender {
  sendBatch(intendedNs: number): boolean;
}

/** Sends every batch whose intended time has come, per connection, up to MAX_BATCHES_PER_TICK. */
export function openLoopTick(
  conns: readonly BatchSender[],
  sentBatches: Float64Array,
  startNs: number,
  untilNs: number,
  intervalNs: number,
  lag: SendLag,
): void {
  const sentNs = monoNowNs();
  for (let i = 0; i < conns.length; i++) {
    const c = conns[i]!;
    // Connections start staggered across one interval so their batches do not all land at once.
    const offsetNs = (intervalNs * i) / conns.length;
    for (let n = 0; n < MAX_BATCHES_PER_TICK; n++) {
      const intendedNs = startNs + offsetNs + sentBatches[i]! * intervalNs;
      if (intendedNs > untilNs || !c.sendBatch(intendedNs)) break;
      sentBatches[i]!++;
      // The generator's own schedule lag: how late this batch left against its intended time.
      if (intendedNs >= lag.fromNs) recordNs(lag.hist, sentNs - intendedNs, lag.batch);
    }
  }
}

/** Polls `cond` every 2 ms until it holds or `timeoutMs` passes. */
export async function waitFor(cond: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!cond() && performance.now() < deadline) await Bun.sleep(2);
}

/** What the send loop needs of a load connection (eventlab frames or RESP XADDs). */
export interface ScheduledConnection extends BatchSender {
  done(): boolean;
  inFlight(): number;
  readonly closed: boolean;
  readonly socket: { end(): void } | null;
  recordFromNs: number;
}

/** Closed loop: send batches until `max` events are in flight (bounded: each batch raises inFlight). */
export function topUp(c: ScheduledConnection, batch: number, max: number): void {
  while (!c.done() && c.inFlight() + batch <= max) c.sendBatch(monoNowNs());
}

export interface SendLoopConfig {
  batch: number;
  rate: number;
  connections: number;
  max?: number;
  drainTimeoutMs: number;
  tickOnly?: boolean;
  /** See DEFAULT_TIMER_SLACK_MS; absent: the default. */
  timerSlackMs?: number;
  /** See DEFAULT_ACK_WAIT_SLICE_US; absent: the default. */
  ackWaitSliceUs?: number;
  /** See DEFAULT_KERNEL_TIMER_SLACK_NS; absent: the default. */
  kernelTimerSlackNs?: number;
}

/**
 * How long the open-loop sender sleeps on the futex when the next batch is
 * `waitNs` away: never past the batch, and at most `ackSliceNs` while any
 * connection has unacked events (their acks cannot be read during the
 * sleep), else at most FINE_SLEEP_MAX_NS; a gap of ACK_WAIT_WHOLE_GAP_NS or
 * less is slept whole. 0: do not sleep.
 */
export function fineSleepNs(
  waitNs: number,
  conns: readonly Pick<ScheduledConnection, "inFlight">[],
  ackSliceNs: number,
): number {
  if (waitNs <= 0) return 0;
  let owed = false;
  for (const c of conns) if (c.inFlight() > 0) owed = true;
  if (!owed || waitNs <= ACK_WAIT_WHOLE_GAP_NS) return Math.min(waitNs, FINE_SLEEP_MAX_NS);
  return Math.min(waitNs, ackSliceNs);
}

/**
 * Runs the send side of one load run: every SEND_TICK_MS, top up (closed loop)
 * or send what the open-loop schedule says is due, until `endNs`; then waits
 * for the answers to drain (drainTimeoutMs) and closes the sockets. The first
 * error thrown while sending goes to `run.failure` and stops the loop.
 * Timer ticks late by STALL_MIN_NS or more are noted in `stalls` (LOOP_LAG).
 * Returns when sending ended (ns).
 */
export async function runSendLoop(
  conns: readonly ScheduledConnection[],
  cfg: SendLoopConfig,
  mode: "open" | "closed",
  startNs: number,
  endNs: number,
  sendLag: ReturnType<typeof newHistogram>,
  run: { failure: Error | null },
  stalls: StallLog | null = null,
): Promise<number> {
  const batchIntervalNs = (cfg.batch / (cfg.rate / cfg.connections)) * 1e9;
  const sentBatches = new Float64Array(cfg.connections);
  const fineBelowNs = (SEND_TICK_MS + (cfg.timerSlackMs ?? DEFAULT_TIMER_SLACK_MS)) * 1e6;
  const ackSliceNs = (cfg.ackWaitSliceUs ?? DEFAULT_ACK_WAIT_SLICE_US) * 1e3;
  const restoreSlack =
    mode === "open"
      ? setKernelTimerSlack(cfg.kernelTimerSlackNs ?? DEFAULT_KERNEL_TIMER_SLACK_NS)
      : () => {};
  await new Promise<void>((resolve) => {
    let dueNs = 0;
    const tick = () => {
      const now = monoNowNs();
      // The generator's own event-loop lag: this tick against when its timer was due.
      if (dueNs > 0) stalls?.note(StallKind.LOOP_LAG, dueNs, now - dueNs);
      try {
        if (mode === "closed") for (const c of conns) topUp(c, cfg.batch, cfg.max!);
        else {
          const untilNs = Math.min(now, endNs);
          const lag = { hist: sendLag, fromNs: conns[0]!.recordFromNs, batch: cfg.batch };
          openLoopTick(conns, sentBatches, startNs, untilNs, batchIntervalNs, lag);
        }
      } catch (err) {
        run.failure ??= err as Error;
        return resolve();
      }
      if (run.failure || now >= endNs || conns.every((c) => c.done())) return resolve();
      const t = monoNowNs();
      const waitNs =
        mode === "open" && !cfg.tickOnly
          ? nextDueNs(sentBatches, startNs, batchIntervalNs, cfg.connections) - t
          : Number.POSITIVE_INFINITY;
      if (waitNs < fineBelowNs) {
        const sleepNs = fineSleepNs(waitNs, conns, ackSliceNs);
        if (sleepNs > 0) Atomics.wait(fineSleeper, 0, 0, sleepNs / 1e6);
        dueNs = 0; // not a timer: no loop-lag figure for this round
        setImmediate(tick);
      } else {
        dueNs = t + SEND_TICK_MS * 1e6;
        setTimeout(tick, SEND_TICK_MS);
      }
    };
    tick();
  });
  const sendEndNs = monoNowNs();
  restoreSlack();
  await waitFor(() => conns.every((c) => c.done() || c.inFlight() === 0), cfg.drainTimeoutMs);
  for (const c of conns) c.socket?.end();
  await waitFor(() => conns.every((c) => c.closed), 1000);
  return sendEndNs;
}
