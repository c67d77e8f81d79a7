/**
 * The seam where TRANSACTIONAL events become durable before they are acked.
 * A process manager hands each processed TRANSACTIONAL event to its
 * CommitStage and acks it only when the stage reports it committed (or
 * rejected). Today's stage commits at once; Raft replication (issue 4) plugs
 * in here: submit() proposes, poll() returns entries the cluster committed.
 *
 * Owner: one process-manager Worker; single-threaded; poll() is called from
 * the Worker's loop, so an asynchronous stage must make progress through it.
 */
import { OFF_PRODUCER, OFF_SEQUENCE } from "../core/record.ts";

/** Receives outcomes: accepted true = commit, false = reject. */
export type OutcomeSink = (producerId: number, sequence: number, accepted: boolean) => void;

export interface CommitStage {
  readonly name: string;
  /** Takes `count` records from `records` at byte `offset` (copy what must outlive the call). */
  submit(records: Uint8Array, offset: number, count: number, recordBytes: number): void;
  /** Reports every outcome decided since the last poll to `sink`; returns how many. */
  poll(sink: OutcomeSink): number;
  /** Submitted events whose outcome is not yet reported. */
  pending(): number;
}

/** Named maximum: events the immediate stage holds between submit and poll. */
export const MAX_IMMEDIATE_PENDING = 1 << 16;

/** Commits every event at once (no replication): the stage until Raft lands. */
export class ImmediateCommitStage implements CommitStage {
  readonly name = "immediate";
  private readonly ids = new Uint32Array(2 * MAX_IMMEDIATE_PENDING);
  private count = 0;

  submit(records: Uint8Array, offset: number, count: number, recordBytes: number): void {
    if (this.count + count > MAX_IMMEDIATE_PENDING) {
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
    for (let i = 0; i < n; i++) sink(this.ids[2 * i]!, this.ids[2 * i + 1]!, true);
    this.count = 0;
    return n;
  }

  pending(): number {
    return this.count;
  }
}

/** Commit stages by name; a Raft stage registers here (at import, in every Worker) when it lands. */
const stages = new Map<string, () => CommitStage>([
  ["immediate", () => new ImmediateCommitStage()],
]);

export function registerCommitStage(name: string, make: () => CommitStage): void {
  if (stages.has(name)) throw new Error(`commit stage "${name}" is already registered`);
  stages.set(name, make);
}

export function commitStageNames(): string[] {
  return [...stages.keys()];
}

/** The commit stage called `name`; the error lists the valid names. */
export function createCommitStage(name: string): CommitStage {
  const make = stages.get(name);
  if (!make) {
    throw new Error(
      `unknown commit stage "${name}"; valid choices: ${commitStageNames().join(", ")}`,
    );
  }
  return make();
}
