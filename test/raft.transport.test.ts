/**
 * The peer transport's outbound lane (impl/raft/host/peer-lane.ts) on real
 * loopback sockets, no member around it:
 * - backpressure: a peer that stops reading fills the kernel buffers, then
 *   the lane's byte-bounded queue; from then on frames are dropped, counted
 *   in droppedOut and reported by send() returning false, the queue never
 *   goes over its bound; once the peer reads again, every accepted frame
 *   arrives, whole and in order, after the hello;
 * - reconnect: while the peer is gone, sends are dropped and counted; the
 *   redial wait doubles per failed attempt from RECONNECT_BACKOFF_MIN_MS and
 *   stops at RECONNECT_BACKOFF_MAX_MS; when a listener is back on the port,
 *   the lane reconnects (hello first) and delivers again.
 * Raft tolerates lost messages (§5.3: the leader retries AppendEntries), which
 * is why dropping beats unbounded queues. No timing is asserted: the waits
 * are generous deadlines for "eventually".
 */
import { afterEach, expect, test } from "bun:test";
import { createServer, type Server, type Socket } from "node:net";
import { FrameSplitter } from "../impl/raft/host/frame.ts";
import { freePorts } from "../impl/raft/host/launcher.ts";
import { RECONNECT_BACKOFF_MAX_MS, RECONNECT_BACKOFF_MIN_MS } from "../impl/raft/host/limits.ts";
import { PeerCounters } from "../impl/raft/host/metrics.ts";
import { PeerLane } from "../impl/raft/host/peer-lane.ts";

const HELLO = new TextEncoder().encode("hello-frame");
/** Named maximum: frames sent before the queue must have overflowed (a few hundred MB would mean no bound). */
const MAX_SENDS = 4000;
const BODY_BYTES = 64 * 1024;
const QUEUE_BYTES = 256 * 1024;

const cleanup: (() => void)[] = [];
afterEach(() => {
  for (const f of cleanup.splice(0)) f();
});

async function until(what: string, cond: () => boolean, timeoutMs = 30_000): Promise<void> {
  const end = performance.now() + timeoutMs;
  while (!cond()) {
    if (performance.now() > end) throw new Error(`still waiting for: ${what}`);
    await Bun.sleep(10);
  }
}

/** A peer that collects the frames it reads; `paused` sockets are not read. */
function listen(port: number, paused: boolean) {
  const frames: Uint8Array[] = [];
  const sockets: Socket[] = [];
  const server: Server = createServer((s) => {
    sockets.push(s);
    const split = new FrameSplitter(1 << 24);
    if (paused) s.pause();
    s.on("data", (chunk: Buffer) => {
      for (const f of split.push(new Uint8Array(chunk))) frames.push(f);
    });
    s.on("error", () => {});
  });
  const ready = new Promise<void>((r) => server.listen(port, "127.0.0.1", r));
  const close = () => {
    for (const s of sockets) s.destroy();
    server.close();
  };
  cleanup.push(close);
  return { frames, sockets, ready, close };
}

function lane(port: number, counters: PeerCounters, maxQueueBytes = QUEUE_BYTES): PeerLane {
  const l = new PeerLane({
    host: "127.0.0.1",
    port,
    hello: HELLO,
    maxQueueBytes,
    counters,
    log: () => {},
    name: "test lane",
  });
  cleanup.push(() => l.stop());
  return l;
}

function body(seq: number): Uint8Array {
  const b = new Uint8Array(BODY_BYTES);
  new DataView(b.buffer).setUint32(0, seq, true);
  b.fill(seq & 0xff, 4);
  return b;
}

