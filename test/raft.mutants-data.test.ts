/**
 * The mutation check's data (scripts/mutants/raft.json, run by `bun run
 * raft:mutants`): every mutant still applies, i.e. each edit's search text
 * occurs exactly once in its impl/raft file and the replacement differs. A
 * refactor of the node that silently turned a mutant into a no-op would
 * make raft:mutants report a bug "found" that was never injected, or fail
 * with "occurs 0 times"; this test names the mutant first. The fuzz runs on
 * mutants only in `bun run raft:mutants` (too slow for the default tests).
 */
import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";

const ROOT = join(import.meta.dir, "..");
const data = JSON.parse(readFileSync(join(ROOT, "scripts/mutants/raft.json"), "utf8")) as {
  mutants: Array<{ name: string; file: string; edits: Array<{ search: string; replace: string }> }>;
};

describe("raft mutants data", () => {
  test("at least the eight bug classes of issue 12, with distinct names", () => {
    expect(data.mutants.length).toBeGreaterThanOrEqual(8);
    expect(new Set(data.mutants.map((m) => m.name)).size).toBe(data.mutants.length);
  });

  for (const m of data.mutants) {
    test(`${m.name}: every edit applies exactly once to ${m.file}`, () => {
      expect(m.file.startsWith("impl/raft/")).toBe(true);
      const text = readFileSync(join(ROOT, m.file), "utf8");
      for (const e of m.edits) {
        expect(text.split(e.search).length - 1).toBe(1);
        expect(e.replace).not.toBe(e.search);
      }
    });
  }
});
