/**
 * The font every chart names, and the family resvg maps generic families to.
 * Its own file so chart builders (loaded by experiment modules, also inside
 * isolated workers) do not pull in vega and resvg through render.ts.
 */
export const CHART_FONT_FAMILY = "DejaVu Sans";
