/**
 * The dispatcher Worker: pops batches from the dispatcher queue (every ingest
 * Worker's producer end feeds it) and routes records by lane into the process
 * managers' lane queues. Each popped batch sends all its records of one lane
 * to one process manager, round-robin per lane, so batches stay batches.
 *
 * Blocking loop (it owns no sockets): waits in popBatch/pushBatch per the
 * queue's wait strategy. Ends when every ingest producer has closed and the
 * queue is drained (END_OF_STREAM); then it closes the lane queues.
 */
import { monoNowNs } from "../core/clock.ts";
import { END_OF_STREAM, type QueueProducer } from "../core/contracts.ts";
import { LANE_COUNT, LANE_NAMES, OFF_LANE, RecordWords } from "../core/record.ts";
import { openConsumer, openProducer } from "../core/registry.ts";
import { ringDoorbell, statsFromNs } from "./control-layout.ts";
import type { DispatcherInit, WorkerReport } from "./messages.ts";
import { recordSinceIngest, StageProfiler } from "./profiler.ts";
import { StallKind, StallLog } from "./stall-log.ts";

/** How long one popBatch/pushBatch call may wait before the loop looks around, ms. */
const WAIT_SLICE_MS = 50;

/** The dispatcher's counters, as typed fields; named keys only when posted (toRecord). */
class DispatcherCounters {
  batches = 0;
  events = 0;
  /** Pushes that found a lane queue full (backpressure, not loss). */
  laneFullWaits = 0;
  /** Records with an impossible lane, dropped and counted (only an --unsafe queue corrupts). */
  corruptRecordsDropped = 0;
  /** Events routed per lane, indexed by Lane. */
  readonly eventsPerLane = new Float64Array(LANE_COUNT);

  /** The WorkerStats form: the fields above, per-lane events as events.<LANE>. */
  toRecord(): Record<string, number> {
    const out: Record<string, number> = {
      batches: this.batches,
      events: this.events,
      laneFullWaits: this.laneFullWaits,
      corruptRecordsDropped: this.corruptRecordsDropped,
    };
    LANE_NAMES.forEach((name, lane) => {
      out[`events.${name}`] = this.eventsPerLane[lane]!;
    });
    return out;
  }
}

export function runDispatcher(init: DispatcherInit, post: (r: WorkerReport) => void): void {
  const cfg = init.config;
  const rb = cfg.recordBytes;
  const source = openConsumer(init.consumer);
  const lanes = init.lanes.map((row) => row.map((h) => openProducer(h)));
  const ctl = new Int32Array(init.control);
  const consumers = lanes.length;
  const batch = new Uint8Array(cfg.popBatch * rb);
  const words = new RecordWords(batch.buffer);
  const batchWords = new Uint32Array(batch.buffer);
  const staging = Array.from({ length: LANE_COUNT }, () => new Uint8Array(cfg.popBatch * rb));
  const stagingWords = staging.map((s) => new Uint32Array(s.buffer));
  const wordsPerRecord = rb >>> 2;
  const stagedCount = new Int32Array(LANE_COUNT);
  const nextConsumer = new Int32Array(LANE_COUNT);
  const profiler = new StageProfiler();
  const dispatchHist = profiler.get("dispatch.since_ingest");
  const stalls = new StallLog();
  const counters = new DispatcherCounters();

  // Bounded by the stream: every round pops >= 1 record, times out, or sees END_OF_STREAM.
  for (;;) {
    const n = source.popBatch(batch, 0, cfg.popBatch, WAIT_SLICE_MS);
    if (n === END_OF_STREAM) break;
    if (n === 0) continue;
    const poppedNs = monoNowNs();
    let laneWaitNs = 0;
    counters.batches++;
    counters.events += n;
    stagedCount.fill(0);
    for (let i = 0, off = 0; i < n; i++, off += rb) {
      const lane = batch[off + OFF_LANE]!;
      if (lane >= LANE_COUNT) {
        // Ingest validated every lane, so only a corrupting (--unsafe) queue gets here: an explicit, counted drop.
        counters.corruptRecordsDropped++;
        continue;
      }
      // Word copy: no subarray object per record on this hot path.
      const dst = stagingWords[lane]!;
      const d = stagedCount[lane]! * wordsPerRecord;
      const src = off >>> 2;
      for (let w = 0; w < wordsPerRecord; w++) dst[d + w] = batchWords[src + w]!;
      stagedCount[lane]!++;
    }
    for (let lane = 0; lane < LANE_COUNT; lane++) {
      const count = stagedCount[lane]!;
      if (count === 0) continue;
      counters.eventsPerLane[lane]! += count;
      const c = nextConsumer[lane]!;
      nextConsumer[lane] = (c + 1) % consumers;
      laneWaitNs += pushAll(lanes[c]![lane]!, staging[lane]!, count, rb, counters, stalls);
      ringDoorbell(ctl, c);
    }
    const doneNs = monoNowNs();
    recordSinceIngest(dispatchHist, words, n, rb, doneNs, statsFromNs(ctl));
    stalls.note(StallKind.BUSY, poppedNs, doneNs - poppedNs - laneWaitNs, n);
  }
  for (let c = 0; c < consumers; c++) {
    for (const p of lanes[c]!) p.close();
    ringDoorbell(ctl, c);
  }
  post({
    type: "stopped",
    stats: {
      role: "dispatcher",
      index: 0,
      counters: counters.toRecord(),
      histograms: profiler.encode(),
      stalls: stalls.encode(),
    },
  });
}

/**
 * Pushes all `count` records, waiting as long as the lane queue stays full
 * (backpressure). Returns how long it waited for room, ns (0 if the first push took all).
 */
function pushAll(
  p: QueueProducer,
  src: Uint8Array,
  count: number,
  recordBytes: number,
  counters: DispatcherCounters,
  stalls: StallLog,
): number {
  let done = 0;
  let fullSinceNs = 0;
  // Bounded only by the consumer making progress: a full lane queue is backpressure, never loss.
  while (done < count) {
    const pushed = p.pushBatch(src, done * recordBytes, count - done, WAIT_SLICE_MS);
    if (pushed < count - done) {
      counters.laneFullWaits++;
      if (fullSinceNs === 0) fullSinceNs = monoNowNs();
    }
    done += pushed;
  }
  p.flush();
  if (fullSinceNs === 0) return 0;
  const waitedNs = monoNowNs() - fullSinceNs;
  stalls.note(StallKind.LANE_FULL, fullSinceNs, waitedNs);
  return waitedNs;
}
