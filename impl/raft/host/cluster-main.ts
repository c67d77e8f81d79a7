/**
 * `bun run cluster`: a local Raft cluster of member processes on 127.0.0.1.
 *   bun run cluster [--members 3] [--data-dir DIR] [--base-port P] [--fsync false]
 *       starts them (member N: peer P+3(N-1), client +1, http +2; data DIR/member-N),
 *       prints addresses and status as they come up, forwards SIGINT/SIGTERM.
 *   bun run cluster status --peers HOST:HTTPPORT,...   a table of each member's /status
 *   bun run cluster verify --data-dir DIR [--acks FILE] offline check of every DIR/member-* WAL
 *       (and, with --acks, of a load generator's acked TRANSACTIONAL events: verify-acks.ts)
 */
import { z } from "zod";
import {
  type FlagSpec,
  helpText,
  parseFlags,
  UsageError,
  validateOptions,
} from "../../core/cli-args.ts";
import { fetchStatus, LocalCluster } from "./launcher.ts";
import { readAckFile, verifyAcks } from "./verify-acks.ts";
import { verifyClusterDir } from "./verify-cluster.ts";

const START_FLAGS: FlagSpec[] = [
  { flag: "members", key: "members", kind: "int", help: "number of members, 1..9; default 3" },
  {
    flag: "data-dir",
    key: "dataDir",
    kind: "string",
    help: "parent of member-N data dirs; default ./raft-data",
  },
  {
    flag: "base-port",
    key: "basePort",
    kind: "int",
    help: "first of 3 ports per member; default 7100",
  },
  { flag: "fsync", key: "fsync", kind: "bool", help: "members fdatasync each Ready; default true" },
];
const STATUS_FLAGS: FlagSpec[] = [
  {
    flag: "peers",
    key: "peers",
    kind: "string",
    help: "members' HTTP addresses HOST:PORT,... (required)",
  },
];
const VERIFY_FLAGS: FlagSpec[] = [
  {
    flag: "data-dir",
    key: "dataDir",
    kind: "string",
    help: "directory holding member-* WAL dirs (required)",
  },
  {
    flag: "acks",
    key: "acks",
    kind: "string",
    help: "a `bun run load --record-acks` file: every acked TRANSACTIONAL event must be in the committed log exactly once, in its client's order",
  },
];

const USAGE = `usage: bun run cluster [start options] | cluster status --peers ... | cluster verify --data-dir DIR

A local eventlab Raft cluster (docs/raft-cluster.md).`;

async function start(argv: string[]): Promise<number> {
  const schema = z.object({
    members: z.number().int().min(1).max(9).default(3),
    dataDir: z.string().min(1).default("raft-data"),
    basePort: z.number().int().min(1).max(65000).default(7100),
    fsync: z.boolean().default(true),
  });
  const o = validateOptions(schema, parseFlags(argv, START_FLAGS), START_FLAGS);
  const ports = Array.from({ length: o.members }, (_, i) => ({
    peer: o.basePort + 3 * i,
    client: o.basePort + 3 * i + 1,
    http: o.basePort + 3 * i + 2,
  }));
  const cluster = await LocalCluster.create({
    members: o.members,
    dataDir: o.dataDir,
    ports,
    memberArgs: ["--fsync", String(o.fsync)],
    onLine: (id, line) => console.log(`[member ${id}] ${line}`),
  });
  for (const m of cluster.members) cluster.spawn(m.id);
  try {
    await Promise.all(cluster.members.map((m) => cluster.waitUp(m.id)));
  } catch (err) {
    process.stderr.write(`cluster: ${(err as Error).message}\n`);
    await cluster.stopAll();
    return 1;
  }
  for (const m of cluster.members) {
    console.log(
      `member ${m.id}: client ${cluster.host}:${m.ports.client}  http http://${cluster.host}:${m.ports.http}  peer ${cluster.host}:${m.ports.peer}  data ${m.dataDir}`,
    );
  }
  console.log(
    `status: bun run cluster status --peers ${cluster.members.map((m) => `${cluster.host}:${m.ports.http}`).join(",")}`,
  );
  const stop = new Promise<string>((resolve) => {
    process.once("SIGINT", () => resolve("SIGINT"));
    process.once("SIGTERM", () => resolve("SIGTERM"));
  });
  const exited = Promise.race(
    cluster.members.map((m) => m.proc!.exited.then((code) => `member ${m.id} exited (${code})`)),
  );
  const why = await Promise.race([stop, exited]);
  console.log(`cluster: ${why}; stopping members`);
  await cluster.stopAll();
  console.log("cluster: stopped");
  return why.startsWith("SIG") ? 0 : 1;
}

