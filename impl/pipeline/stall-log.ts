/**
 * Stall episodes, for finding what causes the end-to-end tail: each pipeline
 * Worker and the load generator note every episode longer than a threshold
 * (an event loop that ran late, a loop iteration that held the thread, a
 * socket paused for backpressure, an ACK write the socket would not take,
 * a lane queue that stayed full) with its CLOCK_MONOTONIC start and duration.
 * The clock is shared by every thread and process on the host, so the
 * episodes line up with the load generator's slow samples directly
 * (stall-report.ts).
 *
 * Storage is one preallocated Float64Array: noting an episode allocates
 * nothing, so the log does not itself cause the garbage it helps to find.
 * Owner: one thread; shipped as a plain number array at stop.
 */

/** What an episode was. Codes, not strings: the log stores numbers. */
export const StallKind = {
  /** A timer fired this much later than asked: the thread's event loop was held (GC, long task, no core). */
  LOOP_LAG: 0,
  /** One iteration of a blocking loop (dispatcher, process manager) ran this long, waits excluded. */
  BUSY: 1,
  /** A connection's socket stayed paused this long: the dispatcher queue was full (detail 0) or its unacked window (detail 1). */
  SOCKET_PAUSED: 2,
  /** An ACK write stayed partly unwritten this long (the client was not reading). */
  ACK_WRITE_BLOCKED: 3,
  /** The dispatcher waited this long for room in a full lane queue. */
  LANE_FULL: 4,
  /** Load generator: its socket took less than it was given, and the rest waited this long. */
  SEND_BACKLOG: 5,
  /** Load generator: a batch's events were acked this long after their intended send time (detail: events). */
  E2E_SLOW: 6,
  /** A thread was runnable but had no core for this long within one sampling interval (/proc schedstat). */
  RUNQUEUE_WAIT: 7,
} as const;
export type StallKindCode = (typeof StallKind)[keyof typeof StallKind];
export const STALL_KIND_NAMES = [
  "loop-lag",
  "busy",
  "socket-paused",
  "ack-write-blocked",
  "lane-full",
  "send-backlog",
  "e2e-slow",
  "runqueue-wait",
] as const;

/** End-to-end samples at or above this are each noted with their time (issue 13's stall bar), ns. */
export const SLOW_E2E_NS = 50_000_000;

/** Episodes shorter than this are not noted, ns (a 50 ms e2e stall is made of pieces this size or more). */
export const STALL_MIN_NS = 5_000_000;
/** Named maximum: episodes one thread keeps; later ones are counted in `dropped`. */
export const MAX_STALL_RECORDS = 4096;
/** Fields per episode in the flat array: kind, atNs, durationNs, detail. */
const FIELDS = 4;

export interface StallRecord {
  kind: (typeof STALL_KIND_NAMES)[number];
  /** Where it was noted: e.g. "ingest 0", "dispatcher", "process 1", "load". */
  thread: string;
  /** CLOCK_MONOTONIC ns when the episode began. */
  atNs: number;
  durationNs: number;
  detail: number;
}

export class StallLog {
  private readonly data = new Float64Array(MAX_STALL_RECORDS * FIELDS);
  count = 0;
  dropped = 0;

  constructor(readonly minNs = STALL_MIN_NS) {}

  /** Notes an episode if it lasted at least minNs. */
  note(kind: StallKindCode, atNs: number, durationNs: number, detail = 0): void {
    if (durationNs < this.minNs) return;
    if (this.count === MAX_STALL_RECORDS) {
      this.dropped++;
      return;
    }
    const o = this.count++ * FIELDS;
    this.data[o] = kind;
    this.data[o + 1] = atNs;
    this.data[o + 2] = durationNs;
    this.data[o + 3] = detail;
  }

  /** The flat form a Worker posts at stop: [dropped, kind, atNs, durationNs, detail, ...]. */
  encode(): number[] {
    return [this.dropped, ...this.data.subarray(0, this.count * FIELDS)];
  }
}

/** Reads a StallLog.encode() array back into records tagged with `thread`. */
export function decodeStalls(
  flat: readonly number[],
  thread: string,
): { records: StallRecord[]; dropped: number } {
  const records: StallRecord[] = [];
  for (let o = 1; o + FIELDS <= flat.length; o += FIELDS) {
    records.push({
      kind: STALL_KIND_NAMES[flat[o]!]!,
      thread,
      atNs: flat[o + 1]!,
      durationNs: flat[o + 2]!,
      detail: flat[o + 3]!,
    });
  }
  return { records, dropped: flat[0] ?? 0 };
}

/**
 * Event-loop lag probe for an event-driven thread: a timer every `everyMs`
 * notes how late it fired. Cheap (one clock read per tick), so it runs in
 * every measured run.
 */
export function startLoopLagProbe(
  log: StallLog,
  now: () => number,
  everyMs: number,
): ReturnType<typeof setInterval> {
  let expectNs = now() + everyMs * 1e6;
  return setInterval(() => {
    const t = now();
    log.note(StallKind.LOOP_LAG, expectNs, t - expectNs);
    expectNs = t + everyMs * 1e6;
  }, everyMs);
}

/** How often event-driven threads probe their loop lag, ms. */
export const LOOP_LAG_PROBE_MS = 5;

/** The load side's two stall logs: slow e2e samples, and the generator's own episodes. */
export class LoadStalls {
  readonly slow = new StallLog(SLOW_E2E_NS);
  readonly generator = new StallLog();
  /** Merged, time-ordered records. */
  result(): { stalls: StallRecord[]; stallsDropped: number } {
    const a = decodeStalls(this.slow.encode(), "load");
    const b = decodeStalls(this.generator.encode(), "load");
    const stalls = [...a.records, ...b.records].sort((x, y) => x.atNs - y.atNs);
    return { stalls, stallsDropped: a.dropped + b.dropped };
  }
}
