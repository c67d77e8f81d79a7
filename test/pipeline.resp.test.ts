/**
 * The Redis baseline of the load generator (`--target resp`):
 * - the RESP2 reply reader splits replies correctly whatever the chunking
 *   (every split point of a mixed reply stream) and refuses non-RESP bytes;
 * - runRespLoad against fake in-process RESP servers: error replies count as
 *   rejects and conservation holds; a dropped reply and an entry id that goes
 *   backwards are reported as errors; a closed port or a server that does not
 *   speak RESP gives NoRespServerError ("skipped: no Redis at host:port");
 * - against a real redis-server (spawned on a free port; skipped with a
 *   message when the binary is absent): open and closed loop conserve every
 *   event, and the streams hold the records byte for byte.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Socket, TCPSocketListener } from "bun";
import { checkPatternRecord, RecordWords } from "../impl/core/record.ts";
import { NoRespServerError, runRespLoad, streamKey } from "../impl/pipeline/load-resp.ts";
import { STREAM_MAXLEN_ENTRIES } from "../impl/pipeline/resp-connection.ts";
import {
  encodeCommand,
  parseStreamId,
  RespKind,
  type RespReply,
  RespReplyReader,
} from "../impl/pipeline/resp-reader.ts";
import {
  type LocalRedis,
  redisServerBinary,
  startRedisServer,
} from "../impl/pipeline/resp-server.ts";

const enc = new TextEncoder();

interface Seen {
  kind: number;
  value: number;
  text: string;
}
function collect(reader: RespReplyReader, chunk: Uint8Array, out: Seen[]): void {
  reader.push(chunk, (r: RespReply) =>
    out.push({
      kind: r.kind,
      value: r.value,
      text:
        r.kind === RespKind.ERROR
          ? r.message
          : new TextDecoder().decode(r.buf.subarray(r.start, r.end)),
    }),
  );
}

describe("RespReplyReader", () => {
  const stream = enc.encode(
    "+OK\r\n-ERR wrong type\r\n:42\r\n:-7\r\n$5\r\nhe\r\nl\r\n$-1\r\n$0\r\n\r\n*2\r\n$3\r\nabc\r\n*1\r\n:1\r\n*-1\r\n",
  );
  const expected: Seen[] = [
    { kind: RespKind.SIMPLE, value: 0, text: "OK" },
    { kind: RespKind.ERROR, value: 0, text: "ERR wrong type" },
    { kind: RespKind.INTEGER, value: 42, text: "42" },
    { kind: RespKind.INTEGER, value: -7, text: "-7" },
    { kind: RespKind.BULK, value: 5, text: "he\r\nl" },
    { kind: RespKind.BULK, value: -1, text: "" },
    { kind: RespKind.BULK, value: 0, text: "" },
    { kind: RespKind.ARRAY, value: 2, text: "$3\r\nabc\r\n*1\r\n:1\r\n" },
    { kind: RespKind.ARRAY, value: -1, text: "" },
  ];

  test("whole stream at once", () => {
    const out: Seen[] = [];
    collect(new RespReplyReader(), stream, out);
    expect(out).toEqual(expected);
  });

  test("every split point into two chunks, and byte by byte", () => {
    for (let cut = 0; cut <= stream.length; cut++) {
      const out: Seen[] = [];
      const r = new RespReplyReader();
      collect(r, stream.subarray(0, cut), out);
      collect(r, stream.subarray(cut), out);
      expect(out).toEqual(expected);
    }
    const out: Seen[] = [];
    const r = new RespReplyReader();
    for (let i = 0; i < stream.length; i++) collect(r, stream.subarray(i, i + 1), out);
    expect(out).toEqual(expected);
  });

  test("non-RESP bytes are refused with a message naming the byte", () => {
    expect(() =>
      new RespReplyReader().push(new Uint8Array([0x10, 0, 0, 0, 3, 1, 0, 0]), () => {}),
    ).toThrow(/not a RESP reply: byte 0x10/);
    expect(() => new RespReplyReader().push(enc.encode(":12x\r\n"), () => {})).toThrow(/non-digit/);
    expect(() => new RespReplyReader().push(enc.encode("$2\r\nabcd\r\n"), () => {})).toThrow(
      /CRLF/,
    );
  });

  test("parseStreamId", () => {
    const out = new Float64Array(2);
    const id = enc.encode("1732650000123-17");
    expect(parseStreamId(id, 0, id.length, out)).toBe(true);
    expect([...out]).toEqual([1732650000123, 17]);
    for (const bad of ["", "12", "-3", "12-", "1-2-3", "a-1"]) {
      const b = enc.encode(bad);
      expect(parseStreamId(b, 0, b.length, out)).toBe(false);
    }
  });
});

type Reply = (n: number) => string | null;
type FakeData = { reader: RespReplyReader; n: number; stalled: boolean };

/**
 * A fake RESP server: answers DEL with :1, each XADD with reply(n) (null = no
 * answer); with `stallMs`, it stops reading a connection for that long once
 * it has answered 1000 XADDs.
 */
