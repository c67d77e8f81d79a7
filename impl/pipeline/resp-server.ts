/**
 * Starts a throwaway local redis-server for the Redis baseline (tests and the
 * pipeline experiment): a free loopback port, no persistence (`--save ''
 * --appendonly no`), killed on stop() or when this process exits. Returns null
 * when no redis-server binary is installed, so callers can skip with a reason.
 */
import type { Subprocess } from "bun";
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

export async function startRedisServer(): Promise<LocalRedis | null> {
  const binary = redisServerBinary();
  if (!binary) return null;
  let lastError = "";
  for (let attempt = 0; attempt < MAX_PORT_ATTEMPTS; attempt++) {
    const port = freePort();
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
  }
  throw new Error(
    `redis-server did not start after ${MAX_PORT_ATTEMPTS} attempts${lastError ? `: ${lastError}` : ""}`,
  );
}

/** True once a PING on `port` gets +PONG; false if the process exits or the deadline passes. */
async function answersPing(port: number, proc: Subprocess): Promise<boolean> {
  const deadline = performance.now() + REDIS_START_TIMEOUT_MS;
  while (performance.now() < deadline && proc.exitCode === null) {
    if (await pingOnce(port)) return true;
    await Bun.sleep(20);
  }
  return false;
}

/** One PING round trip; true on +PONG. */
export async function pingOnce(port: number, host = "127.0.0.1"): Promise<boolean> {
  const reader = new RespReplyReader();
  let pong = false;
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
              pong = r.kind === RespKind.SIMPLE;
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
    socket.write(encodeCommand("PING"));
    await Promise.race([finished, Bun.sleep(500)]);
    socket.end();
  } catch {
    return false;
  }
  return pong;
}
