/**
 * `bun run scripts/pipeline-stalls.ts`: one open-loop run against a fresh
 * in-process pipeline, then every end-to-end sample of 50 ms or more with its
 * time, lined up with what each thread noted (event-loop lag, busy loop
 * iterations, paused sockets, blocked writes, full lane queues: stall-log.ts)
 * and, with --log-gc, with every garbage collection JSC logged. Prints the
 * per-stage table and the load average (the host is shared; figures are noisy).
 *
 * --log-gc re-runs this script as a child with BUN_JSC_logGC=1 and stamps each
 * collection's END line with CLOCK_MONOTONIC as it arrives on the pipe (a few
 * ms late at worst: fine against 50 ms samples), and samples the child's
 * per-thread run-queue wait every 10 ms (that sampling costs the host a
 * little CPU itself).
 */
import "../impl/index.ts";
import { readdirSync, readFileSync } from "node:fs";
import { z } from "zod";
import { monoNowNs } from "../impl/core/clock.ts";
import { helpText, parseFlags, UsageError, validateOptions } from "../impl/pipeline/cli-args.ts";
import { runLoad } from "../impl/pipeline/load.ts";
import { fmtNs, formatStageTable } from "../impl/pipeline/profiler.ts";
import { startPipeline } from "../impl/pipeline/server.ts";
import { STALL_MIN_NS, type StallRecord } from "../impl/pipeline/stall-log.ts";
import { formatStallReport, type GcEvent, parseGcLine } from "../impl/pipeline/stall-report.ts";

const Options = z
  .object({
    rate: z.number().min(1).max(1e9).default(800_000),
    durationS: z.number().min(0.1).max(3600).default(10),
    warmupS: z.number().min(0).max(600).default(1),
    seed: z.number().int().min(0).max(0xffffffff).default(33),
    queue: z.string().default("fan-in"),
    wait: z.enum(["spin", "spin-then-park", "park"]).default("park"),
    topology: z.string().optional(),
    alloc: z.string().default("naive"),
    logGc: z.boolean().default(false),
    child: z.boolean().default(false),
  })
  .strict();

const FLAGS = [
  { flag: "rate", key: "rate", kind: "number", help: "offered events/s (default 800000)" },
  { flag: "duration", key: "durationS", kind: "number", help: "measured seconds (default 10)" },
  { flag: "warmup", key: "warmupS", kind: "number", help: "warm-up seconds (default 1)" },
  { flag: "seed", key: "seed", kind: "int", help: "seed (default 33)" },
  { flag: "queue", key: "queue", kind: "string", help: "dispatcher queue kind (default fan-in)" },
  { flag: "wait", key: "wait", kind: "string", help: "wait strategy (default park)" },
  {
    flag: "topology",
    key: "topology",
    kind: "string",
    help: "pipeline topology (default: the server's)",
  },
  { flag: "alloc", key: "alloc", kind: "string", help: "allocator (default naive)" },
  { flag: "log-gc", key: "logGc", kind: "bool", help: "log and correlate JSC garbage collections" },
  { flag: "child", key: "child", kind: "bool", help: "(internal) the --log-gc child run" },
] as const;

async function loadAverage(): Promise<string> {
  return (await Bun.file("/proc/loadavg").text()).split(" ").slice(0, 3).join(" ");
}

async function runOnce(o: z.output<typeof Options>): Promise<string> {
  const topo = o.topology ? { topology: o.topology } : {};
  const server = await startPipeline({
    port: 0,
    queue: o.queue,
    wait: o.wait,
    alloc: o.alloc,
    quiet: true,
    ...(topo as object),
  });
  const originNs = monoNowNs();
  const loadBefore = await loadAverage();
  server.statsFrom(originNs + o.warmupS * 1e9);
  const load = await runLoad({
    port: server.port,
    rate: o.rate,
    durationS: o.durationS,
    warmupS: o.warmupS,
    seed: o.seed,
    quiet: true,
  });
  const stats = await server.stop();
  const l = load.latency;
  const head = [
    `rate ${o.rate} events/s, ${o.durationS} s + ${o.warmupS} s warm-up, queue ${o.queue}, wait ${o.wait}, topology ${o.topology ?? "default"}, seed ${o.seed}`,
    `load average before ${loadBefore}, after ${await loadAverage()} (2 cores, shared host)`,
    `achieved ${Math.round(load.achievedPerS)} events/s; e2e p50 ${fmtNs(l.p50Ns)} p99 ${fmtNs(l.p99Ns)} p99.9 ${fmtNs(l.p999Ns)} max ${fmtNs(l.maxNs)}; generator lag p50 ${fmtNs(load.sendLag.p50Ns)} p99 ${fmtNs(load.sendLag.p99Ns)}; write to ack read p50 ${fmtNs(load.ackRtt?.p50Ns ?? 0)} p99 ${fmtNs(load.ackRtt?.p99Ns ?? 0)}`,
    `conservation: ${load.errors.length === 0 ? "OK" : load.errors.slice(0, 3).join("; ")}`,
    `stall records dropped (log full): load ${load.stallsDropped}, server ${stats.stallsDropped}`,
  ];
  const all = [...load.stalls, ...stats.stalls].sort((a, b) => a.atNs - b.atNs);
  const marker = JSON.stringify({ originNs, stalls: all });
  return `${head.join("\n")}\n${formatStageTable(stats.stages)}\n@@STALLS@@${marker}`;
}