function fakeRedis(reply: Reply, stallMs = 0): TCPSocketListener<FakeData> {
  return Bun.listen<FakeData>({
    hostname: "127.0.0.1",
    port: 0,
    socket: {
      open: (s) => {
        s.data = { reader: new RespReplyReader(), n: 0, stalled: false };
      },
      data: (s: Socket<FakeData>, chunk: Uint8Array) => {
        let out = "";
        // Commands are RESP arrays of bulk strings, so the reply reader splits them too.
        s.data.reader.push(chunk, (cmd) => {
          const head = new TextDecoder().decode(cmd.buf.subarray(cmd.start, cmd.start + 12));
          if (head.includes("DEL")) out += ":1\r\n";
          else {
            const r = reply(s.data.n++);
            if (r !== null) out += r;
          }
        });
        if (out) s.write(out);
        if (stallMs > 0 && s.data.n >= 1000 && !s.data.stalled) {
          s.data.stalled = true;
          s.pause();
          setTimeout(() => s.resume(), stallMs);
        }
      },
    },
  });
}

const id = (n: number) => `$${`1000-${n}`.length}\r\n1000-${n}\r\n`;

describe("runRespLoad against fake servers", () => {
  test("every third XADD rejected: counted as rejects, conservation holds", async () => {
    const srv = fakeRedis((n) => (n % 3 === 2 ? "-ERR no room\r\n" : id(n)));
    try {
      const r = await runRespLoad({
        port: srv.port,
        connections: 2,
        max: 64,
        batch: 8,
        durationS: 0.3,
        seed: 3,
      });
      expect(r.errors).toEqual([]);
      expect(r.sent).toBeGreaterThan(0);
      expect(r.acked + r.rejected).toBe(r.sent);
      // Each connection's n-th XADD is rejected when n % 3 == 2.
      const expectRejects = r.connections.reduce((a, c) => a + Math.floor(c.sent / 3), 0);
      expect(r.rejected).toBe(expectRejects);
      expect(r.firstRejectMessage).toBe("ERR no room");
      expect(r.latency.count).toBe(r.acked);
    } finally {
      srv.stop(true);
    }
  });

  test("warm-up: its XADDs are conserved but kept out of the latency histogram", async () => {
    const srv = fakeRedis((n) => id(n));
    try {
      const r = await runRespLoad({
        port: srv.port,
        connections: 1,
        rate: 4000,
        batch: 4,
        warmupS: 0.15,
        durationS: 0.15,
      });
      expect(r.errors).toEqual([]);
      expect(r.acked).toBe(r.sent);
      expect(r.latency.count).toBeGreaterThan(0);
      expect(r.latency.count).toBeLessThan(r.acked * 0.75);
    } finally {
      srv.stop(true);
    }
  });

  test("a server that stops reading for a while: writes back up, then every XADD is answered in order", async () => {
    // 1 s of 100k events/s is ~12 MB of commands, more than loopback socket buffers hold during the stall.
    const srv = fakeRedis((n) => id(n), 400);
    try {
      const r = await runRespLoad({
        port: srv.port,
        connections: 1,
        rate: 100_000,
        batch: 64,
        durationS: 1,
      });
      expect(r.errors).toEqual([]);
      expect(r.acked).toBe(r.sent);
      expect(r.sent).toBeGreaterThan(90_000);
      // Open loop: the stall is charged to the events sent during it.
      expect(r.latency.maxNs).toBeGreaterThan(200e6);
    } finally {
      srv.stop(true);
    }
  }, 30_000);

  test("a reply that never comes is reported as unanswered", async () => {
    const srv = fakeRedis((n) => (n === 5 ? null : id(n)));
    try {
      const r = await runRespLoad({
        port: srv.port,
        connections: 1,
        rate: 2000,
        batch: 4,
        durationS: 0.1,
        drainTimeoutMs: 300,
      });
      expect(r.unresolved).toBe(1);
      expect(r.errors.join("\n")).toMatch(/1 XADDs unanswered/);
    } finally {
      srv.stop(true);
    }
  });

  test("an entry id that goes backwards is a protocol error", async () => {
    const srv = fakeRedis((n) => (n === 9 ? id(1) : id(n)));
    try {
      const r = await runRespLoad({
        port: srv.port,
        connections: 1,
        max: 16,
        batch: 4,
        durationS: 0.1,
      });
      expect(r.errors.join("\n")).toMatch(/entry id 1000-1 for XADD 9 is not after 1000-8/);
    } finally {
      srv.stop(true);
    }
  });

  test("closed port and non-RESP server: NoRespServerError, 'skipped: no Redis at host:port'", async () => {
    const gone = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
    const port = gone.port;
    gone.stop(true);
    await expect(runRespLoad({ port, durationS: 0.1 })).rejects.toThrow(
      new RegExp(`^skipped: no Redis at 127\\.0\\.0\\.1:${port}`),
    );
    const binary = Bun.listen({
      hostname: "127.0.0.1",
      port: 0,
      // Answers like the eventlab server would: a binary ERROR frame.
      socket: {
        data: (s) => {
          s.write(new Uint8Array([12, 0, 0, 0, 3, 1, 2, 0, 0, 0, 0, 0]));
        },
      },
    });
    try {
      const err = await runRespLoad({ port: binary.port, durationS: 0.1 }).catch((e) => e);
      expect(err).toBeInstanceOf(NoRespServerError);
      expect(String(err.message)).toMatch(/does not speak RESP/);
    } finally {
      binary.stop(true);
    }
  });
});

