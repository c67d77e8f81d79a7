/**
 * `bun run reports`: rebuilds reports/ from results/ alone (nothing rerun);
 * `--from DIR` builds the report of any run directory into DIR/report/.
 * Exit codes: 0 built; 1 a results file failed validation or rendering failed
 * (the message names file, row and column); 2 a bad flag.
 */
import { join } from "node:path";
import { parseArgs } from "node:util";
import { experiments } from "./registry.ts";
import { buildReports } from "./report/build.ts";

export const USAGE = `Usage: bun run reports [--from DIR | --results DIR --out DIR]

Rebuilds the report from the CSV and .meta.json files alone, never rerunning
anything: per experiment Vega-Lite specs (<out>/<experiment>/*.vl.json), SVG
charts rendered headless with vega, PNGs (resvg), then <out>/README.md and a
self-contained <out>/index.html. Experiments without a CSV are skipped with a
note; a CSV row that fails its schema is an error naming file, row and column.

  --from DIR      a run directory (e.g. runs/<time>-<sha>/ from \`bun run experiments\`):
                  reads its CSVs and writes its report to DIR/report/
  --results DIR   where the CSVs are (default: results, the committed reference)
  --out DIR       where to write the report (default: reports)
  --help          this text

Environment: EVENTLAB_FONT_DIR, a directory holding DejaVuSans.ttf, when it is
not in /usr/share/fonts/truetype/dejavu (Debian: fonts-dejavu-core).`;

export class UsageError extends Error {
  override name = "UsageError";
}

export interface ReportArgs {
  resultsDir: string;
  outDir: string;
  help: boolean;
}

export function parseReportArgs(argv: string[]): ReportArgs {
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args: argv,
      options: {
        from: { type: "string" },
        results: { type: "string" },
        out: { type: "string" },
        help: { type: "boolean", short: "h" },
      },
      strict: true,
      allowPositionals: false,
    });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const v = parsed.values as { from?: string; results?: string; out?: string; help?: boolean };
  for (const flag of ["from", "results", "out"] as const) {
    if (v[flag] !== undefined && v[flag]!.trim() === "")
      throw new UsageError(`--${flag}: needs a directory, got an empty value`);
  }
  if (v.from !== undefined) {
    if (v.results !== undefined || v.out !== undefined)
      throw new UsageError(
        "--from DIR reads DIR and writes DIR/report; it takes no --results or --out",
      );
    return { resultsDir: v.from, outDir: join(v.from, "report"), help: v.help ?? false };
  }
  return { resultsDir: v.results ?? "results", outDir: v.out ?? "reports", help: v.help ?? false };
}

async function main(): Promise<number> {
  let args: ReportArgs;
  try {
    args = parseReportArgs(Bun.argv.slice(2));
  } catch (err) {
    console.error(`reports: ${(err as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (args.help) {
    console.log(USAGE);
    return 0;
  }
  try {
    const summary = await buildReports({
      resultsDir: args.resultsDir,
      outDir: args.outDir,
      experiments,
      log: (line) => console.log(line),
    });
    for (const f of summary.unknownResults)
      console.log(
        `note: ${args.resultsDir}/${f} belongs to no registered experiment; not reported`,
      );
    console.log(
      `wrote ${summary.files.length} files (${summary.charts} charts) to ${args.outDir}/`,
    );
    return 0;
  } catch (err) {
    console.error(`reports: ${(err as Error).message}`);
    return 1;
  }
}

if (import.meta.main) process.exit(await main());
