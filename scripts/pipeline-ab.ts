/**
 * `bun run scripts/pipeline-ab.ts`: interleaved before/after runs of pipeline
 * configurations at one open-loop rate, for the tail-latency work
 * (docs/pipeline-latency.md). Each round runs every variant once, in a seeded
 * shuffled order, each on a fresh in-process server after a warm-up; every
 * row carries the load average at its start, since the host is shared.
 *
 *   bun run scripts/pipeline-ab.ts --rate 400000 --rounds 4 --duration 5 \
 *     --variant staged='{"topology":"staged"}' --variant compact='{"topology":"compact"}'
 *
 * A variant's JSON is pipeline options, plus "load": load options (e.g. {"tickOnly": true}).
 * Each row also gives the process's CPU and its threads' run-queue wait per
 * wall second over the load run (warm-up included; server and generator
 * together, since both run in this process), and how late a bare futex
 * sleep woke on this host just before the row (p99): the wake-up floor.
 */
import "../impl/index.ts";
import { readdirSync, readFileSync } from "node:fs";
import { monoNowNs } from "../impl/core/clock.ts";
import { Rng } from "../impl/core/rng.ts";
import { runLoad } from "../impl/pipeline/load.ts";
import { fmtNs } from "../impl/pipeline/profiler.ts";
import { startPipeline } from "../impl/pipeline/server.ts";

/** Named maximum: rounds per invocation. */
const MAX_ROUNDS = 50;

function arg(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1]! : def;
}

function variants(): { name: string; options: Record<string, unknown> }[] {
  const out: { name: string; options: Record<string, unknown> }[] = [];
  process.argv.forEach((a, i) => {
    if (a !== "--variant") return;
    const spec = process.argv[i + 1]!;
    const eq = spec.indexOf("=");
    if (eq < 0) throw new Error(`--variant ${spec}: expected name=JSON`);
    out.push({ name: spec.slice(0, eq), options: JSON.parse(spec.slice(eq + 1)) });
  });
  if (out.length === 0) throw new Error("give at least one --variant name=JSON");
  return out;
}

function loadAverage1m(): string {
  return readFileSync("/proc/loadavg", "utf8").split(" ")[0]!;
}

/**
 * Run-queue wait of every thread of this process (generator and server
 * Workers alike), ns: field 2 of /proc/self/task/<tid>/schedstat, the time
 * the threads were runnable but had no core. 0 where /proc has no schedstat.
 */
function runQueueWaitNs(): number {
  let total = 0;
  try {
    for (const tid of readdirSync("/proc/self/task")) {
      try {
        total += Number(readFileSync(`/proc/self/task/${tid}/schedstat`, "utf8").split(" ")[1]);
      } catch {
        // the thread ended between the listing and the read
      }
    }
  } catch {
    return 0;
  }
  return total;
}

/** Futex sleeps per host wake-up probe, and each one's length. */
const WAKE_PROBE_SLEEPS = 2000;
const WAKE_PROBE_SLEEP_MS = 0.5;

/**
 * The host's wake-up floor just before a row: how late a thread that
 * sleeps WAKE_PROBE_SLEEP_MS on a futex wakes, p99 over WAKE_PROBE_SLEEPS
 * sleeps (~1.1 s), ns. Every batch's path needs at least three wake-ups
 * (the generator to send, the ingest Worker to read, the generator to read
 * the ack), so a row's e2e p99 cannot be expected below this.
 */
function hostWakeLateP99Ns(): number {
  const cell = new Int32Array(new SharedArrayBuffer(4));
  const late = new Float64Array(WAKE_PROBE_SLEEPS);
  for (let i = 0; i < WAKE_PROBE_SLEEPS; i++) {
    const t = monoNowNs();
    Atomics.wait(cell, 0, 0, WAKE_PROBE_SLEEP_MS);
    late[i] = monoNowNs() - t - WAKE_PROBE_SLEEP_MS * 1e6;
  }
  late.sort();
  return late[Math.floor(0.99 * WAKE_PROBE_SLEEPS)]!;
}

