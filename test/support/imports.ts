/**
 * Import specifiers parsed from TypeScript source text, for the tests that
 * keep the architecture's import rules (test/layering.test.ts,
 * test/raft.imports.test.ts). Covers static imports and re-exports (with
 * whether they are type-only), side-effect imports, dynamic import(),
 * require() and `new URL("./x.ts", import.meta.url)` (how Worker and process
 * entry files are loaded).
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";

export interface ImportRef {
  specifier: string;
  /** `import type ...` / `export type ...`: erased at runtime. */
  typeOnly: boolean;
}

const PATTERNS: readonly [RegExp, boolean][] = [
  [/\b(import|export)\s+type\s[^;"']*?\bfrom\s*["']([^"']+)["']/g, true],
  [/\b(import|export)\s(?!type\s)[^;"']*?\bfrom\s*["']([^"']+)["']/g, false],
  [/\b(import)\s*["']([^"']+)["']/g, false],
  [/\b(import)\s*\(\s*["']([^"']+)["']\s*\)/g, false],
  [/\b(require)\s*\(\s*["']([^"']+)["']\s*\)/g, false],
  [/\bnew (URL)\(\s*["'](\.[^"']+)["']\s*,\s*import\.meta\.url/g, false],
];

/** Every module reference in `source`. */
export function importRefs(source: string): ImportRef[] {
  const out: ImportRef[] = [];
  for (const [re, typeOnly] of PATTERNS)
    for (const m of source.matchAll(re)) out.push({ specifier: m[2]!, typeOnly });
  return out;
}

/** Every module specifier in `source` (type-only or not). */
export function importSpecifiers(source: string): string[] {
  return importRefs(source).map((r) => r.specifier);
}

/** Every .ts file under `dir`, recursively. */
export function tsFilesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    if (statSync(p).isDirectory()) return tsFilesUnder(p);
    return p.endsWith(".ts") ? [p] : [];
  });
}

export function readSource(path: string): string {
  return readFileSync(path, "utf8");
}
