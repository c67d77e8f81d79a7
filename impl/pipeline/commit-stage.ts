/**
 * The seam where TRANSACTIONAL events become durable before they are acked.
 * A process manager hands each processed TRANSACTIONAL event to its
 * CommitStage and acks it only when the stage reports it committed (or
 * rejected). `immediate` commits at once; `raft` and `etcd` are remote
 * stages (commit-remote.ts): they batch in the Worker and commit through the
 * pipeline's main thread (commit-host.ts), which owns the sockets.
 *
 * Owner: one process-manager Worker; single-threaded; poll() is called from
 * the Worker's loop, so an asynchronous stage must make progress through it.
 */
import { OFF_PRODUCER, OFF_SEQUENCE } from "../core/record.ts";
import { ACK_OUTCOME_ACKED, type AckOutcome } from "./messages.ts";

/** Receives outcomes: ACK_OUTCOME_ACKED = committed, otherwise a reject code (messages.ts). */
export type OutcomeSink = (producerId: number, sequence: number, outcome: AckOutcome) => void;

export interface CommitStage {
  readonly name: string;
  /** Takes `count` records from `records` at byte `offset` (copy what must outlive the call). */
  submit(records: Uint8Array, offset: number, count: number, recordBytes: number): void;
  /** Reports every outcome decided since the last poll to `sink`; returns how many. */
  poll(sink: OutcomeSink): number;
  /** Submitted events whose outcome is not yet reported. */
  pending(): number;
  /** Events it can take now (its bound minus pending): the TRANSACTIONAL lane waits when short. */
  room(): number;
  /** The lanes ran dry: send any partly filled batch now instead of lingering. */
  flush(): void;
}

/** What a remote stage's Worker half needs (the Worker's end of its channel to the main thread). */
export interface CommitStageContext {
  port: MessagePort | null;
  batchEvents: number;
  batchBytes: number;
  lingerUs: number;
  maxPendingEvents: number;
}

/** Named maximum: events the immediate stage holds between submit and poll. */
export const MAX_IMMEDIATE_PENDING = 1 << 16;

/** Commits every event at once (no replication): the stage until Raft lands. */
export class ImmediateCommitStage implements CommitStage {
  readonly name = "immediate";
  private readonly ids = new Uint32Array(2 * MAX_IMMEDIATE_PENDING);
  private count = 0;

  submit(records: Uint8Array, offset: number, count: number, recordBytes: number): void {
    if (count > this.room()) {
      throw new RangeError(`ImmediateCommitStage: more than ${MAX_IMMEDIATE_PENDING} pending`);
    }
    const dv = new DataView(records.buffer, records.byteOffset, records.byteLength);
    for (let i = 0; i < count; i++) {
      const off = offset + i * recordBytes;
      this.ids[2 * this.count] = dv.getUint32(off + OFF_PRODUCER, true);
      this.ids[2 * this.count + 1] = dv.getUint32(off + OFF_SEQUENCE, true);
      this.count++;
    }
  }

  poll(sink: OutcomeSink): number {
    const n = this.count;
    for (let i = 0; i < n; i++) sink(this.ids[2 * i]!, this.ids[2 * i + 1]!, ACK_OUTCOME_ACKED);
    this.count = 0;
    return n;
  }

  pending(): number {
    return this.count;
  }

  room(): number {
    return MAX_IMMEDIATE_PENDING - this.count;
  }

  flush(): void {}
}

/**
 * A registered stage: how a Worker makes its half, and whether it commits
 * remotely (then the main thread runs a CommitHost for it and the Worker gets
 * a channel; `backend` names the host's backend).
 */
export interface CommitStageSpec {
  make: (ctx: CommitStageContext) => CommitStage;
  remote: boolean;
}

/** Commit stages by name; remote stages register from commit-remote.ts (imported by register.ts). */
const stages = new Map<string, CommitStageSpec>([
  ["immediate", { make: () => new ImmediateCommitStage(), remote: false }],
]);

export function registerCommitStage(name: string, spec: CommitStageSpec): void {
  if (stages.has(name)) throw new Error(`commit stage "${name}" is already registered`);
  stages.set(name, spec);
}

export function commitStageNames(): string[] {
  return [...stages.keys()];
}

/** The spec of the commit stage called `name`; the error lists the valid names. */
export function commitStageSpec(name: string): CommitStageSpec {
  const spec = stages.get(name);
  if (!spec) {
    throw new Error(
      `unknown commit stage "${name}"; valid choices: ${commitStageNames().join(", ")}`,
    );
  }
  return spec;
}

/** A local stage needs no context; remote ones refuse to start without their channel. */
const NO_CONTEXT: CommitStageContext = {
  port: null,
  batchEvents: 1,
  batchBytes: 256,
  lingerUs: 0,
  maxPendingEvents: MAX_IMMEDIATE_PENDING,
};

export function createCommitStage(name: string, ctx = NO_CONTEXT): CommitStage {
  return commitStageSpec(name).make(ctx);
}
