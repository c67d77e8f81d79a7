/**
 * bun run raft:mutants [--seeds N] [--only NAME] [--timeout-s S] [--help]
 *
 * Mutation check of the Raft fuzzer: for each small bug in
 * scripts/mutants/raft.json (search/replace edits against impl/raft files),
 * copies impl/ and the fuzz script to a temporary directory, applies the
 * edits there (the worktree is never touched), runs `raft:fuzz --seeds N
 * --stop-on-fail` on the copy in a subprocess and records the first failing
 * seed and the invariant that fired. Prints a table; exits 1 if any mutant
 * survives N seeds (or its run times out), 2 on bad input or a mutant whose
 * search text no longer occurs exactly once.
 */
import {
  cpSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { z } from "zod";

const ROOT = join(import.meta.dir, "..");
const MUTANTS_FILE = join(ROOT, "scripts/mutants/raft.json");
/** Named default: the issue's bar, every mutant found within 300 seeds. */
const DEFAULT_SEEDS = 300;
/** Named limit: wall seconds one mutant's fuzz run may take before it counts as hung. */
const DEFAULT_TIMEOUT_S = 900;

const HELP = `bun run raft:mutants [options]

Injects each bug of scripts/mutants/raft.json into a temporary copy of the Raft
node, runs the fuzz on it and prints: bug, seeds to first failure, invariant.
A mutant that survives fails the command (exit 1).

  --seeds N       seeds per mutant (default ${DEFAULT_SEEDS})
  --only NAME     run only the mutant NAME
  --timeout-s S   wall seconds per mutant before it counts as hung (default ${DEFAULT_TIMEOUT_S})
  --all           run all N seeds per mutant and count the failing ones (slower)
  --help          this text`;

const MutantsSchema = z.object({
  about: z.string(),
  mutants: z
    .array(
      z.object({
        name: z.string().regex(/^[a-z0-9-]+$/),
        bug: z.string(),
        file: z.string().startsWith("impl/raft/"),
        edits: z.array(z.object({ search: z.string().min(1), replace: z.string() })).min(1),
      }),
    )
    .min(1),
});
type Mutant = z.infer<typeof MutantsSchema>["mutants"][number];

interface Outcome {
  mutant: Mutant;
  firstFailSeed: number | null;
  /** With --all: how many of the seeds failed. */
  failingSeeds: number | null;
  family: string;
  invariant: string;
  wallS: number;
}

function fail(msg: string): never {
  console.error(`raft:mutants: ${msg}`);
  process.exit(2);
}

interface Args {
  seeds: number;
  only: string | null;
  timeoutS: number;
  all: boolean;
}

function parseArgs(argv: string[]): Args {
  const a: Args = { seeds: DEFAULT_SEEDS, only: null, timeoutS: DEFAULT_TIMEOUT_S, all: false };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!;
    if (flag === "--help" || flag === "-h") {
      console.log(HELP);
      process.exit(0);
    }
    if (flag === "--all") {
      a.all = true;
      continue;
    }
    const v = argv[++i];
    if (v === undefined) fail(`${flag} needs a value`);
    if (flag === "--only") a.only = v;
    else if (flag === "--seeds" || flag === "--timeout-s") {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 1) fail(`${flag} needs a positive integer, got ${v}`);
      if (flag === "--seeds") a.seeds = n;
      else a.timeoutS = n;
    } else fail(`unknown option ${flag} (see --help)`);
  }
  return a;
}

/** A temporary copy of impl/ and the fuzz script with the mutant's edits applied. */
function mutantTree(m: Mutant): string {
  const dir = mkdtempSync(join(tmpdir(), `raft-mutant-${m.name}-`));
  cpSync(join(ROOT, "impl"), join(dir, "impl"), { recursive: true });
  mkdirSync(join(dir, "scripts"));
  cpSync(join(ROOT, "scripts/raft-fuzz.ts"), join(dir, "scripts/raft-fuzz.ts"));
  symlinkSync(join(ROOT, "node_modules"), join(dir, "node_modules"));
  const path = join(dir, m.file);
  let text = readFileSync(path, "utf8");
  for (const e of m.edits) {
    const count = text.split(e.search).length - 1;
    if (count !== 1) {
      rmSync(dir, { recursive: true, force: true });
      fail(
        `mutant ${m.name}: its search text occurs ${count} times in ${m.file} (needs exactly 1)`,
      );
    }
    text = text.replace(e.search, () => e.replace);
  }
  writeFileSync(path, text);
  return dir;
}

