/**
 * The layering of impl/ and experiments/ (docs/architecture.md, "Layers"):
 * every relative import of every .ts file under them is classified by the
 * layer it comes from and the layer it reaches, and must be allowed:
 *
 *   impl/core            nothing of the project but itself
 *   impl/alloc, queue    core (and their own folder)
 *   impl/raft (+ sim)    core, alloc, queue (the node's stricter rule: raft.imports.test.ts)
 *   impl/pipeline        core, alloc, queue, raft (a commit stage may use a Raft client)
 *   impl/index.ts        the library root: imported from outside impl/ only
 *   experiments/measure  impl (the measurement core: statistics, runners, worktree, diff)
 *   experiments/runner   impl, measure; report only for types (the Experiment contract names its section type)
 *   experiments/report   impl, runner, measure
 *   experiments/<name>/, compare/   impl, runner, report, helpers of other experiment
 *                        folders, never another folder's experiment.ts (the registry is the list)
 *   experiments/registry.ts         the above; experiments/cli.ts, reports.ts: the registry too
 *
 * and nothing in impl/ imports experiments/, bench/, test/ or scripts/.
 * How: import specifiers parsed from source text (test/support/imports.ts),
 * resolved against the importing file; a fixture of bad imports shows the
 * rules can fail. No file is run.
 */
import { describe, expect, test } from "bun:test";
import { dirname, join, relative, resolve, sep } from "node:path";
import { importRefs, readSource, tsFilesUnder } from "./support/imports.ts";

const ROOT = resolve(import.meta.dir, "..");

/** The layer a repository path belongs to ("outside" for bench/, test/, scripts/, ...). */
function layerOf(path: string): string {
  const parts = relative(ROOT, path).split(sep);
  if (parts[0] === "impl") {
    if (parts.length === 2) return parts[1] === "index.ts" ? "impl-root" : "impl-other";
    return `impl/${parts[1]}`;
  }
  if (parts[0] === "experiments") {
    if (parts.length === 2) {
      if (parts[1] === "registry.ts") return "registry";
      if (parts[1] === "cli.ts" || parts[1] === "reports.ts") return "entry";
      return "experiments-other";
    }
    if (parts[1] === "runner" || parts[1] === "report" || parts[1] === "measure") return parts[1];
    return "experiment";
  }
  return "outside";
}

const IMPL_BELOW: Record<string, readonly string[]> = {
  "impl/core": [],
  "impl/alloc": ["impl/core"],
  "impl/queue": ["impl/core"],
  "impl/raft": ["impl/core", "impl/alloc", "impl/queue"],
  "impl/pipeline": ["impl/core", "impl/alloc", "impl/queue", "impl/raft"],
  "impl-root": ["impl/core", "impl/alloc", "impl/queue", "impl/raft", "impl/pipeline"],
};
const IMPL_ALL = Object.keys(IMPL_BELOW);

/** Layers each experiments layer may import (its own layer is always allowed). */
const EXPERIMENTS_MAY_IMPORT: Record<string, readonly string[]> = {
  measure: IMPL_ALL,
  runner: [...IMPL_ALL, "measure"],
  report: [...IMPL_ALL, "runner", "measure"],
  experiment: [...IMPL_ALL, "runner", "report", "measure"],
  registry: [...IMPL_ALL, "runner", "report", "experiment", "measure"],
  entry: [...IMPL_ALL, "runner", "report", "experiment", "registry", "measure"],
};

