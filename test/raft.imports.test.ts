/**
 * Checks the purity rule for the Raft node (issue 4): files directly under
 * impl/raft/ (not impl/raft/sim/) import only from impl/core and impl/raft,
 * and mention no clock, timer, randomness or Bun API. Import specifiers are
 * parsed from the source text (static imports, re-exports, dynamic imports,
 * require; test/support/imports.ts), so a new file or a new import is checked
 * without editing this test. The layers of the rest of the code: layering.test.ts.
 */
import { describe, expect, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { importSpecifiers } from "./support/imports.ts";

const ROOT = resolve(import.meta.dir, "..");
const RAFT_DIR = join(ROOT, "impl", "raft");
const ALLOWED = [join(ROOT, "impl", "core"), RAFT_DIR];

const nodeFiles = readdirSync(RAFT_DIR)
  .filter((f) => f.endsWith(".ts"))
  .map((f) => join(RAFT_DIR, f));

describe("raft node imports", () => {
  test("the parser finds specifiers of every form", () => {
    const src = `import { a } from "./a.ts";\nimport type {\n b,\n} from '../core/b.ts';\nexport * from "./c.ts";\nimport "./d.ts";\nconst e = await import("node:fs");\nrequire("bun");`;
    expect(importSpecifiers(src).sort()).toEqual(
      ["../core/b.ts", "./a.ts", "./c.ts", "./d.ts", "bun", "node:fs"].sort(),
    );
  });

  test("there are node files to check", () => {
    expect(nodeFiles.map((f) => relative(RAFT_DIR, f))).toContain("node.ts");
  });

  for (const file of nodeFiles) {
    test(`${relative(ROOT, file)} imports only impl/core and impl/raft`, () => {
      const src = readFileSync(file, "utf8");
      for (const spec of importSpecifiers(src)) {
        expect({ spec, relative: spec.startsWith(".") }).toEqual({ spec, relative: true });
        const target = resolve(dirname(file), spec);
        const inside = ALLOWED.some((dir) => target.startsWith(`${dir}/`));
        const inSim = target.startsWith(`${join(RAFT_DIR, "sim")}/`);
        expect({ spec, allowed: inside && !inSim }).toEqual({ spec, allowed: true });
      }
    });

    test(`${relative(ROOT, file)} uses no clock, timer, randomness or Bun API`, () => {
      const code = stripComments(readFileSync(file, "utf8"));
      const banned =
        /\b(Date\.now|new Date|performance\.now|Math\.random|setTimeout|setInterval|setImmediate|Bun\.|process\.|crypto\.)/;
      expect(code.match(banned)?.[0] ?? null).toBeNull();
    });
  }
});

function stripComments(src: string): string {
  return src.replace(/\/\*[\s\S]*?\*\//g, "").replace(/(^|[^:])\/\/.*$/gm, "$1");
}
