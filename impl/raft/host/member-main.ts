/**
 * `bun run raft:member`: one Raft member process. Starts storage, the peer
 * transport, the client port and the HTTP port, prints one "ready" line, and
 * on SIGINT/SIGTERM stops them and closes its storage, exit 0. A port in use
 * or a bad flag: one line naming it, exit 2.
 */
import { helpText, UsageError } from "../../core/cli-args.ts";
import { ClientServer } from "./client-server.ts";
import { startHttp } from "./http.ts";
import { maxClientFrameBytes } from "./limits.ts";
import { Member } from "./member.ts";
import { MEMBER_FLAGS, type MemberOptions, parseMemberArgs } from "./member-options.ts";
import { openHostStorage } from "./storage-factory.ts";

const USAGE = `usage: bun run raft:member --id N --peers 1=HOST:PORT,... --data-dir DIR --client-port P --http-port Q [options]

One member of an eventlab Raft cluster (client protocol: docs/raft-protocol.md).`;

async function main(): Promise<number> {
  const argv = process.argv.slice(2);
  if (argv.includes("--help") || argv.includes("-h")) {
    process.stdout.write(helpText(USAGE, MEMBER_FLAGS));
    return 0;
  }
  let o: MemberOptions;
  try {
    o = parseMemberArgs(argv, (line) => process.stderr.write(`member ${o?.id}: ${line}\n`));
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`raft:member: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
  let storage: Awaited<ReturnType<typeof openHostStorage>>;
  try {
    storage = await openHostStorage({
      dataDir: o.dataDir,
      peers: [...o.peers.keys()],
      fsync: o.fsync,
      maxRecordBytes: maxClientFrameBytes(o.maxBatchRecords) + 1024,
      log: o.log,
    });
  } catch (err) {
    process.stderr.write(
      `raft:member: cannot open storage in ${o.dataDir}: ${(err as Error).message}\n`,
    );
    return 1;
  }
  const member = new Member(o, storage);
  const clients = new ClientServer(member);
  let http: ReturnType<typeof startHttp>;
  try {
    member.start();
    clients.start();
    http = startHttp(member);
  } catch (err) {
    process.stderr.write(`raft:member: ${(err as Error).message}\n`);
    return 2;
  }
  const peerPort = o.peers.get(o.id)!.port;
  console.log(
    `member ${o.id} ready: peer ${o.host}:${peerPort} client ${o.host}:${o.clientPort} http ${o.host}:${o.httpPort} storage ${storage.kind} fsync ${o.fsync} pid ${process.pid}`,
  );
  await new Promise<void>((resolve) => {
    process.once("SIGINT", () => resolve());
    process.once("SIGTERM", () => resolve());
  });
  clients.stop();
  http.stop(true);
  await member.stop();
  console.log(`member ${o.id} stopped`);
  return 0;
}

if (import.meta.main) process.exit(await main());
