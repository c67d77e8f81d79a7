/**
 * Every registered experiment runs its own smoke points (Experiment.smoke,
 * declared beside its definition) against the real implementations and
 * returns rows its rowSchema accepts (so a changed implementation or workload
 * cannot silently break a column) that pass the experiment's own check; the
 * grids of both profiles validate and expand. The list is the registry: a new
 * experiment is covered by adding it there, and one without smoke points fails.
 * How: each experiment's run() called inline on its tiny points (thousands of
 * events, a few hundred ms), then rowSchema.parse on every full row and
 * smoke.check on all of them. No timing is asserted.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { experiments } from "../experiments/registry.ts";
import { expandGrid } from "../experiments/runner/grid.ts";
import type { Experiment, Profile, RunColumns } from "../experiments/runner/types.ts";

/** Each test starts Workers, processes or servers; room for a loaded 2-core machine. */
const RUN_TIMEOUT_MS = 90_000;
const SMOKE_SEED = 7;

/** Every full row (params + run columns + measured) of one point, validated by rowSchema. */
async function runPoint(exp: Experiment, point: Record<string, unknown>) {
  const parsedPoint = exp.paramsSchema.parse(point);
  expect(exp.include ? exp.include(parsedPoint) : true).toBe(true);
  const measured = await exp.run(parsedPoint, {
    seed: SMOKE_SEED,
    repeat: 0,
    profile: "quick",
    signal: new AbortController().signal,
  });
  const list = Array.isArray(measured) ? measured : [measured];
  return list.map(
    (m) =>
      exp.rowSchema.parse({ ...parsedPoint, repeat: 0, seed: SMOKE_SEED, ...m }) as Record<
        string,
        unknown
      > &
        RunColumns,
  );
}

describe("experiment grids", () => {
  for (const exp of experiments) {
    for (const profile of ["quick", "full"] as Profile[]) {
      test(`${exp.name} ${profile} grid validates and expands to points with nothing unregistered`, () => {
        const grid = expandGrid(exp, profile);
        expect(grid.points.length).toBeGreaterThan(0);
        expect(grid.skipped.filter((s) => s.reason.includes("not registered"))).toEqual([]);
      });
    }
  }
});

describe("each experiment's smoke points", () => {
  // Servers some experiments keep between inline points (raft-commit's clusters): bun test runs no exit hooks.
  afterAll(async () => {
    for (const exp of experiments) await exp.teardown?.();
  });
  for (const exp of experiments) {
    test(
      `${exp.name}: tiny points give valid rows that pass its check`,
      async () => {
        expect(exp.smoke?.points.length ?? 0).toBeGreaterThan(0);
        const rows: (Record<string, unknown> & RunColumns)[] = [];
        for (const point of exp.smoke!.points) rows.push(...(await runPoint(exp, point)));
        expect(rows.length).toBeGreaterThanOrEqual(exp.smoke!.points.length);
        expect(exp.smoke!.check ? exp.smoke!.check(rows) : []).toEqual([]);
      },
      RUN_TIMEOUT_MS,
    );
  }
});
