/**
 * `bun run experiments NAME --help` (and `bun run raft:election --help`): the
 * help of one experiment, built from its definition so it cannot drift: what
 * it measures, its parameters with the values each profile sweeps, its
 * measured columns, repetitions, isolation and the published claims it checks.
 */
import { DEFAULT_REPEATS, type Experiment, type GridBlock, PROFILES } from "./types.ts";

/** Each param's values over every block of a grid, deduplicated, in first-seen order. */
function sweptValues(grid: unknown, param: string): unknown[] {
  const blocks = (Array.isArray(grid) ? grid : [grid]) as GridBlock<Record<string, unknown>>[];
  const seen: unknown[] = [];
  for (const b of blocks)
    for (const v of (b[param] as readonly unknown[] | undefined) ?? [])
      if (!seen.some((s) => JSON.stringify(s) === JSON.stringify(v))) seen.push(v);
  return seen;
}

/** Named maximum on values listed per param (the rest summarised as "... N more"). */
const MAX_VALUES_SHOWN = 12;

function listValues(values: unknown[]): string {
  const shown = values.slice(0, MAX_VALUES_SHOWN).map((v) => JSON.stringify(v));
  const more = values.length - shown.length;
  return more > 0 ? `${shown.join(", ")}, ... ${more} more` : shown.join(", ");
}

export function experimentHelp(exp: Experiment): string {
  const params = Object.keys(exp.paramsSchema.shape);
  const lines = [
    `Usage: bun run experiments ${exp.name} [--profile quick|full] [--seed N] [--repeat R] [--out DIR] [--shard i/n]`,
    "",
    `${exp.name}: ${exp.description}`,
    "",
    "Parameters (one grid point; values swept per profile):",
  ];
  for (const p of params) {
    lines.push(`  ${p}`);
    for (const profile of PROFILES)
      lines.push(`    ${profile.padEnd(5)}  ${listValues(sweptValues(exp.grids[profile], p))}`);
  }
  lines.push("", `Measured columns: ${Object.keys(exp.measuredSchema.shape).join(", ")}`);
  const repeats = PROFILES.map((p) => `${p} ${exp.repeats?.[p] ?? DEFAULT_REPEATS[p]}`).join(", ");
  lines.push(`Repetitions per point: ${repeats}; isolation: ${exp.isolation}`);
  if (exp.claims.length > 0) {
    lines.push("", "Published claims it checks:");
    for (const c of exp.claims) lines.push(`  - ${c.text} (${c.source})`);
  }
  lines.push(
    "",
    "Writes a new run directory runs/<UTC time>-<short sha>/ (or --out DIR); see",
    "`bun run experiments --help` for every option.",
  );
  return lines.join("\n");
}
