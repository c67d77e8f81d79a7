/**
 * `bun run raft:election --help` (issue 8) and `bun run experiments NAME
 * --help` print that experiment's own help, built from its definition: its
 * name and description, every parameter with the values each profile sweeps,
 * and the claims it checks; the generic usage stays for a bare --help; an
 * unknown name with --help exits 2 naming the choices.
 * How: the package script and the CLI spawned for real; experimentHelp called
 * for every registered experiment.
 */
import { expect, test } from "bun:test";
import { join, resolve } from "node:path";
import { experiments } from "../experiments/registry.ts";
import { experimentHelp } from "../experiments/runner/help.ts";

const ROOT = resolve(import.meta.dir, "..");
const SPAWN_TIMEOUT_MS = 60_000;

function run(args: string[]) {
  const r = Bun.spawnSync([process.execPath, ...args], {
    cwd: ROOT,
    stdout: "pipe",
    stderr: "pipe",
  });
  return { code: r.exitCode, out: r.stdout.toString(), err: r.stderr.toString() };
}

test(
  "bun run raft:election --help is the experiment's help",
  () => {
    const r = run(["run", "raft:election", "--help"]);
    expect(r.code).toBe(0);
    expect(r.out).toContain("Usage: bun run experiments raft-election");
    expect(r.out).toContain("Figure 16");
    expect(r.out).toMatch(/timeoutMinMs\n\s+quick\s+150, 12/);
    expect(r.out).toContain("the median downtime is 287 ms");
  },
  SPAWN_TIMEOUT_MS,
);

test(
  "a bare --help is the generic usage; an unknown name with --help exits 2",
  () => {
    const cli = join(ROOT, "experiments", "cli.ts");
    expect(run([cli, "--help"]).out).toContain("bun run experiments [name...] [options]");
    const bad = run([cli, "no-such", "--help"]);
    expect(bad.code).toBe(2);
    expect(bad.err).toContain('unknown experiment "no-such"');
  },
  SPAWN_TIMEOUT_MS,
);

test("every registered experiment's help names each of its parameters", () => {
  for (const exp of experiments) {
    const help = experimentHelp(exp);
    expect(help).toContain(`${exp.name}: ${exp.description}`);
    for (const p of Object.keys(exp.paramsSchema.shape))
      expect({ exp: exp.name, p, shown: help.includes(`\n  ${p}\n`) }).toEqual({
        exp: exp.name,
        p,
        shown: true,
      });
  }
});
