/**
 * Starts a throwaway local redis-server for the Redis baseline (tests and the
 * pipeline experiment): a free loopback port, no persistence (`--save ''
 * --appendonly no`), killed on stop() or when this process exits. Returns null
 * when no redis-server binary is installed, so callers can skip with a reason.
 */
import type { Subprocess } from "bun";
import { PortInUseError, refuseIfPortInUse } from "./port-guard.ts";
import { encodeCommand, RespKind, RespReplyReader } from "./resp-reader.ts";

/** Named maximum: how long redis-server may take to answer PING after spawning, ms. */
export const REDIS_START_TIMEOUT_MS = 10_000;
/** Named maximum: ports tried when another process grabs the free one first. */
const MAX_PORT_ATTEMPTS = 5;

export interface LocalRedis {
  readonly host: string;
  readonly port: number;
  readonly binary: string;
  /** The redis-server process id (its CPU time is in /proc/<pid>/stat). */
  readonly pid: number;
  stop(): Promise<void>;
}

/** Path of the redis-server binary, or null. */
export function redisServerBinary(): string | null {
  return Bun.which("redis-server");
}

/** A loopback port no one listens on right now (the OS picks; there is a small race until it is used). */
export function freePort(): number {
  const l = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const port = l.port;
  l.stop(true);
  return port;
}

/**
 * Starts redis-server on `options.port` (refused with PortInUseError when
 * anything listens there) or on a free port (retried on another when one is
 * taken meanwhile). A PONG counts only from the process we spawned (INFO's
 * process_id): a server already on that port must not pass for ours.
 */
export async function startRedisServer(
  options: { port?: number } = {},
): Promise<LocalRedis | null> {
  const binary = redisServerBinary();
  if (!binary) return null;
  const fixed = options.port;
  if (fixed !== undefined) refuseIfPortInUse("127.0.0.1", fixed);
  let lastError = "";
  for (let attempt = 0; attempt < (fixed === undefined ? MAX_PORT_ATTEMPTS : 1); attempt++) {
    const port = fixed ?? freePort();
    const proc = Bun.spawn(
      [
        binary,
        "--port",
        String(port),
        "--bind",
        "127.0.0.1",
        "--save",
        "",
        "--appendonly",
        "no",
        "--protected-mode",
        "yes",
        "--loglevel",
        "warning",
      ],
      { stdout: "ignore", stderr: "pipe" },
    );
    const kill = () => proc.kill("SIGKILL");
    process.once("exit", kill);
    if (await answersPing(port, proc)) {
      return {
        host: "127.0.0.1",
        port,
        binary,
        pid: proc.pid,
        stop: async () => {
          process.off("exit", kill);
          proc.kill("SIGTERM");
          await proc.exited;
        },
      };
    }
    process.off("exit", kill);
    proc.kill("SIGKILL");
    await proc.exited;
    lastError = proc.stderr ? (await new Response(proc.stderr).text()).trim() : "";
    if (fixed !== undefined) throw new PortInUseError("127.0.0.1", fixed);
  }
  throw new Error(
    `redis-server did not start after ${MAX_PORT_ATTEMPTS} attempts${lastError ? `: ${lastError}` : ""}`,
  );
}

/**
 * True once a PING on `port` gets +PONG from `proc` itself (INFO's
 * process_id); false if the process exits, another server answers, or the
 * deadline passes.
 */
async function answersPing(port: number, proc: Subprocess): Promise<boolean> {
  const deadline = performance.now() + REDIS_START_TIMEOUT_MS;
  while (performance.now() < deadline && proc.exitCode === null) {
    if (await pingOnce(port)) return (await serverPid(port)) === proc.pid;
    await Bun.sleep(20);
  }
  return false;
}

/** The process id the Redis on `port` reports (INFO server), or null. */
async function serverPid(port: number, host = "127.0.0.1"): Promise<number | null> {
  const reply = await replyOnce(port, host, encodeCommand("INFO", "server"));
  const m = reply?.match(/process_id:(\d+)/);
  return m ? Number(m[1]) : null;
}

/** One PING round trip; true on +PONG. */
export async function pingOnce(port: number, host = "127.0.0.1"): Promise<boolean> {
  return (await replyOnce(port, host, encodeCommand("PING"))) === "PONG";
}

/** Sends `command` and returns its reply's text (simple or bulk string), or null on anything else. */
async function replyOnce(port: number, host: string, command: Uint8Array): Promise<string | null> {
  const reader = new RespReplyReader();
  let text: string | null = null;
  let done: () => void = () => {};
  const finished = new Promise<void>((r) => {
    done = r;
  });
  try {
    const socket = await Bun.connect({
      hostname: host,
      port,
      socket: {
        binaryType: "uint8array",
        data: (_s, chunk) => {
          try {
            reader.push(chunk, (r) => {
              if (r.kind === RespKind.SIMPLE || r.kind === RespKind.BULK)
                text = new TextDecoder().decode(r.buf.subarray(r.start, r.end));
              done();
            });
          } catch {
            done();
          }
        },
        close: () => done(),
        error: () => done(),
      },
    });
    socket.write(command);
    await Promise.race([finished, Bun.sleep(500)]);
    socket.end();
  } catch {
    return null;
  }
  return text;
}