const haveRedis = redisServerBinary() !== null;
if (!haveRedis) {
  console.warn(
    "pipeline.resp.test: redis-server not installed; real-Redis tests skipped (apt-get install redis-server)",
  );
}

describe.skipIf(!haveRedis)("runRespLoad against a real redis-server", () => {
  let redis: LocalRedis;
  beforeAll(async () => {
    redis = (await startRedisServer())!;
  });
  afterAll(async () => {
    await redis?.stop();
  });

  test("open loop: every XADD answered, in order; the stream holds the records byte for byte", async () => {
    const r = await runRespLoad({
      port: redis.port,
      connections: 2,
      rate: 20_000,
      durationS: 0.3,
      batch: 16,
      pattern: true,
      seed: 11,
    });
    expect(r.errors).toEqual([]);
    expect(r.rejected).toBe(0);
    expect(r.acked).toBe(r.sent);
    expect(r.sent).toBeLessThan(STREAM_MAXLEN_ENTRIES);
    // Read back the first and last entries of connection 1's stream.
    const entries = await xrangeFirstLast(redis.port, streamKey(1));
    expect(entries.count).toBe(r.connections[1]!.sent);
    for (const rec of [entries.first, entries.last]) {
      const w = new RecordWords(rec.slice().buffer);
      expect(rec.length).toBe(64);
      expect(w.producerId(0)).toBe(1);
      expect(checkPatternRecord(w, 0, 64)).toBeNull();
    }
    expect(new RecordWords(entries.last.slice().buffer).sequence(0)).toBe(
      r.connections[1]!.sent - 1,
    );
  });

  test("closed loop: conservation holds", async () => {
    const r = await runRespLoad({
      port: redis.port,
      connections: 4,
      max: 256,
      durationS: 0.3,
      batch: 64,
    });
    expect(r.errors).toEqual([]);
    expect(r.acked).toBe(r.sent);
    expect(r.achievedPerS).toBeGreaterThan(0);
  });
});

/** XLEN of `key` and the record bytes of its first and last entries (XRANGE/XREVRANGE COUNT 1). */
async function xrangeFirstLast(
  port: number,
  key: string,
): Promise<{ count: number; first: Uint8Array; last: Uint8Array }> {
  const replies: Uint8Array[] = [];
  const reader = new RespReplyReader();
  let got = 0;
  const socket = await Bun.connect({
    hostname: "127.0.0.1",
    port,
    socket: {
      binaryType: "uint8array",
      data: (_s, chunk) =>
        reader.push(chunk, (r) => {
          replies.push(r.buf.slice(r.start, r.end));
          got++;
        }),
    },
  });
  socket.write(encodeCommand("XLEN", key));
  socket.write(encodeCommand("XRANGE", key, "-", "+", "COUNT", "1"));
  socket.write(encodeCommand("XREVRANGE", key, "+", "-", "COUNT", "1"));
  const deadline = performance.now() + 2000;
  while (got < 3 && performance.now() < deadline) await Bun.sleep(5);
  socket.end();
  expect(got).toBe(3);
  // An XRANGE reply is *1 [*2 [id, *2 [field, value]]]: the value is the last 64 + 2 bytes of the array body.
  const value = (body: Uint8Array) => body.subarray(body.length - 66, body.length - 2);
  return {
    count: Number(new TextDecoder().decode(replies[0]!)),
    first: value(replies[1]!),
    last: value(replies[2]!),
  };
}
