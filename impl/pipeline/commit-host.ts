/**
 * The main-thread half of a remote commit stage: receives each process
 * manager's batches (commit-remote.ts), commits them through a backend
 * (commit-raft.ts, commit-etcd.ts) with at most `commitMaxInFlight` batches
 * outstanding per process manager, and posts each batch's outcome back,
 * ringing that manager's doorbell.
 *
 * Deadline: a batch not committed `commitDeadlineMs` after it arrived is
 * rejected (COMMIT_DEADLINE). One never sent is certainly not in the log; one
 * sent may still commit later (its outcome was unknown), and the backend
 * keeps its slot until it learns, so later batches cannot overtake it. An
 * event is acked only after its backend said committed: never before.
 * Owner: the pipeline's main thread.
 */
import { monoNowNs } from "../core/clock.ts";
import { OFF_INGEST_NS_HI, OFF_INGEST_NS_LO } from "../core/record.ts";
import { TWO_POW_32 } from "../core/words.ts";
import type { CommitBatchMessage, CommitOutcomeMessage } from "./commit-remote.ts";
import type { PipelineConfig } from "./config.ts";
import { ringDoorbell, statsFromNs } from "./control-layout.ts";
import {
  ACK_OUTCOME_ACKED,
  ACK_OUTCOME_REJECTED_COMMIT_DEADLINE,
  ACK_OUTCOME_REJECTED_COMMIT_FAILED,
  type AckOutcome,
} from "./messages.ts";
import { newHistogram, recordNs } from "./profiler.ts";

/** A backend refused a batch for good (not a timeout): the events are rejected COMMIT_FAILED. */
export class CommitFailedError extends Error {
  override name = "CommitFailedError";
}

/** One process manager's connection to the committing system. */
export interface CommitLink {
  /** Commits the batch `seq` of this link (records are whole event records); resolves when durable. */
  commit(seq: number, records: Uint8Array[]): Promise<void>;
  close(): void;
}

export interface CommitBackend {
  readonly name: string;
  /** Where it commits, for the start line. */
  readonly where: string;
  open(consumer: number): CommitLink;
  close(): Promise<void>;
}

/** How often queued and in-flight batches are checked against the deadline, ms. */
const DEADLINE_SCAN_MS = 10;

/** Typed counters of the commit stage (TRANSACTIONAL events). */
export class CommitCounters {
  receivedEvents = 0;
  committedEvents = 0;
  rejectedDeadlineEvents = 0;
  rejectedFailedEvents = 0;
  batches = 0;
  committedBatches = 0;
  /** Batches rejected at the deadline whose commit later succeeded anyway (in the log, client told rejected). */
  lateCommittedBatches = 0;
  pendingEvents = 0;
  inFlightBatches = 0;
}

interface Batch {
  seq: number;
  records: Uint8Array[];
  arrivedMs: number;
  sent: boolean;
  settled: boolean;
}

class Link {
  readonly queue: Batch[] = [];
  readonly inFlight: Batch[] = [];
  constructor(
    readonly consumer: number,
    readonly port: MessagePort,
    readonly backend: CommitLink,
  ) {}
}

export class CommitHost {
  readonly counters = new CommitCounters();
  /** ingestNs -> committed, per event (the "commit.since_ingest" stage). */
  readonly sinceIngest = newHistogram();
  private readonly links: Link[] = [];
  private readonly ctl: Int32Array;
  private readonly timer: ReturnType<typeof setInterval>;

  constructor(
    private readonly cfg: PipelineConfig,
    readonly backend: CommitBackend,
    control: SharedArrayBuffer,
    ports: MessagePort[],
  ) {
    this.ctl = new Int32Array(control);
    ports.forEach((port, c) => {
      const link = new Link(c, port, backend.open(c));
      port.onmessage = (e) => this.onBatch(link, e.data as CommitBatchMessage);
      this.links.push(link);
    });
    this.timer = setInterval(() => this.checkDeadlines(), DEADLINE_SCAN_MS);
  }

