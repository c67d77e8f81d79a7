/**
 * The member process's options: flags (`bun run raft:member --help`), their
 * zod schema, and parsing of --peers. Defaults come from limits.ts.
 * Pre-vote and check-quorum are ON by default here (a real cluster wants a
 * rejoining member not to depose a healthy leader, and a cut-off leader to
 * step down); the simulator keeps the node's own defaults.
 */
import { z } from "zod";
import { type FlagSpec, parseFlags, UsageError, validateOptions } from "../../core/cli-args.ts";
import * as L from "./limits.ts";
import type { PeerAddress } from "./transport.ts";

export const MEMBER_FLAGS: FlagSpec[] = [
  {
    flag: "id",
    key: "id",
    kind: "int",
    help: "this member's id, one of the ids in --peers (required)",
  },
  {
    flag: "peers",
    key: "peers",
    kind: "string",
    help: "every member's peer address: 1=HOST:PORT,2=HOST:PORT,... (required)",
  },
  {
    flag: "data-dir",
    key: "dataDir",
    kind: "string",
    help: "directory of this member's WAL and snapshots (required)",
  },
  {
    flag: "client-port",
    key: "clientPort",
    kind: "int",
    help: "port of the client protocol (docs/raft-protocol.md) (required)",
  },
  {
    flag: "http-port",
    key: "httpPort",
    kind: "int",
    help: "port of GET /health, /status, /metrics (required)",
  },
  {
    flag: "host",
    key: "host",
    kind: "string",
    help: "address to bind the client, HTTP and peer ports; default 127.0.0.1",
  },
  {
    flag: "fsync",
    key: "fsync",
    kind: "bool",
    help: "fdatasync each Ready; false is for experiments only; default true",
  },
  {
    flag: "snapshot-every",
    key: "snapshotEvery",
    kind: "int",
    help: `applied entries between snapshots (0 never); default ${L.DEFAULT_SNAPSHOT_EVERY}`,
  },
  {
    flag: "tick-ms",
    key: "tickMs",
    kind: "int",
    help: `node tick period, ms (1..1000); default ${L.DEFAULT_TICK_MS}`,
  },
  {
    flag: "election-ticks",
    key: "electionTicks",
    kind: "int",
    help: `minimum election timeout in ticks (randomized up to 2x); default ${L.DEFAULT_ELECTION_TICKS}`,
  },
  {
    flag: "heartbeat-ticks",
    key: "heartbeatTicks",
    kind: "int",
    help: `heartbeat interval in ticks; default ${L.DEFAULT_HEARTBEAT_TICKS}`,
  },
  {
    flag: "pre-vote",
    key: "preVote",
    kind: "bool",
    help: "pre-vote before elections (§9.6 of Ongaro's thesis); default true",
  },
  {
    flag: "check-quorum",
    key: "checkQuorum",
    kind: "bool",
    help: "leader steps down without a quorum's contact; default true",
  },
  {
    flag: "max-record-bytes",
    key: "maxRecordBytes",
    kind: "int",
    help: `largest record in an append; default ${L.DEFAULT_MAX_RECORD_BYTES}`,
  },
  {
    flag: "max-batch-records",
    key: "maxBatchRecords",
    kind: "int",
    help: `most records in one append; default ${L.DEFAULT_MAX_BATCH_RECORDS}`,
  },
  {
    flag: "max-in-flight",
    key: "maxInFlight",
    kind: "int",
    help: `most uncommitted requests per client connection; default ${L.DEFAULT_MAX_IN_FLIGHT_PER_CLIENT}`,
  },
  {
    flag: "max-clients",
    key: "maxClients",
    kind: "int",
    help: `most client connections; default ${L.DEFAULT_MAX_CLIENTS}`,
  },
  {
    flag: "fault-injection",
    key: "faultInjection",
    kind: "bool",
    help: "serve POST /debug/faults (tests only); default false",
  },
  {
    flag: "seed",
    key: "seed",
    kind: "int",
    help: "seed of the election timeout randomness; default: the member id",
  },
];

