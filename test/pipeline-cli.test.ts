/**
 * The pipeline and load CLIs as child processes:
 * - --help documents every flag; a bad value exits 2 naming the flag and its
 *   range; an unknown key in --config is named;
 * - the server started as a child with --config (flags override it) prints
 *   where it listens, takes load from the load CLI (which exits 0 with
 *   conservation OK), and on SIGTERM drains, prints final stats and the
 *   per-stage latency table, and exits 0.
 */
import { expect, test } from "bun:test";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PIPELINE_FLAGS } from "../impl/pipeline/config.ts";
import { LOAD_FLAGS } from "../impl/pipeline/load.ts";

const ROOT = join(import.meta.dir, "..");
const PIPELINE = join(ROOT, "impl/pipeline/cli/pipeline.ts");
const LOAD = join(ROOT, "impl/pipeline/cli/load.ts");

async function run(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const p = Bun.spawn(["bun", ...args], { cwd: ROOT, stdout: "pipe", stderr: "pipe" });
  const [out, err, code] = await Promise.all([
    new Response(p.stdout).text(),
    new Response(p.stderr).text(),
    p.exited,
  ]);
  return { code, out, err };
}

test("--help documents every flag of both CLIs", async () => {
  const server = await run([PIPELINE, "--help"]);
  expect(server.code).toBe(0);
  for (const f of PIPELINE_FLAGS) expect(server.out).toContain(`--${f.flag}`);
  const load = await run([LOAD, "--help"]);
  expect(load.code).toBe(0);
  for (const f of LOAD_FLAGS) expect(load.out).toContain(`--${f.flag}`);
});

test("bad values exit 2 and name the option and its range", async () => {
  const a = await run([PIPELINE, "--ingest-workers", "99"]);
  expect(a.code).toBe(2);
  expect(a.err).toMatch(/--ingest-workers \(got 99\).*1\.\.32/);
  const b = await run([PIPELINE, "--queue", "no-such-queue"]);
  expect(b.code).toBe(2);
  expect(b.err).toMatch(/unknown queue "no-such-queue"; valid choices/);
  const e = await run([PIPELINE, "--commit-stage", "raft-not-yet"]);
  expect(e.code).toBe(2);
  expect(e.err).toMatch(/unknown commit stage "raft-not-yet"; valid choices: immediate/);
  const cfg = join(tmpdir(), `eventlab-bad-config-${process.pid}.json`);
  await Bun.write(cfg, JSON.stringify({ consumers: 1, colour: "blue" }));
  const c = await run([PIPELINE, "--config", cfg]);
  expect(c.code).toBe(2);
  expect(c.err).toContain("colour");
  const d = await run([LOAD, "--lane-mix", "1:x:1"]);
  expect(d.code).toBe(2);
  expect(d.err).toContain("--lane-mix");
});

test("server child: --config honoured, load CLI conserves, SIGTERM drains and exits 0", async () => {
  const cfg = join(tmpdir(), `eventlab-config-${process.pid}.json`);
  await Bun.write(cfg, JSON.stringify({ consumers: 2, capacity: 2048, port: 1 }));
  const server = Bun.spawn(["bun", PIPELINE, "--config", cfg, "--port", "0"], {
    cwd: ROOT,
    stdout: "pipe",
    stderr: "pipe",
  });
  const reader = server.stdout.getReader();
  let out = "";
  const decoder = new TextDecoder();
  while (!/listening on [\d.]+:\d+/.test(out)) {
    const { value, done } = await reader.read();
    if (done)
      throw new Error(`server exited early: ${out}${await new Response(server.stderr).text()}`);
    out += decoder.decode(value);
  }
  expect(out).toContain("consumers 2");
  const port = Number(out.match(/listening on [\d.]+:(\d+)/)![1]);
  const load = await run([
    LOAD,
    "--port",
    String(port),
    "--connections",
    "2",
    "--rate",
    "20000",
    "--duration",
    "0.3",
    "--seed",
    "5",
  ]);
  expect(load.err).toBe("");
  expect(load.out).toContain("conservation: OK");
  expect(load.code).toBe(0);
  server.kill("SIGTERM");
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    out += decoder.decode(value);
  }
  expect(await server.exited).toBe(0);
  expect(out).toContain("final stats");
  const ackedByClient = Number(load.out.match(/ acked (\d+)/)![1]);
  expect(ackedByClient).toBeGreaterThan(0);
  expect(Number(out.match(/process\.acked\s+(\d+)/)![1])).toBe(ackedByClient);
  expect(out).toContain("ingest.parse_to_queued");
});