  private onBatch(link: Link, m: CommitBatchMessage): void {
    const bytes = new Uint8Array(m.records);
    const records: Uint8Array[] = [];
    for (let i = 0; i < m.count; i++)
      records.push(bytes.subarray(i * m.recordBytes, (i + 1) * m.recordBytes));
    this.counters.receivedEvents += m.count;
    this.counters.pendingEvents += m.count;
    this.counters.batches++;
    link.queue.push({
      seq: m.seq,
      records,
      arrivedMs: performance.now(),
      sent: false,
      settled: false,
    });
    this.pump(link);
  }

  private pump(link: Link): void {
    // Bounded: at most commitMaxInFlight batches outstanding per link.
    while (link.queue.length > 0 && link.inFlight.length < this.cfg.commitMaxInFlight) {
      const b = link.queue.shift()!;
      b.sent = true;
      link.inFlight.push(b);
      this.counters.inFlightBatches++;
      link.backend.commit(b.seq, b.records).then(
        () => this.finish(link, b, ACK_OUTCOME_ACKED),
        (err) =>
          this.finish(
            link,
            b,
            err instanceof CommitFailedError
              ? ACK_OUTCOME_REJECTED_COMMIT_FAILED
              : ACK_OUTCOME_REJECTED_COMMIT_DEADLINE,
          ),
      );
    }
  }

  private finish(link: Link, b: Batch, outcome: AckOutcome): void {
    const i = link.inFlight.indexOf(b);
    if (i >= 0) link.inFlight.splice(i, 1);
    this.counters.inFlightBatches--;
    if (b.settled) {
      if (outcome === ACK_OUTCOME_ACKED) this.counters.lateCommittedBatches++;
    } else this.settle(link, b, outcome);
    this.pump(link);
  }

  private settle(link: Link, b: Batch, outcome: AckOutcome): void {
    b.settled = true;
    const n = b.records.length;
    this.counters.pendingEvents -= n;
    if (outcome === ACK_OUTCOME_ACKED) {
      this.counters.committedEvents += n;
      this.counters.committedBatches++;
      this.recordSinceIngest(b.records);
    } else if (outcome === ACK_OUTCOME_REJECTED_COMMIT_FAILED)
      this.counters.rejectedFailedEvents += n;
    else this.counters.rejectedDeadlineEvents += n;
    const msg: CommitOutcomeMessage = { seq: b.seq, outcome };
    link.port.postMessage(msg);
    ringDoorbell(this.ctl, link.consumer);
  }

  private recordSinceIngest(records: Uint8Array[]): void {
    const nowNs = monoNowNs();
    const fromNs = statsFromNs(this.ctl);
    for (const r of records) {
      const dv = new DataView(r.buffer, r.byteOffset, r.byteLength);
      const ingestNs =
        dv.getUint32(OFF_INGEST_NS_HI, true) * TWO_POW_32 + dv.getUint32(OFF_INGEST_NS_LO, true);
      if (ingestNs >= fromNs) recordNs(this.sinceIngest, nowNs - ingestNs);
    }
  }

  private checkDeadlines(): void {
    const cutMs = performance.now() - this.cfg.commitDeadlineMs;
    for (const link of this.links) {
      while (link.queue.length > 0 && link.queue[0]!.arrivedMs <= cutMs) {
        this.settle(link, link.queue.shift()!, ACK_OUTCOME_REJECTED_COMMIT_DEADLINE);
      }
      for (const b of link.inFlight) {
        if (!b.settled && b.arrivedMs <= cutMs)
          this.settle(link, b, ACK_OUTCOME_REJECTED_COMMIT_DEADLINE);
      }
    }
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    for (const link of this.links) {
      link.backend.close();
      link.port.close();
    }
    await this.backend.close();
  }
}
