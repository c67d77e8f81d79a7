/**
 * Pipeline server options: one zod schema (defaults, ranges), the CLI flag
 * table that documents each, and the lane-weight parser.
 */
import { z } from "zod";
import { RecordBytesSchema, WAIT_STRATEGIES } from "../core/contracts.ts";
import { DEFAULT_RECORD_BYTES, RECORD_SIZES } from "../core/record.ts";
import type { FlagSpec } from "./cli-args.ts";

/** Named maxima for the server's own loops and sizes. */
export const MAX_WORKERS = 32;
export const MAX_POP_BATCH_RECORDS = 4096;
export const MAX_WORK_NS = 1_000_000_000;
/** Events per commit batch: a Raft append carries at most this many records (member limit). */
export const MAX_COMMIT_BATCH_EVENTS = 4096;
export const MAX_COMMIT_BATCH_BYTES = 4 * 1024 * 1024;
/** Batches a remote commit stage has outstanding per process manager. */
export const MAX_COMMIT_IN_FLIGHT = 256;

/**
 * How the stages map onto threads. staged: ingest Workers -> dispatcher ->
 * process managers, queues between them (five busy threads with the
 * defaults and the JIT). compact: each ingest Worker processes what it
 * admits itself (ingest-target.ts), one thread per ingest Worker, for small
 * hosts.
 */
export const TOPOLOGIES = ["staged", "compact"] as const;
export type Topology = (typeof TOPOLOGIES)[number];

/**
 * "R:T:B" lane weights. R is the REALTIME burst: how many REALTIME batches a
 * consumer serves in a row while another lane waits (the starvation guard).
 * T:B split the turns the guard yields between TRANSACTIONAL and BATCH.
 */
export const LaneWeightsSchema = z
  .union([
    z
      .string()
      .regex(/^\d+:\d+:\d+$/, "lane weights are R:T:B, three non-negative integers")
      .transform((s) => s.split(":").map(Number) as [number, number, number]),
    z.tuple([z.number().int(), z.number().int(), z.number().int()]),
  ])
  .refine(
    ([r, t, b]) => r >= 1 && r <= 1024 && t >= 0 && b >= 0 && t + b >= 1 && t <= 1024 && b <= 1024,
    {
      message: "R in 1..1024, T and B in 0..1024 with T+B >= 1",
    },
  );

export const PipelineOptionsSchema = z
  .object({
    host: z.string().min(1).default("127.0.0.1"),
    port: z.number().int().min(0).max(65535).default(7400),
    topology: z.enum(TOPOLOGIES).default("staged"),
    ingestWorkers: z.number().int().min(1).max(MAX_WORKERS).default(1),
    consumers: z.number().int().min(1).max(MAX_WORKERS).default(1),
    /**
     * array-pool by default: naive makes an object and a payload array per
     * event, and at 1.2M events/s that Worker's heap collected 54 times in
     * 11 s against 15 with the pool (docs/pipeline-latency.md).
     */
    alloc: z.string().min(1).default("array-pool"),
    queue: z.string().min(1).default("fan-in"),
    /** Queue kind for the per-consumer lane queues (one producer each); defaults to --queue. */
    laneQueue: z.string().min(1).optional(),
    /**
     * park by default: the pipeline runs 3+ threads (ingest, dispatcher,
     * consumers) beside the load generator, and on a 2-core host a spinning
     * waiter takes the core the stage it waits for needs (docs/pipeline-latency.md).
     */
    wait: z.enum(WAIT_STRATEGIES).default("park"),
    /** Lets a single-producer --queue take several ingest Workers, to measure what it loses. */
    unsafe: z.boolean().default(false),
    capacity: z
      .number()
      .int()
      .min(16)
      .max(1 << 22)
      .default(65536),
    laneWeights: LaneWeightsSchema.default([8, 3, 1]),
    workNs: z.number().int().min(0).max(MAX_WORK_NS).default(0),
    recordBytes: RecordBytesSchema.default(DEFAULT_RECORD_BYTES),
    maxFrameBytes: z
      .number()
      .int()
      .min(64)
      .max(64 * 1024 * 1024)
      .default(1024 * 1024),
    maxConnections: z.number().int().min(1).max(65536).default(1024),
    maxUnacked: z
      .number()
      .int()
      .min(1)
      .max(1 << 20)
      .default(65536),
    idleTimeoutMs: z.number().int().min(10).max(3_600_000).default(30_000),
    /** Stop: how long to wait for the outcome of every admitted event before giving up on it. */
    stopDrainTimeoutMs: z.number().int().min(10).max(600_000).default(10_000),
    popBatch: z.number().int().min(1).max(MAX_POP_BATCH_RECORDS).default(256),
    /** Where TRANSACTIONAL events become durable before their ack (commit-stage.ts). */
    commitStage: z.string().min(1).default("immediate"),
    /** Members' client addresses for --commit raft, "1=HOST:PORT,..."; absent: an embedded cluster. */
    raftPeers: z
      .string()
      .regex(
        /^\d+=[^,=\s]+:\d+(,\d+=[^,=\s]+:\d+)*$/,
        "is ID=HOST:PORT,... (the members' client ports)",
      )
      .optional(),
    /** Data dir of the embedded cluster (--commit raft without --raft-peers); absent: a fresh temp dir. */
    raftDataDir: z.string().min(1).optional(),
    /** The embedded cluster's members fdatasync each Ready. */
    raftFsync: z.boolean().default(true),
    /** etcd gateway URLs for --commit etcd, "http://HOST:PORT,...". */
    etcdEndpoints: z
      .string()
      .regex(/^https?:\/\/[^,\s]+(,https?:\/\/[^,\s]+)*$/, "is URL,... (http://HOST:PORT)")
      .optional(),
    commitBatchEvents: z.number().int().min(1).max(MAX_COMMIT_BATCH_EVENTS).default(1024),
    commitBatchBytes: z
      .number()
      .int()
      .min(256)
      .max(MAX_COMMIT_BATCH_BYTES)
      .default(256 * 1024),
    commitLingerUs: z.number().int().min(0).max(1_000_000).default(500),
    commitMaxInFlight: z.number().int().min(1).max(MAX_COMMIT_IN_FLIGHT).default(8),
    commitDeadlineMs: z.number().int().min(10).max(3_600_000).default(5000),
    commitMaxPendingEvents: z
      .number()
      .int()
      .min(MAX_POP_BATCH_RECORDS)
      .max(1 << 22)
      .default(1 << 17),
    /** HTTP port of /health and /metrics; absent: none; 0: a free one. */
    httpPort: z.number().int().min(0).max(65535).optional(),
    verify: z.boolean().default(false),
    quiet: z.boolean().default(false),
  })
  .strict()
  .refine((o) => o.topology === "staged" || o.consumers === 1, {
    path: ["consumers"],
    message:
      "the compact topology has no process managers (each ingest Worker processes its own events); use --ingest-workers",
  });

