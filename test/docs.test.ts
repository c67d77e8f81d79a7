/**
 * What a reader of a clone is pointed at exists in the clone (issue 8):
 * every relative link in README.md and docs/*.md resolves to a file of the
 * repository (none leaves it, as the old ../shared/DESIGN.md link did), the
 * README links docs/architecture.md, no report claim cites DESIGN.md, and
 * each claim's source is a repository file or the published paper it quotes.
 * README's statement about capabilities matches the registry: queues declare
 * each capability it lists; allocators declare none, and it says so.
 * How: Markdown links and claim sources read as text; registrations listed
 * from the registry.
 */
import { expect, test } from "bun:test";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import "../impl/index.ts";
import { experiments } from "../experiments/registry.ts";
import { listImplementations } from "../impl/core/registry.ts";
import { readSource, tsFilesUnder } from "./support/imports.ts";

const ROOT = resolve(import.meta.dir, "..");
const DOCS = [
  "README.md",
  ...readdirSync(join(ROOT, "docs"))
    .filter((f) => f.endsWith(".md"))
    .map((f) => `docs/${f}`),
];

/** Relative link targets of a Markdown file: [text](target), anchors and URLs left out. */
function relativeLinks(markdown: string): string[] {
  return [...markdown.matchAll(/\]\(([^)\s]+)\)/g)]
    .map((m) => m[1]!.split("#")[0]!)
    .filter((t) => t !== "" && !/^[a-z]+:/.test(t));
}

test("every relative link in README.md and docs/ resolves to a file inside the repository", () => {
  for (const doc of DOCS) {
    for (const target of relativeLinks(readFileSync(join(ROOT, doc), "utf8"))) {
      const path = resolve(dirname(join(ROOT, doc)), target);
      const inside = !relative(ROOT, path).startsWith("..");
      expect({ doc, target, inside, exists: existsSync(path) }).toEqual({
        doc,
        target,
        inside: true,
        exists: true,
      });
    }
  }
});

test("README links the architecture document", () => {
  expect(relativeLinks(readFileSync(join(ROOT, "README.md"), "utf8"))).toContain(
    "docs/architecture.md",
  );
});

/** Claim sources in the experiment definitions and their report sections. */
function claimSources(): string[] {
  const fromDefinitions = experiments.flatMap((e) => e.claims.map((c) => c.source));
  const fromSections = tsFilesUnder(join(ROOT, "experiments")).flatMap((f) =>
    [...readSource(f).matchAll(/\bsource:\s*"([^"]+)"/g)].map((m) => m[1]!),
  );
  return [...fromDefinitions, ...fromSections];
}

test("report claims cite a repository file or the published paper, never DESIGN.md", () => {
  const sources = claimSources();
  expect(sources.length).toBeGreaterThan(5);
  for (const source of sources) {
    const file = /^([\w./-]+\.(?:md|ts)):/.exec(source)?.[1];
    const paper = /Ongaro and Ousterhout/.test(source);
    expect({
      source,
      cites: paper || (file !== undefined && existsSync(join(ROOT, file))),
    }).toEqual({ source, cites: true });
    expect(source).not.toContain("DESIGN.md");
  }
  const report = readFileSync(join(ROOT, "reports", "README.md"), "utf8");
  expect({ reportCitesDesignMd: report.includes("DESIGN.md") }).toEqual({
    reportCitesDesignMd: false,
  });
});

test("README's capabilities: every queue capability is listed, allocators declare none", () => {
  const readme = readFileSync(join(ROOT, "README.md"), "utf8");
  for (const reg of listImplementations("queue"))
    for (const cap of Object.keys(reg.capabilities)) expect(readme).toContain(`\`${cap}\``);
  for (const reg of listImplementations("allocator")) expect("capabilities" in reg).toBe(false);
  expect(readme).toContain("allocators declare no capabilities");
});