/** The running mutant's tree and fuzz process, cleaned up if we are interrupted. */
const live: { dir: string | null; proc: ReturnType<typeof Bun.spawn> | null } = {
  dir: null,
  proc: null,
};
for (const sig of ["SIGINT", "SIGTERM"] as const) {
  process.on(sig, () => {
    live.proc?.kill(9);
    if (live.dir) rmSync(live.dir, { recursive: true, force: true });
    process.exit(130);
  });
}

async function runMutant(m: Mutant, a: Args): Promise<Outcome> {
  const { seeds, timeoutS } = a;
  const dir = mutantTree(m);
  live.dir = dir;
  const t0 = performance.now();
  try {
    const proc = Bun.spawn(
      [
        "bun",
        join(dir, "scripts/raft-fuzz.ts"),
        "--seeds",
        String(seeds),
        "--no-speed",
        ...(a.all ? [] : ["--stop-on-fail"]),
      ],
      { cwd: dir, stdout: "pipe", stderr: "pipe" },
    );
    live.proc = proc;
    const timer = setTimeout(() => proc.kill(9), timeoutS * 1000);
    const out = await new Response(proc.stdout).text();
    await proc.exited;
    clearTimeout(timer);
    const wallS = (performance.now() - t0) / 1000;
    const hit = /FAIL seed (\d+) \(family ([^,]+), invariant ([^)]+)\)/.exec(out);
    const failingSeeds = a.all ? (out.match(/^FAIL seed /gm) ?? []).length : null;
    if (hit)
      return {
        mutant: m,
        firstFailSeed: Number(hit[1]),
        failingSeeds,
        family: hit[2]!,
        invariant: hit[3]!,
        wallS,
      };
    const timedOut = proc.signalCode === "SIGKILL";
    return {
      mutant: m,
      firstFailSeed: null,
      failingSeeds,
      family: "-",
      invariant: timedOut ? `run timed out after ${timeoutS} s` : "survived",
      wallS,
    };
  } finally {
    live.proc = null;
    live.dir = null;
    rmSync(dir, { recursive: true, force: true });
  }
}

function table(rows: Outcome[], seeds: number, all: boolean): string {
  const lines = [
    `| mutant | bug | seeds to first failure | ${all ? `failing seeds of ${seeds} | ` : ""}family | invariant that fired |`,
    `|---|---|---|${all ? "---|" : ""}---|---|`,
  ];
  for (const r of rows) {
    const found = r.firstFailSeed === null ? `not found in ${seeds}` : String(r.firstFailSeed);
    const count = all ? ` ${r.failingSeeds} |` : "";
    lines.push(
      `| ${r.mutant.name} | ${r.mutant.bug} | ${found} |${count} ${r.family} | ${r.invariant} |`,
    );
  }
  return lines.join("\n");
}

async function main(): Promise<void> {
  const a = parseArgs(process.argv.slice(2));
  const parsed = MutantsSchema.safeParse(JSON.parse(readFileSync(MUTANTS_FILE, "utf8")));
  if (!parsed.success) fail(`${MUTANTS_FILE}: ${parsed.error.message}`);
  const mutants = parsed.data.mutants.filter((m) => a.only === null || m.name === a.only);
  if (mutants.length === 0) fail(`no mutant named ${a.only}`);
  console.log(
    `raft:mutants: ${mutants.length} mutants, up to ${a.seeds} fuzz seeds each (seeds 1..${a.seeds})`,
  );
  const rows: Outcome[] = [];
  for (const m of mutants) {
    const r = await runMutant(m, a);
    console.log(
      `  ${m.name}: ${r.firstFailSeed === null ? r.invariant : `seed ${r.firstFailSeed}, ${r.invariant} (${r.family})`} [${r.wallS.toFixed(0)} s]`,
    );
    rows.push(r);
  }
  console.log(`\n${table(rows, a.seeds, a.all)}`);
  const survivors = rows.filter((r) => r.firstFailSeed === null);
  if (survivors.length > 0) {
    console.log(
      `\n${survivors.length} mutant(s) survived: ${survivors.map((r) => r.mutant.name).join(", ")}`,
    );
    process.exit(1);
  }
  console.log(`\nall ${rows.length} mutants found`);
}

await main();
