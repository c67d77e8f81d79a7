/**
 * reports/index.html: one self-contained file, the same content as README.md
 * with every chart's SVG inline, styles inline, and no script, font, image or
 * stylesheet fetched from anywhere.
 */

import { escapeHtml } from "./format.ts";
import { claimsAtAGlance, metaLines, REPORT_TITLE } from "./markdown.ts";
import { RATIO_METHOD } from "./ratio.ts";
import type { Section, Table } from "./section.ts";

/** Inline `code` and **bold** from our own Markdown-ish strings, after escaping. */
function inline(text: string): string {
  return escapeHtml(text)
    .replace(/`([^`]+)`/g, "<code>$1</code>")
    .replace(/\*\*([^*]+)\*\*/g, "<strong>$1</strong>")
    .replace(/_([^_]+)_$/g, "<em>$1</em>");
}

function table(t: Table): string {
  const head = t.header.map((h) => `<th>${inline(h)}</th>`).join("");
  const body = t.rows
    .map((r) => `<tr>${r.map((c) => `<td>${inline(c)}</td>`).join("")}</tr>`)
    .join("\n");
  return `<table><caption>${inline(t.caption)}</caption><thead><tr>${head}</tr></thead><tbody>\n${body}\n</tbody></table>`;
}

/**
 * Makes the ids inside one SVG unique in the page (vega names clip paths
 * "clip1", "clip2" in every SVG; inlined side by side they would collide and
 * charts would clip to another chart's rectangle).
 */
export function prefixSvgIds(svg: string, prefix: string): string {
  return svg
    .replace(/\bid="([^"]+)"/g, `id="${prefix}-$1"`)
    .replace(/url\(#([^)]+)\)/g, `url(#${prefix}-$1)`)
    .replace(/href="#([^"]+)"/g, `href="#${prefix}-$1"`)
    .replace(/^<svg /, `<svg data-chart="${prefix}" `);
}

const STYLE = `
body { font-family: "DejaVu Sans", system-ui, sans-serif; margin: 2rem auto; max-width: 1100px; padding: 0 1rem; color: #222; }
table { border-collapse: collapse; margin: 0.5rem 0 1.5rem; font-size: 0.85rem; }
caption { text-align: left; font-weight: bold; padding: 0.3rem 0; }
th, td { border: 1px solid #ccc; padding: 0.25rem 0.5rem; text-align: left; vertical-align: top; }
th { background: #f3f3f3; }
figure { margin: 1rem 0 2rem; overflow-x: auto; }
figure svg { display: block; max-width: 100%; height: auto; }
figcaption { font-size: 0.9rem; color: #444; }
code { background: #f3f3f3; padding: 0 0.2rem; }
.missing { color: #777; font-style: italic; }
`;

function sectionHtml(s: Section, svgs: Map<string, string>): string {
  const out = [
    `<section id="${escapeHtml(s.experiment)}">`,
    `<h2>${escapeHtml(s.experiment)}</h2>`,
  ];
  out.push(`<p>${inline(s.description)}</p>`);
  if (s.status === "missing") {
    out.push(`<p class="missing">${escapeHtml(s.note)}</p>`, "</section>");
    return out.join("\n");
  }
  out.push(
    `<ul class="meta">${metaLines(s)
      .map((l) => `<li>${inline(l.replace(/^- /, ""))}</li>`)
      .join("")}</ul>`,
  );
  if (s.claims.length) {
    out.push(
      "<h3>Claims vs measurements</h3>",
      table({
        caption: "",
        header: [
          "claim",
          "source",
          "claimed",
          "measured (ratio: paired estimate, 95% CI; else median (min–max))",
          "verdict",
          "how to read it",
        ],
        rows: s.claims.map((c) => [
          c.text,
          c.source,
          c.claimed || "—",
          c.measured,
          c.verdict,
          c.interpretation,
        ]),
      }),
    );
  }
  if (s.findings.length)
    out.push(
      "<h3>Findings</h3>",
      `<ul>${s.findings.map((f) => `<li>${inline(f)}</li>`).join("")}</ul>`,
    );
  if (s.charts.length) out.push("<h3>Charts</h3>");
  for (const c of s.charts) {
    const id = `${s.experiment}-${c.name}`;
    const svg = svgs.get(id);
    if (!svg) throw new Error(`html: no SVG rendered for chart ${id}`);
    out.push(
      `<figure id="fig-${escapeHtml(id)}"><h4>${escapeHtml(c.title)}</h4>`,
      prefixSvgIds(svg, id),
      `<figcaption>${inline(c.caption)}</figcaption></figure>`,
    );
  }
  if (s.tables.length) out.push("<h3>Summary tables</h3>", ...s.tables.map(table));
  out.push("</section>");
  return out.join("\n");
}

/** The "Claims at a glance" table, as README.md has it. */
function glanceHtml(sections: readonly Section[]): string[] {
  const glance = claimsAtAGlance(sections);
  return glance ? ['<h2 id="claims-at-a-glance">Claims at a glance</h2>', table(glance)] : [];
}

/** The whole page; `svgs` maps "<experiment>-<chart name>" to its SVG text. */
export function buildHtml(
  sections: readonly Section[],
  svgs: Map<string, string>,
  resultsLabel: string,
  extraHtml = "",
): string {
  const toc = sections
    .map(
      (s) =>
        `<li><a href="#${escapeHtml(s.experiment)}">${escapeHtml(s.experiment)}</a>${s.status === "missing" ? " (no results)" : ""}</li>`,
    )
    .join("")
    .concat(extraHtml ? '<li><a href="#reproducibility">reproducibility</a></li>' : "");
  return [
    "<!doctype html>",
    '<html lang="en"><head><meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${REPORT_TITLE}</title>`,
    `<style>${STYLE}</style>`,
    "</head><body>",
    `<h1>${REPORT_TITLE}</h1>`,
    `<p>Generated by <code>bun run reports</code> from <code>${escapeHtml(resultsLabel)}</code> alone (nothing rerun).</p>`,
    `<p>${escapeHtml(RATIO_METHOD)}</p>`,
    `<nav><ul>${toc}</ul></nav>`,
    ...glanceHtml(sections),
    ...sections.map((s) => sectionHtml(s, svgs)),
    ...(extraHtml ? [extraHtml] : []),
    "</body></html>",
    "",
  ].join("\n");
}
