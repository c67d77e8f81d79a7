/**
 * The load generator against a scripted fake server (FrameReader + encodeAck
 * on Bun.listen, no pipeline), to check what it measures:
 * - open loop keeps its schedule through a server stall and charges the stall
 *   to every event sent during it (latency from the intended send time, so no
 *   coordinated omission): most events show the stall, not just one batch;
 * - a generator whose own event loop stalls reports its schedule lag (one
 *   sample per event sent) and still counts latency from the intended time;
 * - the write-to-ack-read figure (ackRtt) holds one sample per acked event,
 *   shows a server stall in full and leaves the generator's own lag out;
 * - a server that acks past what was sent, or rejects out of order, is caught
 *   as a protocol error; a server that never acks leaves events unresolved,
 *   which is an error, not a silent pass.
 */
import { expect, test } from "bun:test";
import type { Socket } from "bun";
import { FrameReader } from "../impl/pipeline/frame-reader.ts";
import { runLoad } from "../impl/pipeline/load.ts";
import { encodeAck } from "../impl/pipeline/protocol.ts";

const RB = 64;

type Behaviour = (
  received: number,
  sinceStartMs: number,
) => { through: number; rejects?: number[] } | null;

/** A server that admits every frame and answers per `behaviour` (null: no ack now). */
function fakeServer(behaviour: Behaviour, tickMs = 5) {
  const startMs = performance.now();
  const conns = new Set<{
    s: Socket<unknown>;
    reader: FrameReader;
    received: number;
    acked: number;
  }>();
  const listener = Bun.listen({
    hostname: "127.0.0.1",
    port: 0,
    socket: {
      binaryType: "uint8array",
      open(s) {
        conns.add(
          Object.assign(s.data ?? {}, {
            s,
            reader: new FrameReader(RB, 1 << 20),
            received: 0,
            acked: 0,
          }) as never,
        );
      },
      data(s, chunk) {
        for (const c of conns) {
          if (c.s !== s) continue;
          c.reader.append(chunk as Uint8Array);
          while (c.reader.nextFrame(c.received) === true && c.reader.recordsLeft > 0) {
            c.received += c.reader.recordsLeft;
            c.reader.consume(c.reader.recordsLeft);
          }
        }
      },
    },
  });
  const timer = setInterval(() => {
    for (const c of conns) {
      const answer = behaviour(c.received, performance.now() - startMs);
      if (!answer || (answer.through === c.acked && !answer.rejects)) continue;
      const rejects = answer.rejects ?? [];
      c.s.write(encodeAck(answer.through, rejects, rejects.length));
      c.acked = answer.through;
    }
  }, tickMs);
  return {
    port: listener.port,
    stop() {
      clearInterval(timer);
      listener.stop(true);
    },
  };
}

test("open loop keeps its schedule through a 400 ms stall and charges it to every event sent meanwhile", async () => {
  const STALL_MS = 400;
  const server = fakeServer((received, t) => (t < STALL_MS ? null : { through: received }));
  try {
    const r = await runLoad({
      port: server.port,
      connections: 1,
      rate: 4000,
      durationS: 0.5,
      batch: 10,
      seed: 3,
      drainTimeoutMs: 2000,
    });
    expect(r.errors).toEqual([]);
    // the schedule held: ~2000 events whatever the server did
    expect(r.sent).toBeGreaterThanOrEqual(1800);
    expect(r.acked).toBe(r.sent);
    // more than half the events were sent during the stall and waited for its end
    expect(r.latency.p50Ns).toBeGreaterThan(80e6);
    expect(r.latency.maxNs).toBeGreaterThan((STALL_MS - 50) * 1e6);
    // the stall was the server's: the batches written first waited for it after their write
    expect(r.ackRtt!.count).toBe(r.latency.count);
    expect(r.ackRtt!.maxNs).toBeGreaterThan((STALL_MS - 50) * 1e6);
  } finally {
    server.stop();
  }
});

test("a generator that falls behind its own schedule reports the lag, and e2e still counts from the intended time", async () => {
  const CLIENT_STALL_MS = 300;
  const server = fakeServer((received) => ({ through: received }));
  // Blocks this thread (the generator's event loop) once, early in the run.
  const stall = setTimeout(() => {
    const until = performance.now() + CLIENT_STALL_MS;
    while (performance.now() < until) {}
  }, 100);
  try {
    const r = await runLoad({
      port: server.port,
      connections: 1,
      rate: 4000,
      durationS: 0.6,
      batch: 10,
      seed: 4,
      drainTimeoutMs: 2000,
    });
    expect(r.errors).toEqual([]);
    // every event sent has a lag sample (no warm-up here)
    expect(r.sendLag.count).toBe(r.sent);
    // batches due during the stall left late, by up to the stall
    expect(r.sendLag.maxNs).toBeGreaterThan((CLIENT_STALL_MS - 50) * 1e6);
    // their latency runs from the intended time, so it includes that lag
    expect(r.latency.maxNs).toBeGreaterThanOrEqual(r.sendLag.maxNs * 0.99);
    // ...but not after their write: the ack round trip leaves the generator's lag out
    expect(r.ackRtt!.count).toBe(r.latency.count);
    expect(r.ackRtt!.p99Ns).toBeLessThan((CLIENT_STALL_MS / 2) * 1e6);
  } finally {
    clearTimeout(stall);
    server.stop();
  }
});

test("acks past what was sent, and rejects out of order, are protocol errors", async () => {
  const tooFar = fakeServer((received) => (received > 0 ? { through: received + 5 } : null));
  try {
    const r = await runLoad({
      port: tooFar.port,
      connections: 1,
      rate: 2000,
      durationS: 0.1,
      batch: 10,
      drainTimeoutMs: 200,
    });
    expect(r.errors.some((e) => e.includes("outside"))).toBe(true);
  } finally {
    tooFar.stop();
  }
  const badRejects = fakeServer((received) =>
    received >= 10 ? { through: received, rejects: [5, 3] } : null,
  );
  try {
    const r = await runLoad({
      port: badRejects.port,
      connections: 1,
      rate: 2000,
      durationS: 0.1,
      batch: 10,
      drainTimeoutMs: 200,
    });
    expect(r.errors.some((e) => e.includes("out of order"))).toBe(true);
  } finally {
    badRejects.stop();
  }
});

test("a server that never acks leaves events unresolved: an error, not a pass", async () => {
  const silent = fakeServer(() => null);
  try {
    const r = await runLoad({
      port: silent.port,
      connections: 2,
      rate: 2000,
      durationS: 0.1,
      batch: 10,
      drainTimeoutMs: 200,
    });
    expect(r.sent).toBeGreaterThan(0);
    expect(r.unresolved).toBe(r.sent);
    expect(r.errors.filter((e) => e.includes("unresolved")).length).toBe(2);
  } finally {
    silent.stop();
  }
});
