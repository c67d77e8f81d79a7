/**
 * `bun run compare:power`: the measured power of the `compare --base` gate.
 * A benchmark script, not a test: it times things.
 *
 * For each injected slowdown s (default 10%, 20%, 50%) it makes a temporary
 * worktree of HEAD, patches the hot path of one row (array-pool's acquire)
 * with a spin loop calibrated so that row's ns/op grows by s/(1-s), i.e.
 * head/base = 1 - s, and runs `compare --base HEAD --only allocator` there N
 * times: detection rate = share of runs whose row verdict is "regression".
 * Then it runs the unpatched checkout against HEAD N times: false-alarm rate =
 * share of runs that flag any row. Wall time per compare run is recorded.
 * Prints a Markdown table (also to --out) with the load average, N and seed.
 *
 * Calibration times the row as a duet (as compare --base does) and the spin
 * in-process, on a shared machine, so the achieved slowdown can differ from
 * the target: the table shows the measured head/base median of the patched
 * row beside each target.
 */
import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import type { AllocDuetParams } from "../experiments/compare/alloc-duet-workload.ts";
import { DEFAULT_BASE_SIZES, MAX_WARMUP_CHUNKS } from "../experiments/compare/base-main.ts";
import type { BaseHeadReport } from "../experiments/measure/base-head.ts";
import { runDuet } from "../experiments/measure/duet.ts";
import { withWorktree } from "../experiments/measure/worktree.ts";

const ROOT = resolve(import.meta.dir, "..");
/** The row whose hot path is patched, and the file and line the spin goes after. */
const ROW = "array-pool";
const PATCH_FILE = "impl/alloc/array-pool.ts";
const PATCH_ANCHOR = "  acquire(): EventFields {\n";
/** Upper bound on runs per setting. */
const MAX_RUNS = 100;
const CALIBRATION_ROUNDS = 7;

const USAGE = `Usage: bun run compare:power [--runs N] [--slowdowns 0.1,0.2,0.5] [--blocks N] [--seed N] [--out FILE]

Measures the detection rate of \`compare --base\` for calibrated slowdowns of the
${ROW} row (patched in temporary worktrees) and its false-alarm rate (HEAD
against HEAD), N runs each, with the wall time of each compare run.`;

function spin(x: number, k: number): number {
  for (let i = 0; i < k; i++) x = (Math.imul(x, 1103515245) + 12345) | 0;
  return x;
}

/**
 * Spin iterations that add s/(1-s) of the row's ns/op. The row is timed the
 * way compare --base times it, as a duet of two Workers (both running the
 * head's array-pool), since in-process timing differs from it several-fold
 * on a loaded machine; the spin's cost per iteration is timed in-process.
 */
async function calibrate(
  slowdown: number,
  seed: number,
): Promise<{ iterations: number; rowNs: number; spinNs: number }> {
  const side = (name: string) => ({
    name,
    modulePath: join(ROOT, "experiments", "compare", "alloc-duet-workload.ts"),
    exportName: "allocWorkload",
    params: {
      root: ROOT,
      name: ROW,
      recordBytes: DEFAULT_BASE_SIZES.recordBytes,
      liveEvents: DEFAULT_BASE_SIZES.liveEvents,
      capacity: 65536,
      opsPerTrial: DEFAULT_BASE_SIZES.allocOpsPerTrial,
      opsPerChunk: DEFAULT_BASE_SIZES.allocOpsPerChunk,
      seed,
    } satisfies AllocDuetParams,
  });
  const duet = await runDuet([side("a"), side("b")], {
    blocks: CALIBRATION_ROUNDS,
    seed,
    warmup: { maxChunks: MAX_WARMUP_CHUNKS },
  });
  const spinNs: number[] = [];
  const probe = 1_000_000;
  let sink = 1;
  for (let r = 0; r < CALIBRATION_ROUNDS; r++) {
    const t0 = Bun.nanoseconds();
    sink = spin(sink, probe);
    spinNs.push((Bun.nanoseconds() - t0) / probe);
  }
  if (sink === 0.5) console.log(sink); // keeps the loop observable
  const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
  const rowNs = med([...duet.values[0]!, ...duet.values[1]!]);
  const added = (rowNs * slowdown) / (1 - slowdown);
  return { iterations: Math.max(1, Math.round(added / med(spinNs))), rowNs, spinNs: med(spinNs) };
}