const port = z.number().int().min(1).max(65535);
export const MemberOptionsSchema = z.object({
  id: z.number().int().min(0).max(0x7fffffff),
  peers: z.string().min(1),
  dataDir: z.string().min(1),
  clientPort: port,
  httpPort: port,
  host: z.string().min(1).default("127.0.0.1"),
  fsync: z.boolean().default(true),
  snapshotEvery: z
    .number()
    .int()
    .min(0)
    .max(2 ** 40)
    .default(L.DEFAULT_SNAPSHOT_EVERY),
  tickMs: z.number().int().min(1).max(1000).default(L.DEFAULT_TICK_MS),
  electionTicks: z.number().int().min(2).max(10_000).default(L.DEFAULT_ELECTION_TICKS),
  heartbeatTicks: z.number().int().min(1).max(10_000).default(L.DEFAULT_HEARTBEAT_TICKS),
  preVote: z.boolean().default(true),
  checkQuorum: z.boolean().default(true),
  maxRecordBytes: z
    .number()
    .int()
    .min(1)
    .max(L.MAX_APPEND_BYTES)
    .default(L.DEFAULT_MAX_RECORD_BYTES),
  maxBatchRecords: z
    .number()
    .int()
    .min(1)
    .max(1 << 20)
    .default(L.DEFAULT_MAX_BATCH_RECORDS),
  maxInFlight: z
    .number()
    .int()
    .min(1)
    .max(1 << 20)
    .default(L.DEFAULT_MAX_IN_FLIGHT_PER_CLIENT),
  maxClients: z
    .number()
    .int()
    .min(1)
    .max(1 << 16)
    .default(L.DEFAULT_MAX_CLIENTS),
  faultInjection: z.boolean().default(false),
  seed: z.number().int().optional(),
});

export interface MemberOptions
  extends Omit<z.output<typeof MemberOptionsSchema>, "peers" | "seed"> {
  peers: Map<number, PeerAddress>;
  seed: number;
  log: (line: string) => void;
}

/** Parses "1=HOST:PORT,2=HOST:PORT"; UsageError names the bad part. */
export function parsePeers(spec: string): Map<number, PeerAddress> {
  const out = new Map<number, PeerAddress>();
  for (const part of spec.split(",")) {
    const m = /^(\d+)=([^:,=]+):(\d+)$/.exec(part.trim());
    if (!m) throw new UsageError(`--peers: "${part}" is not ID=HOST:PORT`);
    const id = Number(m[1]);
    const p = Number(m[3]);
    if (p < 1 || p > 65535)
      throw new UsageError(`--peers: port ${p} of member ${id} out of 1..65535`);
    if (out.has(id)) throw new UsageError(`--peers: member ${id} listed twice`);
    out.set(id, { host: m[2]!, port: p });
  }
  return out;
}

export function parseMemberArgs(argv: string[], log: (line: string) => void): MemberOptions {
  const raw = validateOptions(MemberOptionsSchema, parseFlags(argv, MEMBER_FLAGS), MEMBER_FLAGS);
  const peers = parsePeers(raw.peers);
  if (!peers.has(raw.id))
    throw new UsageError(
      `--id ${raw.id} is not one of the ids in --peers (${[...peers.keys()].join(", ")})`,
    );
  if (raw.heartbeatTicks >= raw.electionTicks) {
    throw new UsageError(
      `--heartbeat-ticks (${raw.heartbeatTicks}) must be below --election-ticks (${raw.electionTicks})`,
    );
  }
  const ports = [raw.clientPort, raw.httpPort, peers.get(raw.id)!.port];
  if (new Set(ports).size !== 3)
    throw new UsageError(
      `--client-port, --http-port and this member's peer port must differ (got ${ports.join(", ")})`,
    );
  return { ...raw, peers, seed: raw.seed ?? raw.id, log };
}