test("a peer that stops reading: the bounded queue fills, later frames are dropped and counted, accepted ones all arrive in order", async () => {
  const [port] = await freePorts(1);
  const peer = listen(port!, true);
  await peer.ready;
  const counters = new PeerCounters();
  const l = lane(port!, counters);
  l.connect();
  await until("connected", () => l.connected);
  const accepted: number[] = [];
  let dropped = 0;
  let maxQueued = 0;
  for (let seq = 0; seq < MAX_SENDS && dropped < 10; seq++) {
    if (l.send(body(seq))) accepted.push(seq);
    else dropped++;
    maxQueued = Math.max(maxQueued, l.queuedByteCount);
    if (seq % 64 === 0) await Bun.sleep(0); // let the socket report what it wrote
  }
  expect(dropped).toBe(10); // the bound was reached before MAX_SENDS frames
  expect(counters.droppedOut).toBe(dropped);
  expect(maxQueued).toBeLessThanOrEqual(QUEUE_BYTES);
  // The peer reads again: everything accepted arrives, nothing dropped does.
  for (const s of peer.sockets) s.resume();
  await until("all accepted frames delivered", () => peer.frames.length === accepted.length + 1);
  expect(new TextDecoder().decode(peer.frames[0]!)).toBe("hello-frame");
  const got = peer.frames
    .slice(1)
    .map((f) => new DataView(f.buffer, f.byteOffset).getUint32(0, true));
  expect(got).toEqual(accepted);
  expect(peer.frames.slice(1).every((f) => f.length === BODY_BYTES)).toBe(true);
  expect(counters.messagesOut).toBe(accepted.length + 1);
  expect(l.queuedByteCount).toBe(0);
});

test("a gone peer: sends are dropped and counted, the redial wait doubles to its cap, and the lane reconnects when the peer is back", async () => {
  const [port] = await freePorts(1);
  const counters = new PeerCounters();
  const l = lane(port!, counters);
  expect(l.nextBackoffMs).toBe(RECONNECT_BACKOFF_MIN_MS);
  // Nobody listens: every dial fails; watch the wait grow.
  const seen = new Set<number>([l.nextBackoffMs]);
  l.send(body(0));
  await until("backoff at its cap", () => {
    seen.add(l.nextBackoffMs);
    return l.nextBackoffMs === RECONNECT_BACKOFF_MAX_MS;
  });
  const expected: number[] = [];
  for (let ms = RECONNECT_BACKOFF_MIN_MS; ms < RECONNECT_BACKOFF_MAX_MS; ms *= 2) expected.push(ms);
  expected.push(RECONNECT_BACKOFF_MAX_MS);
  // Every value seen is on the doubling ladder (polling may skip a rung), and the cap is reached.
  for (const v of seen) expect(expected).toContain(v);
  // While in backoff, a send is dropped and counted at once.
  const before = counters.droppedOut;
  let refused = 0;
  for (let i = 0; i < 5; i++) if (!l.send(body(1 + i))) refused++;
  expect(counters.droppedOut - before).toBe(refused);
  // It stays at the cap.
  await Bun.sleep(RECONNECT_BACKOFF_MAX_MS + 200);
  expect(l.nextBackoffMs).toBe(RECONNECT_BACKOFF_MAX_MS);
  expect(counters.connects).toBe(0);
  // The peer comes up: the lane redials, sends its hello, then delivers; the wait resets.
  const peer = listen(port!, false);
  await peer.ready;
  await until("reconnected", () => l.connected);
  expect(counters.connects).toBe(1);
  expect(l.nextBackoffMs).toBe(RECONNECT_BACKOFF_MIN_MS);
  expect(l.send(body(99))).toBe(true);
  await until("frame delivered", () => peer.frames.length === 2);
  expect(new TextDecoder().decode(peer.frames[0]!)).toBe("hello-frame");
  expect(new DataView(peer.frames[1]!.buffer, peer.frames[1]!.byteOffset).getUint32(0, true)).toBe(
    99,
  );
  // The peer goes away again: the lane notices and goes back to dropping.
  peer.close();
  await until("lost connection", () => !l.connected);
  const d0 = counters.droppedOut;
  const ok = l.send(body(100));
  // A refused frame is counted at once; an accepted one (a redial under way) stays queued.
  expect(counters.droppedOut - d0).toBe(ok ? 0 : 1);
});
