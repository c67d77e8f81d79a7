/**
 * Bad input on a real member's client port and peer port (a 3-member
 * cluster): random bytes, an oversized length, a truncated frame, a bad
 * hello, a garbage codec message after a good hello. Each gets an error (on
 * the client port, an ERROR frame) and that connection is closed; a request
 * over a named limit gets an ERROR and its connection stays; the member and
 * another client's appends carry on throughout. Random bytes are seeded.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Rng } from "../impl/core/rng.ts";
import { RaftClient } from "../impl/raft/client/client.ts";
import {
  ClientFrame,
  decodeReply,
  ErrorCode,
  encodeAppend,
} from "../impl/raft/host/client-protocol.ts";
import { FrameSplitter, frame } from "../impl/raft/host/frame.ts";
import { LocalCluster } from "../impl/raft/host/launcher.ts";
import { encodeHello, Lane } from "../impl/raft/host/peer-hello.ts";
import { leaderOf } from "./support/raft-cluster-load.ts";

const dir = mkdtempSync(join(tmpdir(), "raft-bad-"));
let c: LocalCluster;
let good: RaftClient;
const rng = new Rng(4242);

beforeAll(async () => {
  c = await LocalCluster.create({
    members: 3,
    dataDir: dir,
    memberArgs: ["--max-record-bytes", "1000", "--max-batch-records", "10"],
  });
  await c.startAll();
  await leaderOf(c);
  good = new RaftClient({ members: c.clientAddresses(), clientId: 77 });
});

afterAll(async () => {
  good?.close();
  await c?.stopAll();
  rmSync(dir, { recursive: true, force: true });
});

interface RawResult {
  replies: ReturnType<typeof decodeReply>[];
  closedByServer: boolean;
}

/** Writes `bytes` to port, optionally keeps the connection open, collects replies until the server closes or `waitMs`. */
async function raw(port: number, bytes: Uint8Array, waitMs = 1500): Promise<RawResult> {
  const splitter = new FrameSplitter(1 << 20);
  const replies: RawResult["replies"] = [];
  let closed = false;
  const sock = await Bun.connect({
    hostname: "127.0.0.1",
    port,
    socket: {
      data: (_s, chunk) => {
        for (const b of splitter.push(chunk)) replies.push(decodeReply(b));
      },
      close: () => {
        closed = true;
      },
    },
  });
  sock.write(bytes);
  const end = performance.now() + waitMs;
  while (!closed && performance.now() < end) await Bun.sleep(20);
  const closedByServer = closed; // read before our own end() fires the close callback
  sock.end();
  return { replies, closedByServer };
}

function randomBytes(n: number): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = rng.nextU32() & 0xff;
  return b;
}

async function stillServes(tag: string): Promise<void> {
  const r = await good.append([new TextEncoder().encode(tag)]);
  expect(r.index).toBeGreaterThan(0);
  for (const m of c.members) expect(m.proc!.exitCode).toBeNull();
}

test("client port: random bytes, an oversized length, a bad type: ERROR BadFrame and the connection closes", async () => {
  const port = c.member(await leaderOf(c)).ports.client;
  const oversized = new Uint8Array([0xff, 0xff, 0xff, 0x7f, 1, 2, 3]);
  const badType = frame(new Uint8Array([99, 0, 0, 0, 0, 0, 0, 0, 0]));
  for (const bytes of [randomBytes(64), oversized, badType]) {
    const r = await raw(port, bytes);
    expect(r.closedByServer).toBe(true);
    expect(r.replies.at(-1)).toMatchObject({
      type: ClientFrame.Error,
      reqId: 0,
      code: ErrorCode.BadFrame,
    });
    await stillServes("after bad client frame");
  }
}, 60_000);

test("client port: a truncated frame then close leaves the member serving", async () => {
  const port = c.member(await leaderOf(c)).ports.client;
  const whole = frame(encodeAppend(1, 5, 1, [new Uint8Array(10)]));
  await raw(port, whole.subarray(0, whole.length - 3), 200);
  await stillServes("after truncated");
}, 60_000);

test("client port: over-limit record and batch get an ERROR naming the limit; the connection stays", async () => {
  const port = c.member(await leaderOf(c)).ports.client;
  const big = frame(encodeAppend(7, 900, 1, [new Uint8Array(1001)]));
  const many = frame(
    encodeAppend(
      8,
      900,
      1,
      Array.from({ length: 11 }, () => new Uint8Array(1)),
    ),
  );
  const r = await raw(port, new Uint8Array([...big, ...many]), 500);
  expect(r.closedByServer).toBe(false);
  expect(r.replies).toMatchObject([
    { type: ClientFrame.Error, reqId: 7, code: ErrorCode.RecordTooLarge },
    { type: ClientFrame.Error, reqId: 8, code: ErrorCode.BatchTooLarge },
  ]);
  await stillServes("after limits");
}, 60_000);

test("peer port: random bytes, oversized length, bad hello, garbage after a good hello: connection closed, member carries on", async () => {
  const leader = await leaderOf(c);
  const target = [1, 2, 3].find((i) => i !== leader)!;
  const port = c.member(target).ports.peer;
  const hello = frame(
    encodeHello({ from: leader, to: target, lane: Lane.Messages, clientAddress: "x:1" }),
  );
  const wrongHello = frame(
    encodeHello({ from: 99, to: target, lane: Lane.Messages, clientAddress: "" }),
  );
  const cases = [
    randomBytes(100),
    new Uint8Array([0xff, 0xff, 0xff, 0xff]),
    wrongHello,
    new Uint8Array([...hello, ...frame(randomBytes(40))]),
  ];
  for (const bytes of cases) {
    const r = await raw(port, bytes);
    expect(r.closedByServer).toBe(true);
    await stillServes("after bad peer frame");
  }
  const st = await c.status(target);
  expect(st?.leaderId).toBe(await leaderOf(c));
}, 60_000);