/** Why `from` may not import `to`, or null when it may. */
function violation(from: string, to: string, typeOnly: boolean): string | null {
  const a = layerOf(from);
  const b = layerOf(to);
  const rel = (p: string) => relative(ROOT, p);
  const what = `${rel(from)} (${a}) imports ${rel(to)} (${b})`;
  if (a.startsWith("impl") && !b.startsWith("impl"))
    return `${what}: nothing in impl/ imports experiments/, bench/, test/ or scripts/`;
  if (a.startsWith("impl/") || a === "impl-root") {
    if (a === b) return null;
    if (!(IMPL_BELOW[a] ?? []).includes(b))
      return `${what}: ${a} may import only ${(IMPL_BELOW[a] ?? []).join(", ") || "itself"}`;
    return null;
  }
  if (a === "outside" || a === "experiments-other" || a === "impl-other") return null;
  if (a === b) {
    // Experiment folders share helpers, but each experiment.ts is listed by the registry alone.
    if (a === "experiment" && dirname(from) !== dirname(to) && to.endsWith("experiment.ts"))
      return `${what}: only experiments/registry.ts lists experiments`;
    return null;
  }
  if (a === "runner" && b === "report" && typeOnly) return null;
  const allowed = EXPERIMENTS_MAY_IMPORT[a] ?? [];
  if (!allowed.includes(b)) return `${what}: ${a} may import only ${allowed.join(", ")}`;
  return null;
}

function projectImports(dir: string) {
  return tsFilesUnder(join(ROOT, dir)).flatMap((file) =>
    importRefs(readSource(file))
      .filter((r) => r.specifier.startsWith("."))
      .map((r) => ({ file, target: resolve(dirname(file), r.specifier), typeOnly: r.typeOnly })),
  );
}

describe("layering", () => {
  test("the rules can fail: a fixture of forbidden imports is refused, allowed ones pass", () => {
    const p = (s: string) => join(ROOT, s);
    const bad: [string, string, boolean][] = [
      ["impl/core/record.ts", "impl/queue/spsc.ts", false],
      ["impl/queue/workload-worker.ts", "impl/index.ts", false],
      ["impl/alloc/naive.ts", "impl/queue/spsc.ts", false],
      ["impl/raft/node.ts", "impl/pipeline/server.ts", false],
      ["impl/pipeline/server.ts", "experiments/registry.ts", false],
      ["experiments/runner/run.ts", "experiments/registry.ts", false],
      ["experiments/report/build.ts", "experiments/queue/experiment.ts", false],
      ["experiments/runner/types.ts", "experiments/report/section.ts", false],
      ["experiments/queue/experiment.ts", "experiments/registry.ts", false],
      ["experiments/spsc-misuse/experiment.ts", "experiments/queue/experiment.ts", false],
    ];
    for (const [from, to, typeOnly] of bad)
      expect({ from, to, refused: violation(p(from), p(to), typeOnly) !== null }).toEqual({
        from,
        to,
        refused: true,
      });
    const good: [string, string, boolean][] = [
      ["impl/queue/spsc.ts", "impl/core/record.ts", false],
      ["impl/pipeline/server.ts", "impl/queue/index.ts", false],
      ["experiments/runner/types.ts", "experiments/report/section.ts", true],
      ["experiments/spsc-misuse/experiment.ts", "experiments/queue/columns.ts", false],
      ["experiments/reports.ts", "experiments/registry.ts", false],
    ];
    for (const [from, to, typeOnly] of good)
      expect({ from, to, problem: violation(p(from), p(to), typeOnly) }).toEqual({
        from,
        to,
        problem: null,
      });
  });

  for (const dir of ["impl", "experiments"]) {
    test(`every import under ${dir}/ goes down the layers`, () => {
      const edges = projectImports(dir);
      expect(edges.length).toBeGreaterThan(50);
      const problems = edges
        .map((e) => violation(e.file, e.target, e.typeOnly))
        .filter((v): v is string => v !== null);
      expect(problems).toEqual([]);
    });
  }

  test("runner/ and report/ define no experiment (experiments live in experiments/<name>/)", () => {
    const libs = [
      ...tsFilesUnder(join(ROOT, "experiments/runner")),
      ...tsFilesUnder(join(ROOT, "experiments/report")),
    ];
    const defining = libs.filter((f) => /^export default defineExperiment\(/m.test(readSource(f)));
    expect(defining.map((f) => relative(ROOT, f))).toEqual([]);
  });
});
