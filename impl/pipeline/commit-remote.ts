/**
 * The Worker half of a remote commit stage (`raft`, `etcd`): batches the
 * TRANSACTIONAL events a process manager hands it and posts each batch to
 * the pipeline's main thread, where the CommitHost (commit-host.ts) commits
 * it through a backend and posts the batch's outcome back.
 *
 * Why the main thread: the process manager runs a blocking loop (it parks on
 * Atomics.wait), so sockets in it would never get their callbacks. Posting
 * needs no event loop, and outcomes are pulled synchronously with
 * receiveMessageOnPort from poll(); the host rings this consumer's doorbell
 * after posting so a parked manager wakes for them.
 *
 * A batch closes at `batchEvents` events, `batchBytes` bytes, when its first
 * event has waited `lingerUs`, or when the lanes run dry (flush()).
 * Owner: one process-manager Worker; single-threaded.
 */
import { receiveMessageOnPort } from "node:worker_threads";
import { monoNowNs } from "../core/clock.ts";
import { OFF_PRODUCER, OFF_SEQUENCE } from "../core/record.ts";
import {
  type CommitStage,
  type CommitStageContext,
  type OutcomeSink,
  registerCommitStage,
} from "./commit-stage.ts";
import type { AckOutcome } from "./messages.ts";

/** Worker -> host: one batch of whole event records. */
export interface CommitBatchMessage {
  seq: number;
  records: ArrayBuffer;
  count: number;
  recordBytes: number;
}

/** Host -> Worker: the outcome of every event of batch `seq`. */
export interface CommitOutcomeMessage {
  seq: number;
  outcome: AckOutcome;
}

/** Named maximum: outcome messages taken per poll (the rest wait for the next one). */
const MAX_OUTCOMES_PER_POLL = 1024;

export class RemoteCommitStage implements CommitStage {
  private readonly port: MessagePort;
  private buf: Uint8Array;
  private count = 0;
  private bytes = 0;
  private recordBytes = 0;
  private firstNs = 0;
  private nextSeq = 1;
  private pendingEvents = 0;
  /** Batches posted and not yet answered: seq -> (producer, sequence) pairs. */
  private readonly inFlight = new Map<number, Uint32Array>();

  constructor(
    readonly name: string,
    private readonly ctx: CommitStageContext,
  ) {
    if (!ctx.port) throw new Error(`commit stage ${name} needs its channel to the main thread`);
    this.port = ctx.port;
    this.buf = new Uint8Array(ctx.batchBytes);
  }

  submit(records: Uint8Array, offset: number, count: number, recordBytes: number): void {
    if (count > this.room()) throw new RangeError(`commit stage ${this.name}: over its bound`);
    for (let i = 0; i < count; i++) {
      if (this.bytes + recordBytes > this.buf.length) this.send();
      if (this.count === 0) this.firstNs = monoNowNs();
      const off = offset + i * recordBytes;
      this.buf.set(records.subarray(off, off + recordBytes), this.bytes);
      this.bytes += recordBytes;
      this.recordBytes = recordBytes;
      this.count++;
      this.pendingEvents++;
      if (this.count >= this.ctx.batchEvents) this.send();
    }
  }

  flush(): void {
    if (this.count > 0) this.send();
  }

  poll(sink: OutcomeSink): number {
    if (this.count > 0 && monoNowNs() - this.firstNs >= this.ctx.lingerUs * 1000) this.send();
    let n = 0;
    for (let i = 0; i < MAX_OUTCOMES_PER_POLL && this.inFlight.size > 0; i++) {
      const m = receiveMessageOnPort(this.port as never) as
        | { message: CommitOutcomeMessage }
        | undefined;
      if (!m) break;
      const ids = this.inFlight.get(m.message.seq);
      if (!ids) throw new Error(`commit stage ${this.name}: outcome for unknown batch`);
      this.inFlight.delete(m.message.seq);
      for (let k = 0; k < ids.length; k += 2) sink(ids[k]!, ids[k + 1]!, m.message.outcome);
      n += ids.length / 2;
    }
    this.pendingEvents -= n;
    return n;
  }

  pending(): number {
    return this.pendingEvents;
  }

  room(): number {
    return this.ctx.maxPendingEvents - this.pendingEvents;
  }

  private send(): void {
    const records = this.buf.slice(0, this.bytes);
    const dv = new DataView(records.buffer);
    const ids = new Uint32Array(2 * this.count);
    for (let i = 0; i < this.count; i++) {
      ids[2 * i] = dv.getUint32(i * this.recordBytes + OFF_PRODUCER, true);
      ids[2 * i + 1] = dv.getUint32(i * this.recordBytes + OFF_SEQUENCE, true);
    }
    const seq = this.nextSeq++;
    this.inFlight.set(seq, ids);
    const msg: CommitBatchMessage = {
      seq,
      records: records.buffer,
      count: this.count,
      recordBytes: this.recordBytes,
    };
    this.port.postMessage(msg, [records.buffer]);
    this.count = 0;
    this.bytes = 0;
  }
}

registerCommitStage("raft", { make: (ctx) => new RemoteCommitStage("raft", ctx), remote: true });
registerCommitStage("etcd", { make: (ctx) => new RemoteCommitStage("etcd", ctx), remote: true });