/** How often the --log-gc parent samples the child's per-thread run-queue wait, ms. */
const SCHEDSTAT_EVERY_MS = 10;

/**
 * Samples /proc/<pid>/task/<tid>/schedstat (field 2: ns runnable without a
 * core) every SCHEDSTAT_EVERY_MS and notes each interval in which a thread
 * waited STALL_MIN_NS or more: the OS, not the code, held that thread.
 */
function sampleRunQueue(pid: number, out: StallRecord[]): () => void {
  const last = new Map<string, number>();
  let prevNs = monoNowNs();
  const timer = setInterval(() => {
    const now = monoNowNs();
    let tids: string[] = [];
    try {
      tids = readdirSync(`/proc/${pid}/task`);
    } catch {
      return;
    }
    for (const tid of tids) {
      let waitNs = 0;
      let comm = "";
      try {
        waitNs = Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, "utf8").split(" ")[1]);
        comm = readFileSync(`/proc/${pid}/task/${tid}/comm`, "utf8").trim();
      } catch {
        continue;
      }
      const before = last.get(tid);
      last.set(tid, waitNs);
      if (before !== undefined && waitNs - before >= STALL_MIN_NS)
        out.push({
          kind: "runqueue-wait",
          thread: `tid ${tid} ${comm}`,
          atNs: prevNs,
          durationNs: waitNs - before,
          detail: 0,
        });
    }
    prevNs = now;
  }, SCHEDSTAT_EVERY_MS);
  return () => clearInterval(timer);
}

async function runWithGcLog(argv: string[]): Promise<void> {
  const child = Bun.spawn(["bun", import.meta.path, ...argv, "--child"], {
    env: { ...process.env, BUN_JSC_logGC: "1" },
    stdout: "pipe",
    stderr: "pipe",
  });
  const gcs: GcEvent[] = [];
  const runQueue: StallRecord[] = [];
  const stopSampling = sampleRunQueue(child.pid, runQueue);
  const readGc = (async () => {
    const decoder = new TextDecoder();
    let rest = "";
    for await (const chunk of child.stderr) {
      const now = monoNowNs();
      const text = rest + decoder.decode(chunk);
      const lines = text.split("\n");
      rest = lines.pop()!;
      for (const line of lines) {
        const g = parseGcLine(line, now);
        if (g) gcs.push(g);
      }
    }
  })();
  const out = await new Response(child.stdout).text();
  await readGc;
  await child.exited;
  stopSampling();
  printResult(out, gcs, runQueue);
}

function printResult(out: string, gcs: GcEvent[], runQueue: StallRecord[]): void {
  const [text, marker] = out.split("@@STALLS@@");
  console.log(text!.trimEnd());
  if (!marker) return;
  const { originNs, stalls } = JSON.parse(marker) as { originNs: number; stalls: StallRecord[] };
  const all = [...stalls, ...runQueue.filter((r) => r.atNs >= originNs)];
  console.log(formatStallReport(all, gcs, originNs));
}

async function main(): Promise<number> {
  const argv = process.argv.slice(2);
  if (argv.includes("--help")) {
    process.stdout.write(
      helpText("usage: bun run scripts/pipeline-stalls.ts [options]", [...FLAGS]),
    );
    return 0;
  }
  let o: z.output<typeof Options>;
  try {
    o = validateOptions(Options, parseFlags(argv, [...FLAGS]), [...FLAGS]);
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`pipeline-stalls: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
  if (o.logGc && !o.child) {
    await runWithGcLog(argv.filter((a) => a !== "--log-gc"));
    return 0;
  }
  const out = await runOnce(o);
  if (o.child) process.stdout.write(out);
  else printResult(out, [], []);
  return 0;
}

process.exit(await main());