export type PipelineOptions = z.input<typeof PipelineOptionsSchema>;
export type PipelineConfig = z.output<typeof PipelineOptionsSchema>;

export const PIPELINE_FLAGS: FlagSpec[] = [
  {
    flag: "config",
    key: "config",
    kind: "string",
    help: "JSON file of options (keys as below in camelCase); flags override it",
  },
  { flag: "host", key: "host", kind: "string", help: "address to listen on (default 127.0.0.1)" },
  {
    flag: "topology",
    key: "topology",
    kind: "string",
    help: `${TOPOLOGIES.join(" or ")}: staged runs ingest -> dispatcher -> process managers on separate threads; compact processes events on the ingest Worker that admitted them (one thread per ingest Worker, for hosts with few cores; no lane priority, no queues) (default staged)`,
  },
  {
    flag: "port",
    key: "port",
    kind: "int",
    help: "TCP port, 0..65535; 0 picks a free one (default 7400)",
  },
  {
    flag: "ingest-workers",
    key: "ingestWorkers",
    kind: "int",
    help: `ingest Workers, each listening with SO_REUSEPORT, 1..${MAX_WORKERS} (default 1)`,
  },
  {
    flag: "consumers",
    key: "consumers",
    kind: "int",
    help: `process-manager Workers, 1..${MAX_WORKERS} (default 1)`,
  },
  {
    flag: "alloc",
    key: "alloc",
    kind: "string",
    help: "allocator events are materialised with, by registry name (default array-pool: no garbage per event)",
  },
  {
    flag: "queue",
    key: "queue",
    kind: "string",
    help: "ingest -> dispatcher queue kind, by registry name; must be multi-producer for >1 ingest Worker (default fan-in)",
  },
  {
    flag: "lane-queue",
    key: "laneQueue",
    kind: "string",
    help: "dispatcher -> consumer lane queue kind (default: same as --queue)",
  },
  {
    flag: "wait",
    key: "wait",
    kind: "string",
    help: `queue wait strategy: ${WAIT_STRATEGIES.join(", ")} (default park: on a 2-core host spinning steals the core the other stages need)`,
  },
  {
    flag: "unsafe",
    key: "unsafe",
    kind: "bool",
    help: "allow a single-producer --queue (spsc) behind several ingest Workers, to measure the loss and duplication; damage is counted",
  },
  {
    flag: "capacity",
    key: "capacity",
    kind: "int",
    help: "slots in each queue, 16..4194304 (default 65536)",
  },
  {
    flag: "lane-weights",
    key: "laneWeights",
    kind: "string",
    help: "R:T:B: REALTIME burst before a waiting lane gets a turn, then TRANSACTIONAL:BATCH share (default 8:3:1)",
  },
  {
    flag: "work-ns",
    key: "workNs",
    kind: "int",
    help: `simulated processing per event in ns, 0..${MAX_WORK_NS} (default 0)`,
  },
  {
    flag: "record-bytes",
    key: "recordBytes",
    kind: "int",
    help: `event record size: ${RECORD_SIZES.join(", ")} (default 64)`,
  },
  {
    flag: "max-frame-bytes",
    key: "maxFrameBytes",
    kind: "int",
    help: "largest frame accepted, 64..67108864 (default 1048576)",
  },
  {
    flag: "max-connections",
    key: "maxConnections",
    kind: "int",
    help: "open connections over all ingest Workers, 1..65536 (default 1024)",
  },
  {
    flag: "max-unacked",
    key: "maxUnacked",
    kind: "int",
    help: "events per connection admitted and not yet acked before reading pauses, 1..1048576 (default 65536)",
  },
  {
    flag: "idle-timeout-ms",
    key: "idleTimeoutMs",
    kind: "int",
    help: "close a connection silent this long (error TRUNCATED if mid-frame), 10..3600000 (default 30000)",
  },
  {
    flag: "stop-drain-timeout-ms",
    key: "stopDrainTimeoutMs",
    kind: "int",
    help: "on stop, wait this long for every admitted event's outcome; then connections still owed outcomes get SHUTTING_DOWN, 10..600000 (default 10000)",
  },
  {
    flag: "pop-batch",
    key: "popBatch",
    kind: "int",
    help: `records per queue pop, 1..${MAX_POP_BATCH_RECORDS} (default 256)`,
  },
  {
    flag: "commit",
    key: "commitStage",
    kind: "string",
    help: "where TRANSACTIONAL events are committed before their ack: immediate (at once), raft (the eventlab Raft cluster), etcd (default immediate)",
  },
  { flag: "commit-stage", key: "commitStage", kind: "string", help: "same as --commit" },
  {
    flag: "raft-peers",
    key: "raftPeers",
    kind: "string",
    help: "--commit raft: members' client addresses ID=HOST:PORT,...; omitted: an embedded 3-member cluster is started",
  },
  {
    flag: "raft-data-dir",
    key: "raftDataDir",
    kind: "string",
    help: "--commit raft without --raft-peers: the embedded cluster's data dir (default: a new temp dir)",
  },
  {
    flag: "raft-fsync",
    key: "raftFsync",
    kind: "bool",
    help: "embedded cluster members fdatasync each Ready, true|false (default true)",
  },
  {
    flag: "etcd-endpoints",
    key: "etcdEndpoints",
    kind: "string",
    help: "--commit etcd: etcd URLs http://HOST:PORT,... (required with etcd)",
  },
  {
    flag: "commit-batch-events",
    key: "commitBatchEvents",
    kind: "int",
    help: `events per commit batch, 1..${MAX_COMMIT_BATCH_EVENTS} (default 1024)`,
  },
  {
    flag: "commit-batch-bytes",
    key: "commitBatchBytes",
    kind: "int",
    help: `bytes per commit batch, 256..${MAX_COMMIT_BATCH_BYTES} (default 262144)`,
  },
  {
    flag: "commit-linger-us",
    key: "commitLingerUs",
    kind: "int",
    help: "longest a batch waits for more events while the lanes are busy, us, 0..1000000 (default 500)",
  },
  {
    flag: "commit-max-in-flight",
    key: "commitMaxInFlight",
    kind: "int",
    help: `batches being committed at once per process manager, 1..${MAX_COMMIT_IN_FLIGHT} (default 8)`,
  },
  {
    flag: "commit-deadline-ms",
    key: "commitDeadlineMs",
    kind: "int",
    help: "a TRANSACTIONAL event not committed this long after it reached the stage is rejected (COMMIT_DEADLINE), 10..3600000 (default 5000)",
  },
  {
    flag: "commit-max-pending",
    key: "commitMaxPendingEvents",
    kind: "int",
    help: `events a process manager holds in its commit stage before the TRANSACTIONAL lane waits, ${MAX_POP_BATCH_RECORDS}..4194304 (default 131072)`,
  },
  {
    flag: "http-port",
    key: "httpPort",
    kind: "int",
    help: "serve GET /health and /metrics (Prometheus) on this port, 0 = a free one (default: none)",
  },
  {
    flag: "verify",
    key: "verify",
    kind: "bool",
    help: "process manager checks each event's pattern payload and rejects corrupt ones",
  },
  {
    flag: "quiet",
    key: "quiet",
    kind: "bool",
    help: "print only the listen line and the final stats (no stopping notice)",
  },
];
