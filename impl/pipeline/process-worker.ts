/**
 * A process-manager Worker: pops its three lane queues under the bus
 * scheduling policy (lane-scheduler.ts), materialises each event through the
 * configured allocator, applies --work-ns of simulated work (and, with
 * --verify, checks the pattern payload and rejects a corrupt event), passes
 * TRANSACTIONAL events through the commit stage seam, and posts each batch's
 * outcomes to the ingest Worker owning the connection.
 *
 * Blocking loop: when every lane is empty it parks on its doorbell
 * (control-layout.ts). Ends when all three lane queues have ended.
 */
import { monoNowNs } from "../core/clock.ts";
import type { QueueConsumer } from "../core/contracts.ts";
import { LANE_COUNT, LANE_NAMES, RecordWords } from "../core/record.ts";
import { openConsumer } from "../core/registry.ts";
import { doorbellWord, parkOnDoorbell, statsFromNs } from "./control-layout.ts";
import { EventProcessor } from "./event-processor.ts";
import { LaneTally } from "./lane-counters.ts";
import { LaneScheduler } from "./lane-scheduler.ts";
import {
  ACK_OUTCOME_ACKED,
  type AckOutcome,
  ingestOfProducer,
  type ProcessInit,
  type WorkerReport,
} from "./messages.ts";
import { busStage, recordNs, recordSinceIngest, StageProfiler } from "./profiler.ts";
import { StallKind, StallLog } from "./stall-log.ts";

/** Longest park on the doorbell before looking again, ms (the bell normally wakes it sooner). */
const PARK_SLICE_MS = 20;
/**
 * Acks of consecutive lane batches share one postMessage (and so one ACK
 * write per connection in the ingest Worker) until the lanes run dry, the
 * buffer fills, or the oldest pending outcome has waited this long, ns. One
 * message per lane batch cost the ingest Worker a wake-up and a socket write
 * per connection each time, with the three lanes splitting every batch in three.
 */
const ACK_COALESCE_MAX_NS = 100_000;
/** Spin this long on empty lanes before parking, under spin-then-park, ns. */
const SPIN_BEFORE_PARK_NS = 50_000;

export function runProcessManager(init: ProcessInit, post: (r: WorkerReport) => void): void {
  new ProcessManager(init, post).run();
}

class ProcessManager {
  private readonly cfg: ProcessInit["config"];
  private readonly rb: number;
  private readonly lanes: QueueConsumer[];
  private readonly laneBuf: Uint8Array[];
  private readonly laneWords: RecordWords[];
  private readonly laneViews: DataView[];
  private readonly laneCount = new Int32Array(LANE_COUNT);
  private readonly laneEnded = [false, false, false];
  private readonly ctl: Int32Array;
  private readonly sched: LaneScheduler;
  private readonly processor: EventProcessor;
  private readonly ackTriples: Uint32Array[];
  private readonly ackCount: Int32Array;
  /** When the oldest outcome not yet posted was produced (0: none pending), CLOCK_MONOTONIC ns. */
  private ackOldestNs = 0;
  private readonly busHists;
  private readonly profiler = new StageProfiler();
  private readonly stalls = new StallLog();
  private readonly counters: Record<string, number> = {
    events: 0,
    acked: 0,
    rejected: 0,
    parks: 0,
  };

  constructor(
    private readonly init: ProcessInit,
    private readonly post: (r: WorkerReport) => void,
  ) {
    this.cfg = init.config;
    this.rb = this.cfg.recordBytes;
    this.lanes = init.lanes.map((h) => openConsumer(h));
    this.laneBuf = this.lanes.map(() => new Uint8Array(this.cfg.popBatch * this.rb));
    this.laneWords = this.laneBuf.map((b) => new RecordWords(b.buffer));
    this.laneViews = this.laneBuf.map((b) => new DataView(b.buffer));
    this.ctl = new Int32Array(init.control);
    const [burst, tx, batch] = this.cfg.laneWeights;
    this.sched = new LaneScheduler(burst, tx, batch);
    this.processor = new EventProcessor(
      this.cfg,
      (p, s, outcome) => this.addOutcome(p, s, outcome),
      this.cfg.popBatch,
      init.commitPort ?? null,
      new LaneTally(init.laneCounters, init.index),
    );
    this.ackTriples = init.ackPorts.map(() => new Uint32Array(3 * this.cfg.popBatch));
    this.ackCount = new Int32Array(init.ackPorts.length);
    for (const l of LANE_NAMES) this.counters[`events.${l}`] = 0;
    this.busHists = LANE_NAMES.map((l) => this.profiler.get(busStage(l)));
  }

