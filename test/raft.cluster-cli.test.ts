/**
 * The `bun run cluster` command on a real 3-member cluster
 * (impl/raft/host/cluster-main.ts): start prints every member's addresses
 * once they are up; `cluster status` prints one row per member with exactly
 * one leader (Election Safety, Raft §5.2) and exits 0; appends through the
 * client commit; SIGTERM to the cluster process (by PID) stops every member
 * and exits 0; `cluster verify` then finds every WAL clean, the committed
 * prefixes agreeing and every appended record present (exit 0); after one
 * byte of a record in the middle of member 2's WAL is flipped, verify exits 1
 * naming the CRC error and the file. Bad usage exits 2.
 */
import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Subprocess } from "bun";
import { RaftClient } from "../impl/raft/client/client.ts";

const MAIN = join(import.meta.dir, "..", "impl", "raft", "host", "cluster-main.ts");
const MEMBERS = 3;
const APPENDS = 40;
const RECORDS_PER_APPEND = 8;
/** A record pattern easy to find in the WAL bytes (0xA5 repeated), so a flip lands inside a record's payload. */
const MARKER = new Uint8Array(64).fill(0xa5);

const dir = mkdtempSync(join(tmpdir(), "raft-cluster-cli-"));
let proc: Subprocess<"ignore", "pipe", "pipe"> | null = null;
afterAll(async () => {
  // SIGTERM (not SIGKILL): the cluster process stops its members; a SIGKILL would orphan them.
  if (proc && proc.exitCode === null) {
    proc.kill("SIGTERM");
    await proc.exited;
  }
  rmSync(dir, { recursive: true, force: true });
});

/** A base port whose 3 x MEMBERS ports are all free right now. */
async function freeBasePort(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = 20_000 + Math.floor(Math.random() * 30_000);
    const held: { stop(closeActive?: boolean): void }[] = [];
    try {
      for (let p = base; p < base + 3 * MEMBERS; p++)
        held.push(Bun.listen({ hostname: "127.0.0.1", port: p, socket: { data() {} } }));
      return base;
    } catch {
      // taken: try another base
    } finally {
      for (const l of held) l.stop(true);
    }
  }
  throw new Error("no free run of ports found");
}

function runCli(args: string[]): { code: number; out: string; err: string } {
  const r = Bun.spawnSync([process.execPath, MAIN, ...args], { stdout: "pipe", stderr: "pipe" });
  return { code: r.exitCode ?? -1, out: r.stdout.toString(), err: r.stderr.toString() };
}

async function readUntil(
  stream: ReadableStream<Uint8Array>,
  done: (text: string) => boolean,
  timeoutMs = 60_000,
): Promise<string> {
  const reader = stream.getReader();
  const dec = new TextDecoder();
  let text = "";
  const end = performance.now() + timeoutMs;
  try {
    while (!done(text)) {
      if (performance.now() > end) throw new Error(`timed out; output so far:\n${text}`);
      const r = await Promise.race([reader.read(), Bun.sleep(1000).then(() => null)]);
      if (r === null) continue;
      if (r.done) throw new Error(`stream ended; output:\n${text}`);
      text += dec.decode(r.value, { stream: true });
    }
  } finally {
    reader.releaseLock();
  }
  return text;
}

test("cluster start, status, stop by PID, verify clean, verify refuses a flipped byte", async () => {
  const base = await freeBasePort();
  proc = Bun.spawn(
    [
      process.execPath,
      MAIN,
      "--members",
      String(MEMBERS),
      "--data-dir",
      dir,
      "--base-port",
      String(base),
    ],
    { stdin: "ignore", stdout: "pipe", stderr: "pipe" },
  );
  const started = await readUntil(proc.stdout, (t) => t.includes("status: bun run cluster status"));
  // Keep reading its output: a full pipe would stall the cluster process and, behind it, its members.
  void (async () => {
    for await (const _ of proc.stdout);
  })();
  const clientAddrs = [...started.matchAll(/member (\d+): client (\S+)\s+http http:\/\/(\S+)/g)];
  expect(clientAddrs.map((m) => Number(m[1]))).toEqual([1, 2, 3]);
  const httpAddrs = clientAddrs.map((m) => m[3]!);
  expect(httpAddrs).toEqual([0, 1, 2].map((i) => `127.0.0.1:${base + 3 * i + 2}`));

  const client = new RaftClient({ members: clientAddrs.map((m) => m[2]!), clientId: 1 });
  const batch = Array.from({ length: RECORDS_PER_APPEND }, () => MARKER);
  const indexes: number[] = [];
  for (let i = 0; i < APPENDS; i++) indexes.push((await client.append(batch)).index);
  client.close();
  expect(new Set(indexes).size).toBe(APPENDS);

  const st = runCli(["status", "--peers", httpAddrs.join(",")]);
  if (st.code !== 0) console.log(st.out, st.err);
  expect(st.code).toBe(0);
  const rows = st.out.trim().split("\n").slice(1);
  expect(rows.length).toBe(MEMBERS);
  expect(rows.filter((r) => / leader /.test(r)).length).toBe(1);
  expect(rows.filter((r) => / follower /.test(r)).length).toBe(MEMBERS - 1);

  // Stop by PID: SIGTERM to the cluster process, which stops its members.
  process.kill(proc.pid, "SIGTERM");
  expect(await proc.exited).toBe(0);

  const ok = runCli(["verify", "--data-dir", dir]);
  expect(ok.err).toBe("");
  expect(ok.code).toBe(0);
  expect(ok.out).toContain("committed prefixes agree");
  expect(ok.out).toContain("verify: ok");
  const records = [...ok.out.matchAll(/records (\d+)/g)].map((m) => Number(m[1]));
  expect(records).toEqual([
    APPENDS * RECORDS_PER_APPEND,
    APPENDS * RECORDS_PER_APPEND,
    APPENDS * RECORDS_PER_APPEND,
  ]);

  // Flip one byte inside a record payload in the first third of member 2's first segment.
  const walDir = join(dir, "member-2");
  const seg = readdirSync(walDir)
    .filter((f) => /^wal-[0-9a-f]{16}\.log$/.test(f))
    .sort()[0]!;
  const bytes = readFileSync(join(walDir, seg));
  const at = bytes.indexOf(Buffer.from(MARKER));
  expect(at).toBeGreaterThan(0);
  expect(at).toBeLessThan(bytes.length / 3); // well before the tail: not a torn write
  bytes[at + 10]! ^= 0x01;
  writeFileSync(join(walDir, seg), bytes);
  const bad = runCli(["verify", "--data-dir", dir]);
  expect(bad.code).toBe(1);
  expect(bad.out).toContain("verify: PROBLEM");
  expect(bad.out).toMatch(/member-2: CRC\/format error: .*wal-[0-9a-f]{16}\.log/);
  expect(bad.out).toMatch(/member-1: no corruption/);
}, 180_000);

test("cluster: bad usage exits 2 with a one-line message; --help exits 0", () => {
  const unknown = runCli(["frobnicate"]);
  expect(unknown.code).toBe(2);
  expect(unknown.err).toContain('unknown subcommand "frobnicate"');
  const noDir = runCli(["verify"]);
  expect(noDir.code).toBe(2);
  expect(noDir.err.trim().split("\n").length).toBe(1);
  const help = runCli(["status", "--help"]);
  expect(help.code).toBe(0);
  expect(help.out).toContain("--peers");
});
