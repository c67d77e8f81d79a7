/**
 * Messages between the pipeline's main thread and its Workers, and the stats
 * each Worker reports when it stops.
 *
 * Acks travel from each process manager to each ingest Worker over a
 * MessageChannel (one per pair): a message is one processed batch, its
 * outcomes as (producerId, sequence, outcome) u32 triples in a transferred
 * buffer. The ingest Worker is event-driven (it owns sockets), so a port
 * whose messages arrive in its event loop fits it better than a queue it
 * would have to poll.
 */
import type { QueueEndHandle } from "../core/contracts.ts";
import type { PipelineConfig } from "./config.ts";
import type { Stage } from "./profiler.ts";

export interface IngestInit {
  role: "ingest";
  index: number;
  config: PipelineConfig;
  /** Port to bind: the configured one for Worker 0, Worker 0's actual port for the rest. */
  bindPort: number;
  /** Producer end of the dispatcher queue; null in the compact topology (this Worker processes events itself). */
  producer: QueueEndHandle | null;
  /** One port per process manager, receiving AckBatch messages (none in the compact topology). */
  ackPorts: MessagePort[];
  control: SharedArrayBuffer;
  /** Live per-lane counts (lane-counters.ts); this Worker writes slot consumers + index in the compact topology. */
  laneCounters: SharedArrayBuffer;
}

export interface DispatcherInit {
  role: "dispatcher";
  config: PipelineConfig;
  consumer: QueueEndHandle;
  /** lanes[c][lane]: producer end of consumer c's lane queue. */
  lanes: QueueEndHandle[][];
  control: SharedArrayBuffer;
}

export interface ProcessInit {
  role: "process";
  index: number;
  config: PipelineConfig;
  /** Consumer ends of this process manager's three lane queues, by lane. */
  lanes: QueueEndHandle[];
  /** One port per ingest Worker, sending AckBatch messages. */
  ackPorts: MessagePort[];
  control: SharedArrayBuffer;
  /** Live per-lane counts (lane-counters.ts); this process manager writes slot `index`. */
  laneCounters: SharedArrayBuffer;
  /** A remote commit stage's channel to the main thread's CommitHost (commit-remote.ts). */
  commitPort?: MessagePort;
}

export type WorkerInit = IngestInit | DispatcherInit | ProcessInit;

/** Outcome codes in an AckBatch triple: acked, or rejected with reason (code - 2) of protocol.ts RejectReason. */
export const ACK_OUTCOME_ACKED = 1;
export const ACK_OUTCOME_REJECTED = 2;
export const ACK_OUTCOME_REJECTED_COMMIT_DEADLINE = 3;
export const ACK_OUTCOME_REJECTED_COMMIT_FAILED = 4;
export type AckOutcome = 1 | 2 | 3 | 4;

export interface AckBatch {
  /** CLOCK_MONOTONIC ns when the batch finished processing. */
  doneNs: number;
  /** count triples: producerId, sequence, outcome. */
  triples: Uint32Array;
  count: number;
}

/** Counters a Worker reports at stop; the main thread sums them. */
export interface WorkerStats {
  role: "ingest" | "dispatcher" | "process";
  index: number;
  counters: Record<string, number>;
  /** Encoded HDR histograms by stage (profiler.ts). */
  histograms: Partial<Record<Stage, string>>;
  /** StallLog.encode() of this Worker (stall-log.ts). */
  stalls: number[];
}

/** Worker -> main. */
export type WorkerReport =
  | { type: "listening"; index: number; port: number }
  | { type: "stopped"; stats: WorkerStats }
  | { type: "failed"; role: string; index: number; message: string };

/** Owner of producer ids: connection `serial` on ingest Worker `ingest`. */
export const INGEST_ID_BITS = 6;
export function producerIdOf(ingest: number, serial: number): number {
  return ((serial << INGEST_ID_BITS) | ingest) >>> 0;
}
export function ingestOfProducer(producerId: number): number {
  return producerId & ((1 << INGEST_ID_BITS) - 1);
}
/** Named maximum: connection serials wrap at this (26 bits) per ingest Worker. */
export const MAX_CONNECTION_SERIAL = 1 << (32 - INGEST_ID_BITS);