  run(): void {
    let idleSinceNs = 0;
    // Bounded by the stream: each round processes a batch, idles, or finds every lane ended.
    for (;;) {
      const roundNs = monoNowNs();
      this.refill();
      // TRANSACTIONAL waits while its commit stage is full: backpressure, never an overflow.
      const lane = this.sched.pick(
        this.laneCount[0]! > 0,
        this.laneCount[1]! > 0 && this.processor.room() >= this.laneCount[1]!,
        this.laneCount[2]! > 0,
      );
      if (lane >= 0) {
        idleSinceNs = 0;
        this.processLane(lane);
        if (this.ackOldestNs > 0 && monoNowNs() - this.ackOldestNs >= ACK_COALESCE_MAX_NS)
          this.flushAcks();
        this.stalls.note(StallKind.BUSY, roundNs, monoNowNs() - roundNs, lane);
        continue;
      }
      // No lane has work: post what the last batches resolved before spinning or parking.
      this.flushAcks();
      if (this.processor.pending() > 0) {
        this.processor.flush();
        this.processor.poll();
        this.flushAcks();
      } else if (this.laneEnded.every(Boolean)) break;
      const now = monoNowNs();
      if (idleSinceNs === 0) idleSinceNs = now;
      if (this.cfg.wait === "spin") continue;
      if (this.cfg.wait === "spin-then-park" && now - idleSinceNs < SPIN_BEFORE_PARK_NS) continue;
      this.park();
    }
    this.post({
      type: "stopped",
      stats: {
        role: "process",
        index: this.init.index,
        counters: this.counters,
        histograms: this.profiler.encode(),
        stalls: this.stalls.encode(),
      },
    });
  }

  /** Pops one batch into every lane buffer that is empty (at most one batch waits per lane). */
  private refill(): boolean {
    let any = false;
    for (let lane = 0; lane < LANE_COUNT; lane++) {
      if (this.laneCount[lane]! > 0) {
        any = true;
        continue;
      }
      if (this.laneEnded[lane]) continue;
      const q = this.lanes[lane]!;
      const ended = q.ended();
      const n = q.tryPopBatch(this.laneBuf[lane]!, 0, this.cfg.popBatch);
      if (n > 0) {
        this.laneCount[lane] = n;
        this.recordBusWait(lane, n);
        any = true;
      } else if (ended) {
        this.laneEnded[lane] = true;
      }
    }
    return any;
  }

  private park(): void {
    this.counters.parks!++;
    const seen = Atomics.load(this.ctl, doorbellWord(this.init.index));
    parkOnDoorbell(this.ctl, this.init.index, seen, PARK_SLICE_MS, () => this.refill());
  }

  private recordBusWait(lane: number, n: number): void {
    const fromNs = statsFromNs(this.ctl);
    recordSinceIngest(this.busHists[lane]!, this.laneWords[lane]!, n, this.rb, monoNowNs(), fromNs);
  }

  /** Processes the batch waiting in `lane`'s buffer, then posts its outcomes. */
  private processLane(lane: number): void {
    const n = this.laneCount[lane]!;
    const buf = this.laneBuf[lane]!;
    const startNs = monoNowNs();
    this.processor.process(buf, this.laneViews[lane]!, 0, n);
    this.laneCount[lane] = 0;
    this.counters.events! += n;
    this.counters[`events.${LANE_NAMES[lane]}`]! += n;
    if (startNs >= statsFromNs(this.ctl))
      recordNs(this.profiler.get("process.local"), monoNowNs() - startNs, n);
  }

  private addOutcome(producerId: number, sequence: number, outcome: AckOutcome): void {
    const ingest = ingestOfProducer(producerId);
    if (ingest >= this.ackTriples.length) {
      // A corrupted producer id (only an --unsafe queue makes one): counted, not routable.
      this.counters.unroutableOutcomes = (this.counters.unroutableOutcomes ?? 0) + 1;
      return;
    }
    if (this.ackCount[ingest]! === this.cfg.popBatch) this.flushAcks();
    if (this.ackOldestNs === 0) this.ackOldestNs = monoNowNs();
    const t = this.ackTriples[ingest]!;
    const k = this.ackCount[ingest]!;
    t[3 * k] = producerId;
    t[3 * k + 1] = sequence;
    t[3 * k + 2] = outcome;
    this.ackCount[ingest] = k + 1;
    if (outcome === ACK_OUTCOME_ACKED) this.counters.acked!++;
    else this.counters.rejected!++;
  }

  /**
   * Posts each ingest Worker its outcomes; the buffer is transferred, so a
   * fresh one replaces it. doneNs is when the oldest of them was resolved, so
   * ack.done_to_written includes the time outcomes wait here to be coalesced.
   */
  private flushAcks(): void {
    const doneNs = this.ackOldestNs;
    if (doneNs === 0) return;
    this.ackOldestNs = 0;
    for (let i = 0; i < this.ackTriples.length; i++) {
      const count = this.ackCount[i]!;
      if (count === 0) continue;
      const triples = this.ackTriples[i]!;
      this.init.ackPorts[i]!.postMessage({ doneNs, triples, count }, [
        triples.buffer as ArrayBuffer,
      ]);
      this.ackTriples[i] = new Uint32Array(3 * this.cfg.popBatch);
      this.ackCount[i] = 0;
    }
  }
}
