/**
 * How the pipeline and load CLIs end when the world around them is wrong,
 * with real child processes on free loopback ports:
 * - a second `pipeline` on a port a first one listens on exits 2 naming the
 *   port (SO_REUSEPORT would otherwise let it share the port silently), and
 *   the first keeps serving;
 * - `load` with no server exits 1 naming the address and `bun run pipeline --port N`;
 * - `load` whose server is killed (-9) or stopped (SIGTERM) mid-run exits 1
 *   saying the server went away and when;
 * - the Redis baseline server asked for a port in use is refused naming the
 *   port, and the server already there keeps answering (skipped without redis-server).
 * Children are stopped by PID.
 */
import { afterEach, expect, test } from "bun:test";
import { join } from "node:path";
import type { Subprocess } from "bun";
import {
  freePort,
  pingOnce,
  redisServerBinary,
  startRedisServer,
} from "../impl/pipeline/resp-server.ts";

const ROOT = join(import.meta.dir, "..");
const PIPELINE = join(ROOT, "impl/pipeline/cli/pipeline.ts");
const LOAD = join(ROOT, "impl/pipeline/cli/load.ts");
/** Named maximum: how long a server child may take to say it listens, ms. */
const LISTEN_TIMEOUT_MS = 60_000;

const children: Subprocess[] = [];
afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null) c.kill("SIGKILL");
});

async function run(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const p = Bun.spawn(["bun", ...args], { cwd: ROOT, stdout: "pipe", stderr: "pipe" });
  children.push(p);
  const [out, err, code] = await Promise.all([
    new Response(p.stdout).text(),
    new Response(p.stderr).text(),
    p.exited,
  ]);
  return { code, out, err };
}

/** Starts `bun run pipeline --port <port>` and resolves once it prints that it listens. */
async function startServer(port: number): Promise<Subprocess<"ignore", "pipe", "pipe">> {
  const p = Bun.spawn(["bun", PIPELINE, "--port", String(port)], {
    cwd: ROOT,
    stdout: "pipe",
    stderr: "pipe",
  });
  children.push(p);
  const reader = p.stdout.getReader();
  const decoder = new TextDecoder();
  let out = "";
  const deadline = performance.now() + LISTEN_TIMEOUT_MS;
  while (!out.includes(`listening on 127.0.0.1:${port}`)) {
    if (performance.now() > deadline) throw new Error(`server did not listen: ${out}`);
    const { value, done } = await reader.read();
    if (done) throw new Error(`server exited early (code ${await p.exited}): ${out}`);
    out += decoder.decode(value);
  }
  // keep draining so the child never blocks on a full pipe
  void (async () => {
    while (!(await reader.read()).done) {}
  })();
  return p;
}

const loadArgs = (port: number, durationS: number) => [
  LOAD,
  "--port",
  String(port),
  "--connections",
  "2",
  "--rate",
  "5000",
  "--duration",
  String(durationS),
  "--seed",
  "3",
];

test("a second pipeline on a port in use exits 2 naming the port; the first keeps serving", async () => {
  const port = freePort();
  const first = await startServer(port);
  const second = await run([PIPELINE, "--port", String(port)]);
  expect(second.code).toBe(2);
  expect(second.err).toContain(`port ${port} on 127.0.0.1 is already in use`);
  expect(second.err.trim().split("\n")).toHaveLength(1);
  const load = await run(loadArgs(port, 0.3));
  expect(load.out).toContain("conservation: OK");
  expect(load.code).toBe(0);
  first.kill("SIGTERM");
  expect(await first.exited).toBe(0);
});

test("load with no server names the address and how to start one", async () => {
  const port = freePort();
  const load = await run(loadArgs(port, 0.3));
  expect(load.code).toBe(1);
  expect(load.err).toContain(`no server at 127.0.0.1:${port}`);
  expect(load.err).toContain(`bun run pipeline --port ${port}`);
});

for (const signal of ["SIGKILL", "SIGTERM"] as const) {
  test(`load exits 1 when its server goes away mid-run (${signal})`, async () => {
    const port = freePort();
    const server = await startServer(port);
    const loadP = run(loadArgs(port, 20));
    await Bun.sleep(1500);
    server.kill(signal);
    await server.exited;
    const load = await loadP;
    expect(load.code).toBe(1);
    expect(load.err).toContain(`the server at 127.0.0.1:${port} went away`);
    expect(load.err).toContain(signal === "SIGKILL" ? "without a final ack" : "stopped");
  });
}

test.skipIf(!redisServerBinary())(
  "redis-server baseline on a port in use is refused naming the port",
  async () => {
    const first = (await startRedisServer())!;
    try {
      await expect(startRedisServer({ port: first.port })).rejects.toThrow(
        `port ${first.port} on 127.0.0.1 is already in use`,
      );
      expect(await pingOnce(first.port)).toBe(true);
    } finally {
      await first.stop();
    }
  },
);