function patchSource(src: string, iterations: number): string {
  if (!src.includes(PATCH_ANCHOR))
    throw new Error(`${PATCH_FILE}: anchor "acquire(): EventFields {" not found`);
  return `${src.replace(PATCH_ANCHOR, `${PATCH_ANCHOR}    powerSink = powerSpin(powerSink); // compare:power injected cost\n`)}
// compare:power injected cost: ${iterations} dependent multiply-adds per acquire.
export let powerSink = 1;
function powerSpin(x: number): number {
  for (let i = 0; i < ${iterations}; i++) x = (Math.imul(x, 1103515245) + 12345) | 0;
  return x;
}
`;
}

interface RunOutcome {
  seconds: number;
  rowVerdict: string;
  rowEstimate: number;
  anyRegression: boolean;
}

function runCompare(cwd: string, baseRef: string, blocks: number, seed: number): RunOutcome {
  const out = join(tmpdir(), `eventlab-power-${process.pid}-${seed}.json`);
  const t0 = Date.now();
  const r = spawnSync(
    "bun",
    [
      "run",
      "compare",
      "--base",
      baseRef,
      "--only",
      "allocator",
      "--blocks",
      String(blocks),
      "--seed",
      String(seed),
      "--out",
      out,
    ],
    { cwd, encoding: "utf8" },
  );
  const seconds = (Date.now() - t0) / 1000;
  if (r.status !== 0 && r.status !== 1)
    throw new Error(`compare --base exited ${r.status}: ${r.stderr.slice(-500)}`);
  const report = JSON.parse(readFileSync(out, "utf8")) as BaseHeadReport;
  const row = report.rows.find((x) => x.row.id === ROW);
  return {
    seconds,
    rowVerdict: row?.verdict ?? "missing",
    rowEstimate: row?.interval?.estimate ?? Number.NaN,
    anyRegression: report.rows.some((x) => x.verdict === "regression"),
  };
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    args: Bun.argv.slice(2),
    options: {
      runs: { type: "string" },
      slowdowns: { type: "string" },
      blocks: { type: "string" },
      seed: { type: "string" },
      out: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
    strict: true,
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const runs = Number(values.runs ?? 3);
  const blocks = Number(values.blocks ?? 10);
  const seed = Number(values.seed ?? 20260101);
  const slowdowns = (values.slowdowns ?? "0.1,0.2,0.5").split(",").map(Number);
  if (!Number.isInteger(runs) || runs < 1 || runs > MAX_RUNS)
    throw new Error(`--runs: 1..${MAX_RUNS}`);
  if (!slowdowns.every((s) => s > 0 && s < 1)) throw new Error("--slowdowns: fractions in (0, 1)");
  const head = spawnSync("git", ["rev-parse", "HEAD"], {
    cwd: ROOT,
    encoding: "utf8",
  }).stdout.trim();
  const load0 = loadavg()[0]!;
  console.log(
    `compare:power: ${runs} runs per setting, blocks ${blocks}, seed ${seed}, base ${head.slice(0, 12)}, load ${load0.toFixed(2)}`,
  );
  const lines: string[] = [];
  const allSeconds: number[] = [];
  for (const s of slowdowns) {
    const cal = await calibrate(s, seed);
    console.log(
      `slowdown ${s}: ${ROW} ${cal.rowNs.toFixed(1)} ns/op, spin ${cal.spinNs.toFixed(2)} ns/iter -> ${cal.iterations} iterations`,
    );
    const outcomes = await withWorktree(
      "HEAD",
      (wt) => {
        const file = join(wt.dir, PATCH_FILE);
        writeFileSync(file, patchSource(readFileSync(file, "utf8"), cal.iterations));
        spawnSync(
          "git",
          [
            "-c",
            "user.name=power",
            "-c",
            "user.email=power@invalid",
            "commit",
            "-qam",
            "compare:power injected cost",
          ],
          { cwd: wt.dir },
        );
        const res: RunOutcome[] = [];
        for (let i = 0; i < runs; i++) {
          res.push(runCompare(wt.dir, head, blocks, seed + i));
          console.log(
            `  run ${i + 1}/${runs}: ${res[i]!.rowVerdict} (head/base ${res[i]!.rowEstimate.toFixed(3)}), ${res[i]!.seconds.toFixed(0)} s`,
          );
        }
        return res;
      },
      { repoDir: ROOT, log: (l) => console.log(`  ${l}`) },
    );
    allSeconds.push(...outcomes.map((o) => o.seconds));
    const detected = outcomes.filter((o) => o.rowVerdict === "regression").length;
    const est = outcomes.map((o) => o.rowEstimate).sort((a, b) => a - b)[outcomes.length >> 1]!;
    lines.push(
      `| ${ROW} ${Math.round(s * 100)}% slower (target head/base ${(1 - s).toFixed(2)}) | ${est.toFixed(3)} | ${detected}/${runs} detected |`,
    );
  }
  const aa: RunOutcome[] = [];
  for (let i = 0; i < runs; i++) {
    aa.push(runCompare(ROOT, head, blocks, seed + 1000 + i));
    console.log(
      `  HEAD vs HEAD run ${i + 1}/${runs}: ${aa[i]!.anyRegression ? "FALSE ALARM" : "no regression"}, ${aa[i]!.seconds.toFixed(0)} s`,
    );
  }
  allSeconds.push(...aa.map((o) => o.seconds));
  const alarms = aa.filter((o) => o.anyRegression).length;
  const est = aa.map((o) => o.rowEstimate).sort((a, b) => a - b)[aa.length >> 1]!;
  lines.push(
    `| HEAD vs HEAD (no change) | ${est.toFixed(3)} | ${alarms}/${runs} false alarms (any allocator row) |`,
  );
  const md = [
    `Power of \`compare --base\` (allocator rows, duet mode, ${blocks} pairs per row), N = ${runs} runs per setting, seed ${seed}, load average (1 min) ${load0.toFixed(2)} at start and ${loadavg()[0]!.toFixed(2)} at end, ${(allSeconds.reduce((a, b) => a + b, 0) / allSeconds.length / 60).toFixed(2)} min per compare run on average.`,
    "",
    "| injected change | measured head/base (median of runs) | verdicts |",
    "| --- | --- | --- |",
    ...lines,
    "",
  ].join("\n");
  console.log(`\n${md}`);
  if (values.out) writeFileSync(values.out, md);
  return 0;
}

if (import.meta.main) process.exit(await main());
