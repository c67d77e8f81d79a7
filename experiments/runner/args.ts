/**
 * Command-line parsing for `bun run experiments`. Every error names the bad
 * flag or value and the valid choices; the CLI turns it into exit code 2.
 */
import type { Shard } from "./meta.ts";
import { REFERENCE_DIR, REFERENCE_REPEAT_DIR } from "./outdir.ts";
import { MAX_REPEATS } from "./run.ts";
import { parseShard } from "./shard.ts";
import { PROFILES, type Profile } from "./types.ts";

export class UsageError extends Error {
  override name = "UsageError";
}

export interface RunArgs {
  command: "run";
  names: string[];
  profile: Profile;
  /** null: pick a random seed and print it. */
  seed: number | null;
  /** null: a new run directory (runs/<UTC time>-<short sha>). */
  outDir: string | null;
  /** Write the reference into results/ (full profile, every experiment, clean tree). */
  reference: boolean;
  /**
   * The second reference run (with reference): into results/repeat/, refused
   * unless results/ holds a reference from this commit (see outdir.ts).
   */
  referenceRepeat: boolean;
  repeats: number | null;
  shard: Shard | null;
  list: boolean;
  help: boolean;
  quiet: boolean;
}

export interface MergeArgs {
  command: "merge";
  dirs: string[];
  /** null: a new run directory. */
  outDir: string | null;
  help: boolean;
}

const RUN_FLAGS = [
  "--profile",
  "--seed",
  "--out",
  "--reference",
  "--reference-repeat",
  "--repeat",
  "--shard",
  "--list",
  "--help",
  "-h",
  "--quiet",
];
const MERGE_FLAGS = ["--out", "--help", "-h"];

/** Splits "--flag=value" and pulls a flag's value from the next argument. */
function takeValue(flag: string, inline: string | undefined, rest: string[]): string {
  if (inline !== undefined) return inline;
  const v = rest.shift();
  if (v === undefined || v.startsWith("--")) throw new UsageError(`${flag} needs a value`);
  return v;
}

function intIn(flag: string, text: string, lo: number, hi: number): number {
  const n = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(n) || n < lo || n > hi)
    throw new UsageError(`${flag} must be an integer from ${lo} to ${hi}; got "${text}"`);
  return n;
}

function splitFlag(arg: string): [string, string | undefined] {
  const eq = arg.indexOf("=");
  return eq > 0 ? [arg.slice(0, eq), arg.slice(eq + 1)] : [arg, undefined];
}

