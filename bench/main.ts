/**
 * The microbenchmark runner: `bun run bench [--quick] [--seed N] [--filter s]`.
 * Runs the default export of every bench/*.bench.ts (type BenchFile), prints
 * one aligned table and writes bench/out/bench-<date>.json and latest.json.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { cpus } from "node:os";
import { basename, join } from "node:path";
import type { BenchFile, BenchOptions, BenchRow } from "./types.ts";

const HELP = `usage: bun run bench [options]

Runs every bench/*.bench.ts, prints one table, writes bench/out/bench-<date>.json
and bench/out/latest.json.

options:
  --quick         fewer repeats and smaller counts (smoke run, CI)
  --seed N        seed for every benchmark (default 1; printed with the results)
  --filter TEXT   only files whose name, or rows whose group/name, contain TEXT
  --help          this text
`;

const DEFAULT_SEED = 1;

interface Args {
  quick: boolean;
  seed: number;
  filter: string | undefined;
}

export function parseArgs(argv: string[]): Args | "help" {
  const args: Args = { quick: false, seed: DEFAULT_SEED, filter: undefined };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!;
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined || v.startsWith("--")) throw new Error(`${flag} needs a value`);
      return v;
    };
    if (flag === "--help" || flag === "-h") return "help";
    else if (flag === "--quick") args.quick = true;
    else if (flag === "--seed") {
      const v = value();
      const seed = Number(v);
      if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
        throw new Error(`--seed must be an integer in [0, 2^32), got "${v}"`);
      }
      args.seed = seed;
    } else if (flag === "--filter") args.filter = value();
    else throw new Error(`unknown flag "${flag}" (try --help)`);
  }
  return args;
}

async function benchFiles(dir: string): Promise<string[]> {
  const files: string[] = [];
  for await (const f of new Bun.Glob("*.bench.ts").scan({ cwd: dir })) files.push(f);
  return files.sort();
}

/** 3 significant digits, no exponent for the usual ranges. */
function fmt(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  const a = Math.abs(x);
  if (a >= 1e9) return `${(x / 1e9).toPrecision(3)}G`;
  if (a >= 1e6) return `${(x / 1e6).toPrecision(3)}M`;
  if (a >= 1e4) return `${(x / 1e3).toPrecision(3)}k`;
  if (a >= 1e3) return x.toFixed(0);
  return x.toPrecision(3);
}

export function formatTable(rows: BenchRow[]): string {
  // Comparison rows print their estimate and 95% interval, and their pairs as repeats.
  const header = ["group", "name", "metric", "median|est", "min-max | 95% CI", "repeats|pairs"];
  const body = rows.map((r) => [
    r.group,
    r.name,
    r.metric,
    fmt(r.interval ? r.interval.estimate : r.median),
    r.interval
      ? `(${fmt(r.interval.lo)}-${fmt(r.interval.hi)}) ${Math.round(r.interval.level * 100)}% CI${r.params.verdict ? ` ${r.params.verdict}` : ""}`
      : `${fmt(r.min)}-${fmt(r.max)}`,
    String(r.interval ? r.interval.pairs : r.repeats),
  ]);
  const widths = header.map((h, c) => Math.max(h.length, ...body.map((b) => b[c]!.length)));
  const numeric = new Set([3, 4, 5]);
  const line = (cells: string[]): string =>
    cells
      .map((cell, c) => (numeric.has(c) ? cell.padStart(widths[c]!) : cell.padEnd(widths[c]!)))
      .join("  ")
      .trimEnd();
  return [line(header), line(widths.map((w) => "-".repeat(w))), ...body.map(line)].join("\n");
}

function gitSha(): string {
  const r = Bun.spawnSync(["git", "rev-parse", "--short", "HEAD"], { stderr: "ignore" });
  return r.success ? r.stdout.toString().trim() : "unknown";
}

async function main(): Promise<number> {
  let args: Args | "help";
  try {
    args = parseArgs(process.argv.slice(2));
  } catch (e) {
    console.error(`bench: ${(e as Error).message}`);
    return 2;
  }
  if (args === "help") {
    process.stdout.write(HELP);
    return 0;
  }
  const dir = import.meta.dir;
  const files = await benchFiles(dir);
  console.log(
    `bench: seed ${args.seed}${args.quick ? ", quick" : ""}${args.filter ? `, filter "${args.filter}"` : ""}; files: ${files.join(", ") || "(none)"}`,
  );
  const opts: BenchOptions = { quick: args.quick, seed: args.seed, filter: args.filter };
  const rows: BenchRow[] = [];
  for (const file of files) {
    const fileMatches = !args.filter || basename(file).includes(args.filter);
    const mod = (await import(join(dir, file))) as { default?: BenchFile };
    if (typeof mod.default !== "function") {
      console.error(`bench: ${file} has no default export of type BenchFile`);
      return 1;
    }
    const t0 = performance.now();
    const got = await mod.default(fileMatches ? { ...opts, filter: undefined } : opts);
    const kept = fileMatches ? got : got.filter((r) => matchesRow(r, args.filter!));
    rows.push(...kept);
    console.log(
      `bench: ${file}: ${kept.length} rows in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
    );
  }
  console.log(`\n${formatTable(rows)}\n`);
  const now = new Date();
  const out = {
    date: now.toISOString(),
    gitSha: gitSha(),
    bunVersion: Bun.version,
    cpu: cpus()[0]?.model ?? "unknown",
    cores: cpus().length,
    seed: args.seed,
    quick: args.quick,
    filter: args.filter ?? null,
    rows,
  };
  const outDir = join(dir, "out");
  mkdirSync(outDir, { recursive: true });
  const json = `${JSON.stringify(out, null, 2)}\n`;
  const stamped = join(outDir, `bench-${now.toISOString().replace(/[:.]/g, "-")}.json`);
  writeFileSync(stamped, json);
  writeFileSync(join(outDir, "latest.json"), json);
  console.log(`bench: wrote ${stamped} and ${join(outDir, "latest.json")}`);
  return 0;
}

/** A row matches when its group or name contains `filter`. */
export function matchesRow(row: Pick<BenchRow, "group" | "name">, filter: string): boolean {
  return row.group.includes(filter) || row.name.includes(filter);
}

if (import.meta.main) process.exit(await main());
