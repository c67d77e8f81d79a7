/**
 * Chart rendering without a browser: Vega-Lite spec -> Vega spec (vega-lite
 * compile) -> SVG (a vega View with renderer "none", toSVG) -> PNG (resvg,
 * with fonts loaded from a directory we found, so axis text shows).
 *
 * A PNG without text is worse than no PNG: when no usable font is found,
 * findFontDir throws instead of letting resvg draw empty labels.
 */
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { Resvg } from "@resvg/resvg-js";
import * as vega from "vega";
import * as vl from "vega-lite";
import { CHART_FONT_FAMILY } from "./font.ts";

/** Where Debian's fonts-dejavu-core puts it, then other common places. */
export const FONT_DIR_CANDIDATES = [
  "/usr/share/fonts/truetype/dejavu",
  "/usr/share/fonts/dejavu",
  "/usr/share/fonts/TTF",
  "/usr/local/share/fonts",
];

export class FontError extends Error {
  override name = "FontError";
}

/**
 * A directory holding DejaVuSans.ttf: $EVENTLAB_FONT_DIR when set, else the
 * first candidate. Throws FontError saying how to install one.
 */
export function findFontDir(env: Record<string, string | undefined> = process.env): string {
  const override = env.EVENTLAB_FONT_DIR;
  const candidates = override ? [override] : FONT_DIR_CANDIDATES;
  for (const dir of candidates) {
    if (!existsSync(dir)) continue;
    if (readdirSync(dir).some((f) => /^DejaVuSans\.(ttf|otf)$/i.test(f))) return dir;
  }
  throw new FontError(
    `no chart font found: looked for DejaVuSans.ttf in ${candidates.join(", ")}. ` +
      "PNG charts would have no text. Install one (Debian: apt-get install -y fonts-dejavu-core, " +
      "which .ci/install-extras does) or set EVENTLAB_FONT_DIR to a directory holding DejaVuSans.ttf.",
  );
}

/**
 * Vega-Lite warnings we know to be harmless here: faceted bar charts resolve x
 * per panel, and the bar and error-bar layers read the same field from two
 * forks of the same inline data, which vega-lite cannot tell apart.
 */
const EXPECTED_WARNINGS = [/faceted independent scales that union domain of the same fields/];

/** Forwards vega-lite's warnings and errors to stderr, minus the expected ones. */
const compileLogger = vega.logger(vega.Warn, undefined, (method, _level, args) => {
  const text = args.map(String).join(" ");
  if (method === "warn" && EXPECTED_WARNINGS.some((re) => re.test(text))) return;
  console.error(`vega-lite ${method}: ${text}`);
});

/** Compiles a Vega-Lite spec to a Vega spec (throws on an invalid spec). */
export function compileSpec(spec: vl.TopLevelSpec): vega.Spec {
  return vl.compile(spec, { logger: compileLogger }).spec;
}

/** Renders a Vega-Lite spec to SVG text, headless. */
export async function renderSvg(spec: vl.TopLevelSpec): Promise<string> {
  const view = new vega.View(vega.parse(compileSpec(spec)), { renderer: "none" });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** Rasterises SVG text to PNG bytes at `scale`x, with the fonts in `fontDir` only (reproducible). */
export function svgToPng(svg: string, fontDir: string, scale = 2): Uint8Array {
  const resvg = new Resvg(svg, {
    fitTo: { mode: "zoom", value: scale },
    background: "white",
    font: {
      loadSystemFonts: false,
      fontDirs: [fontDir],
      defaultFontFamily: CHART_FONT_FAMILY,
      sansSerifFamily: CHART_FONT_FAMILY,
      serifFamily: CHART_FONT_FAMILY,
      monospaceFamily: CHART_FONT_FAMILY,
    },
  });
  return resvg.render().asPng();
}

/**
 * Counts drawn data marks in a vega SVG: elements inside `role-mark` groups
 * (not axes, legends or titles) with a real geometry. A bar of zero height
 * ("...v0h...") or a NaN coordinate (a log scale fed a 0) counts as not drawn,
 * so a chart that silently lost its data scores 0.
 */
export function countSvgMarks(svg: string): number {
  let count = 0;
  for (const group of svg.matchAll(/<g class="mark-\w+ role-mark[^"]*"[^>]*>(.*?)<\/g>/gs)) {
    for (const el of group[1]!.matchAll(/<(path|line)\b[^>]*>/g)) {
      const d = /\bd="([^"]*)"/.exec(el[0])?.[1] ?? "";
      if (/NaN|Infinity/.test(el[0])) continue;
      if (el[1] === "path" && /^M[-\d.e]+,[-\d.e]+h[-\d.e]+v0h/.test(d)) continue;
      count++;
    }
  }
  return count;
}

/** Where a chart's three files go: <dir>/<name>.vl.json, .svg, .png. */
export function chartPaths(dir: string, name: string): { spec: string; svg: string; png: string } {
  return {
    spec: join(dir, `${name}.vl.json`),
    svg: join(dir, `${name}.svg`),
    png: join(dir, `${name}.png`),
  };
}