export function parseArgs(argv: string[]): RunArgs | MergeArgs {
  const rest = [...argv];
  if (rest[0] === "merge") {
    rest.shift();
    const out: MergeArgs = { command: "merge", dirs: [], outDir: null, help: false };
    while (rest.length > 0) {
      const [flag, inline] = splitFlag(rest.shift()!);
      if (flag === "--help" || flag === "-h") out.help = true;
      else if (flag === "--out") out.outDir = takeValue(flag, inline, rest);
      else if (flag.startsWith("-"))
        throw new UsageError(
          `unknown flag ${flag} for merge; valid flags: ${MERGE_FLAGS.join(", ")}`,
        );
      else out.dirs.push(flag);
    }
    if (!out.help && out.dirs.length === 0) throw new UsageError("merge needs at least one DIR");
    return out;
  }
  const out: RunArgs = {
    command: "run",
    names: [],
    profile: "quick",
    seed: null,
    outDir: null,
    reference: false,
    referenceRepeat: false,
    repeats: null,
    shard: null,
    list: false,
    help: false,
    quiet: false,
  };
  let profileGiven = false;
  while (rest.length > 0) {
    const [flag, inline] = splitFlag(rest.shift()!);
    switch (flag) {
      case "--help":
      case "-h":
        out.help = true;
        break;
      case "--list":
        out.list = true;
        break;
      case "--reference":
        out.reference = true;
        break;
      case "--reference-repeat":
        out.reference = true;
        out.referenceRepeat = true;
        break;
      case "--quiet":
        out.quiet = true;
        break;
      case "--profile": {
        const v = takeValue(flag, inline, rest);
        if (!(PROFILES as readonly string[]).includes(v))
          throw new UsageError(`--profile must be one of ${PROFILES.join(", ")}; got "${v}"`);
        out.profile = v as Profile;
        profileGiven = v !== "full";
        break;
      }
      case "--seed":
        out.seed = intIn(flag, takeValue(flag, inline, rest), 0, 0xffffffff);
        break;
      case "--repeat":
        out.repeats = intIn(flag, takeValue(flag, inline, rest), 1, MAX_REPEATS);
        break;
      case "--out":
        out.outDir = takeValue(flag, inline, rest);
        break;
      case "--shard": {
        const s = parseShard(takeValue(flag, inline, rest));
        if (typeof s === "string") throw new UsageError(s);
        out.shard = s;
        break;
      }
      default:
        if (flag.startsWith("-"))
          throw new UsageError(`unknown flag ${flag}; valid flags: ${RUN_FLAGS.join(", ")}`);
        out.names.push(flag);
    }
  }
  if (out.reference) {
    const extra = [
      out.names.length > 0 ? "experiment names" : "",
      profileGiven ? "--profile quick" : "",
      out.outDir !== null ? "--out" : "",
      out.shard !== null ? "--shard" : "",
      out.repeats !== null ? "--repeat" : "",
    ].filter(Boolean);
    if (extra.length > 0)
      throw new UsageError(
        `--reference${out.referenceRepeat ? "-repeat" : ""} runs every experiment, full profile, into ${out.referenceRepeat ? REFERENCE_REPEAT_DIR : REFERENCE_DIR}/; it takes no ${extra.join(", ")}`,
      );
    out.profile = "full";
  }
  return out;
}

export const USAGE = `Usage:
  bun run experiments [name...] [options]     run experiments (all of them when no name is given)
                                              into a new run directory runs/<UTC time>-<short sha>/
  bun run experiments --reference [--seed N]  rewrite the committed reference in results/: every
                                              experiment, full profile, from a clean checkout
  bun run experiments --reference-repeat [--seed N]
                                              the second reference run, into results/repeat/: refused
                                              unless results/ is a reference run of this commit (the
                                              report's Reproducibility section compares the two)
  bun run experiments merge DIR... [--out DIR] merge the outputs of shard runs (default: a new
                                              run directory)
  bun run experiments diff DIR_A DIR_B        compare two result dirs point by point (--help for its flags)

Options:
  --profile quick|full  grid and repeat count (default quick: every experiment in under 10 min on
                        2 cores; full: the publication run)
  --seed N              run seed, 0..4294967295 (default: random, printed); each repetition's
                        seed is derived from it, the experiment, the grid point and the repeat
  --repeat R            repetitions per point (default quick 3, full 7, unless the experiment
                        sets its own)
  --out DIR             output directory (default: a new runs/<UTC time>-<short sha>/; results/
                        is written only by --reference); writes DIR/<name>.csv (one row per
                        repetition, or per trial for an experiment such as raft-election that
                        returns several) and DIR/<name>.meta.json
  --reference           the reference run: every experiment, full profile, into results/; refused
                        when the working tree has uncommitted or untracked files
  --shard i/n           run only the grid points whose index is i modulo n (0-based: 0/n .. n-1/n);
                        merge the n output dirs with \`merge\`
  --list                list experiments with their grid sizes and exit
  --quiet               no progress output
  --help, -h            this text

Ctrl-C stops after aborting the current point; finished rows stay in the CSV and the meta says
interrupted: true (exit 130). Exit 1 if any point failed, 2 on a usage or grid error, an
unusable --out directory or a --reference refused. Afterwards it prints the run directory, how
to build its report (bun run reports --from DIR) and how to compare it with the reference.`;
