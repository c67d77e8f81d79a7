/**
 * A `bun run pipeline` child process for tests: spawns it, waits for its
 * listen line, collects its output, stops it with SIGINT (graceful) or
 * SIGKILL, always by PID.
 */
import { join } from "node:path";
import type { Subprocess } from "bun";

const PIPELINE = join(import.meta.dir, "../../impl/pipeline/cli/pipeline.ts");
/** How long the pipeline (and an embedded cluster) may take to print its listen line. */
const START_TIMEOUT_MS = 30_000;

export class PipelineProcess {
  out = "";
  port = 0;
  httpPort = 0;
  raftDataDir: string | null = null;
  private constructor(readonly proc: Subprocess<"ignore", "pipe", "pipe">) {}

  static async start(args: string[]): Promise<PipelineProcess> {
    const proc = Bun.spawn([process.execPath, PIPELINE, "--port", "0", ...args], {
      stdin: "ignore",
      stdout: "pipe",
      stderr: "pipe",
    });
    const p = new PipelineProcess(proc);
    void p.collect(proc.stdout);
    void p.collect(proc.stderr);
    const until = performance.now() + START_TIMEOUT_MS;
    while (!/listening on [\d.]+:\d+/.test(p.out)) {
      if (proc.exitCode !== null || performance.now() > until) {
        proc.kill("SIGKILL");
        throw new Error(`pipeline did not start (exit ${proc.exitCode}):\n${p.out}`);
      }
      await Bun.sleep(50);
    }
    p.port = Number(p.out.match(/listening on [\d.]+:(\d+)/)![1]);
    const http = p.out.match(/http http:\/\/[\d.]+:(\d+)/);
    if (http) p.httpPort = Number(http[1]);
    const dir = p.out.match(/embedded raft cluster in (\S+)/);
    if (dir) p.raftDataDir = dir[1]!;
    return p;
  }

  private async collect(s: ReadableStream<Uint8Array>): Promise<void> {
    const dec = new TextDecoder();
    for await (const chunk of s) this.out += dec.decode(chunk, { stream: true });
  }

  /** SIGINT: drain, final stats, exit code. */
  async stop(): Promise<number> {
    this.proc.kill("SIGINT");
    return this.proc.exited;
  }

  async kill9(): Promise<void> {
    this.proc.kill("SIGKILL");
    await this.proc.exited;
  }

  async metric(name: string): Promise<number> {
    const text = await (await fetch(`http://127.0.0.1:${this.httpPort}/metrics`)).text();
    const line = text.split("\n").find((l) => l.startsWith(name));
    return line ? Number(line.split(" ").pop()) : Number.NaN;
  }
}