async function status(argv: string[]): Promise<number> {
  const o = validateOptions(
    z.object({ peers: z.string().min(1) }),
    parseFlags(argv, STATUS_FLAGS),
    STATUS_FLAGS,
  );
  const addrs = o.peers.split(",").map((s) => s.trim());
  const rows = await Promise.all(addrs.map(fetchStatus));
  const head = [
    "address",
    "id",
    "role",
    "term",
    "leader",
    "commit",
    "applied",
    "last",
    "snapshot",
    "peers match",
  ];
  const table = rows.map((s, i) =>
    s === null
      ? [addrs[i]!, "-", "unreachable", "", "", "", "", "", "", ""]
      : [
          addrs[i]!,
          String(s.id),
          s.role,
          String(s.term),
          String(s.leaderId ?? "-"),
          String(s.commitIndex),
          String(s.appliedIndex),
          String(s.lastIndex),
          String(s.snapshotIndex),
          s.peers.map((p) => `${p.id}:${p.matchIndex ?? "-"}`).join(" "),
        ],
  );
  const widths = head.map((h, c) => Math.max(h.length, ...table.map((r) => r[c]!.length)));
  for (const r of [head, ...table]) console.log(r.map((v, c) => v.padEnd(widths[c]!)).join("  "));
  return rows.every((s) => s !== null) ? 0 : 1;
}

function verify(argv: string[]): number {
  const o = validateOptions(
    z.object({ dataDir: z.string().min(1), acks: z.string().min(1).optional() }),
    parseFlags(argv, VERIFY_FLAGS),
    VERIFY_FLAGS,
  );
  let v: ReturnType<typeof verifyClusterDir>;
  let acked: ReturnType<typeof readAckFile> | null = null;
  try {
    v = verifyClusterDir(o.dataDir);
    if (o.acks) acked = readAckFile(o.acks);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  for (const m of v.members) {
    console.log(
      `${m.dir}: ${m.corruption ? `CRC/format error: ${m.corruption}` : "no corruption"}${m.tornTail ? `, torn tail ${m.tornTail}` : ""}; entries ${m.entries} (${m.firstIndex}..${m.lastIndex}), committed to ${m.commitIndex}, snapshot ${m.snapshotIndex}, records ${m.records}, duplicate batches skipped ${m.duplicates}`,
    );
  }
  console.log(
    v.conflicts.length === 0
      ? "committed prefixes agree"
      : `committed prefixes DISAGREE:\n${v.conflicts.join("\n")}`,
  );
  let ok = v.ok;
  if (acked) {
    const a = verifyAcks(v.members, acked);
    console.log(
      `acks: ${a.ackedEvents} acked TRANSACTIONAL events of ${a.clients} clients checked against ${a.logRecords} committed records: missing ${a.missing}, duplicated ${a.duplicated}, out of order ${a.outOfOrder}`,
    );
    for (const e of a.examples) console.log(`  ${e}`);
    ok &&= a.missing === 0 && a.duplicated === 0 && a.outOfOrder === 0;
  }
  console.log(ok ? "verify: ok" : "verify: PROBLEM");
  return ok ? 0 : 1;
}

async function main(): Promise<number> {
  const [sub, ...rest] = process.argv.slice(2);
  const argv = sub === undefined || sub.startsWith("--") ? process.argv.slice(2) : rest;
  if (argv.includes("--help") || argv.includes("-h")) {
    const specs = sub === "status" ? STATUS_FLAGS : sub === "verify" ? VERIFY_FLAGS : START_FLAGS;
    process.stdout.write(helpText(USAGE, specs));
    return 0;
  }
  try {
    if (sub === "status") return await status(argv);
    if (sub === "verify") return verify(argv);
    if (sub === undefined || sub.startsWith("--") || sub === "start") return await start(argv);
    throw new UsageError(`unknown subcommand "${sub}" (start, status, verify; see --help)`);
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`cluster: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
}

if (import.meta.main) process.exit(await main());
