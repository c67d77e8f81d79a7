/**
 * Runs one repetition of one point in the isolation the experiment asks for:
 * - inline: in this thread, calling the given definition directly;
 * - worker: in a fresh Worker (its own JS heap and GC), terminated afterwards;
 * - process: in a fresh `bun` process (a clean heap, nothing shared but the
 *   host), for experiments whose figures depend on GC state.
 * Isolated runs load the experiment by its module URL (the module's default
 * export). An abort (Ctrl-C) terminates the Worker or kills the process.
 */
import type { Experiment, Profile } from "./types.ts";

export interface PointJob {
  module: string;
  point: Record<string, unknown>;
  seed: number;
  repeat: number;
  profile: Profile;
}

/** measured: one row's values, or several rows' (experiments with a rowKey). */
export type PointReply =
  | { ok: true; measured: Record<string, unknown> | Record<string, unknown>[] }
  | { ok: false; error: string };

/** Marker before the JSON result on the child's stdout. */
export const RESULT_MARKER = "@@EVENTLAB_POINT_RESULT ";

export class PointAbortedError extends Error {
  override name = "PointAbortedError";
}

/** Loads the experiment a job names (the default export of its module). */
export async function loadExperiment(module: string): Promise<Experiment> {
  const mod = (await import(module)) as { default?: Experiment };
  if (!mod.default || typeof mod.default.run !== "function")
    throw new Error(`${module} has no default-exported experiment`);
  return mod.default;
}

/** Runs `job` in this thread and reports success or the error text (never throws). */
export async function runJobHere(job: PointJob, signal: AbortSignal): Promise<PointReply> {
  try {
    const exp = await loadExperiment(job.module);
    const measured = await exp.run(job.point, {
      seed: job.seed,
      repeat: job.repeat,
      profile: job.profile,
      signal,
    });
    return { ok: true, measured };
  } catch (err) {
    return { ok: false, error: errorText(err) };
  }
}

/** The error's name and message first (some stacks omit the message), then the stack. */
export function errorText(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const head = `${err.name}: ${err.message}`;
  return err.stack?.startsWith(head) ? err.stack : `${head}\n${err.stack ?? ""}`;
}

function runInWorker(job: PointJob, signal: AbortSignal): Promise<PointReply> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL("./point-worker.ts", import.meta.url).href);
    const onAbort = () => {
      worker.terminate();
      reject(new PointAbortedError("aborted"));
    };
    signal.addEventListener("abort", onAbort, { once: true });
    worker.onmessage = (e: MessageEvent<PointReply>) => {
      signal.removeEventListener("abort", onAbort);
      worker.terminate();
      resolve(e.data);
    };
    worker.onerror = (e: ErrorEvent) => {
      signal.removeEventListener("abort", onAbort);
      worker.terminate();
      resolve({ ok: false, error: `worker error: ${e.message}` });
    };
    worker.postMessage(job);
  });
}

async function runInProcess(job: PointJob, signal: AbortSignal): Promise<PointReply> {
  const entry = new URL("./point-process.ts", import.meta.url).pathname;
  const proc = Bun.spawn([process.execPath, entry], {
    stdin: new TextEncoder().encode(JSON.stringify(job)),
    stdout: "pipe",
    stderr: "inherit",
  });
  const onAbort = () => proc.kill();
  signal.addEventListener("abort", onAbort, { once: true });
  try {
    const [out, exitCode] = await Promise.all([new Response(proc.stdout).text(), proc.exited]);
    // Ctrl-C in a terminal signals the whole process group: the child may die of it before
    // this process's own SIGINT handler has run, so its signal counts as an abort too.
    if (signal.aborted || proc.signalCode === "SIGINT") throw new PointAbortedError("aborted");
    const at = out.lastIndexOf(RESULT_MARKER);
    if (at < 0) return { ok: false, error: `point process exited ${exitCode} without a result` };
    // Anything else the child printed on stdout goes to stderr, out of the way of progress lines.
    const other = out.slice(0, at).trim();
    if (other) process.stderr.write(`${other}\n`);
    return JSON.parse(out.slice(at + RESULT_MARKER.length)) as PointReply;
  } finally {
    signal.removeEventListener("abort", onAbort);
  }
}

/** Runs one repetition of one point of `exp`; returns the reply or throws PointAbortedError. */
export async function runPoint(
  exp: Experiment,
  job: PointJob,
  signal: AbortSignal,
): Promise<PointReply> {
  if (signal.aborted) throw new PointAbortedError("aborted");
  if (exp.isolation === "worker") return runInWorker(job, signal);
  if (exp.isolation === "process") return runInProcess(job, signal);
  // Inline runs call this very definition (no module load), so unregistered or test experiments work too.
  let reply: PointReply;
  try {
    const { seed, repeat, profile } = job;
    reply = { ok: true, measured: await exp.run(job.point, { seed, repeat, profile, signal }) };
  } catch (err) {
    reply = { ok: false, error: errorText(err) };
  }
  if (signal.aborted) throw new PointAbortedError("aborted");
  return reply;
}