/** CPU (user + system) of this process and its threads' run-queue wait, per wall second, ms, from `before`. */
function perSecond(before: { cpuUs: number; runqNs: number; atNs: number }): string {
  const wallS = (monoNowNs() - before.atNs) / 1e9;
  const u = process.cpuUsage();
  const cpuMs = (u.user + u.system - before.cpuUs) / 1e3 / wallS;
  const runqMs = (runQueueWaitNs() - before.runqNs) / 1e6 / wallS;
  return `${cpuMs.toFixed(0).padStart(7)} ${runqMs.toFixed(0).padStart(7)}`;
}

async function main(): Promise<void> {
  if (process.argv.includes("--help")) {
    console.log(
      "usage: bun run scripts/pipeline-ab.ts --variant name=JSON [--variant ...] [--rate N] [--rounds N] [--duration S] [--warmup S] [--seed N] [--connections N]",
    );
    return;
  }
  const rate = Number(arg("rate", "400000"));
  const rounds = Math.min(MAX_ROUNDS, Number(arg("rounds", "3")));
  const durationS = Number(arg("duration", "5"));
  const warmupS = Number(arg("warmup", "1"));
  const seed = Number(arg("seed", "33"));
  const connections = Number(arg("connections", "4"));
  const vs = variants();
  const rng = new Rng(seed);
  console.log(
    `rate ${rate}/s, ${rounds} rounds x ${vs.length} variants, ${durationS} s + ${warmupS} s warm-up, seed ${seed}`,
  );
  console.log(
    "round variant            load1m   achieved      p50      p99    p99.9      max  >=50ms-batches  gen-lag-p50  gen-lag-p99  rtt-p50  rtt-p99  cpu-ms/s runq-ms/s  wake-late-p99",
  );
  for (let r = 0; r < rounds; r++) {
    const order = vs.map((v) => v);
    for (let i = order.length - 1; i > 0; i--) {
      const j = Math.floor(rng.next() * (i + 1));
      [order[i], order[j]] = [order[j]!, order[i]!];
    }
    for (const v of order) {
      const wakeLateNs = hostWakeLateP99Ns();
      const load1m = loadAverage1m();
      const { load: loadOptions, ...serverOptions } = v.options as { load?: object };
      const server = await startPipeline({ port: 0, quiet: true, ...serverOptions });
      const u = process.cpuUsage();
      const before = { cpuUs: u.user + u.system, runqNs: runQueueWaitNs(), atNs: monoNowNs() };
      const res = await runLoad({
        port: server.port,
        rate,
        durationS,
        warmupS,
        seed,
        connections,
        quiet: true,
        ...loadOptions,
      });
      const usage = perSecond(before);
      await server.stop();
      const l = res.latency;
      const slow = res.stalls.filter((s) => s.kind === "e2e-slow").length;
      console.log(
        `${String(r).padStart(5)} ${v.name.padEnd(18)} ${load1m.padStart(6)} ${String(Math.round(res.achievedPerS)).padStart(10)} ${fmtNs(l.p50Ns).padStart(8)} ${fmtNs(l.p99Ns).padStart(8)} ${fmtNs(l.p999Ns).padStart(8)} ${fmtNs(l.maxNs).padStart(8)} ${String(slow).padStart(6)} ${fmtNs(res.sendLag.p50Ns).padStart(12)} ${fmtNs(res.sendLag.p99Ns).padStart(12)} ${fmtNs(res.ackRtt?.p50Ns ?? 0).padStart(8)} ${fmtNs(res.ackRtt?.p99Ns ?? 0).padStart(8)} ${usage} ${fmtNs(wakeLateNs).padStart(13)}${res.errors.length ? `  ERRORS ${res.errors[0]}` : ""}`,
      );
    }
  }
}

await main();
