/**
 * One color per implementation, the same in every chart: a fixed
 * name -> color map (Tableau 10 hues, each used once), applied as an explicit scale domain and
 * range so a chart showing only some implementations keeps their colors.
 * Names not listed (a new implementation) get a grey, loudly different, until
 * they are added here.
 */

export const IMPLEMENTATION_COLORS: Readonly<Record<string, string>> = {
  // allocators
  naive: "#4e79a7",
  "array-pool": "#f28e2b",
  slab: "#59a14f",
  // queues
  "message-port": "#76b7b2",
  mutex: "#e15759",
  spsc: "#b07aa1",
  "fan-in": "#9c755f",
  "message-port-object": "#edc948",
  // baselines outside eventlab
  "redis-xadd": "#ff9da7",
  // pipeline topologies without a queue (pipeline-goodput)
  compact: "#17becf",
  "compact (unpinned)": "#0e6f7a",
  // commit stages (pipeline-commit; Tableau 20 light hues)
  immediate: "#a0cbe8",
  "raft-fsync": "#ffbe7d",
  "raft-nofsync": "#8cd17d",
  etcd: "#d4a6c8",
  // bus lanes
  REALTIME: "#86bcb6",
  TRANSACTIONAL: "#ff9d9a",
  BATCH: "#f1ce63",
  // the Raft cluster (raft-commit; Tableau 20 shades, unused above)
  eventlab: "#2f4b7c",
  "eventlab (no fsync)": "#b6992d",
};

export const UNKNOWN_COLOR = "#bab0ac";

/** Wait strategies are a second dimension: a fixed dash pattern each. */
export const WAIT_STRATEGY_DASHES: Readonly<Record<string, number[]>> = {
  spin: [1, 0],
  "spin-then-park": [6, 3],
  park: [2, 2],
};

export function colorOf(name: string): string {
  return IMPLEMENTATION_COLORS[name] ?? UNKNOWN_COLOR;
}

/** A Vega-Lite color scale for the implementations present, in a stable order. */
export function implementationScale(present: readonly string[]): {
  domain: string[];
  range: string[];
} {
  const known = Object.keys(IMPLEMENTATION_COLORS).filter((n) => present.includes(n));
  const unknown = present.filter((n) => !(n in IMPLEMENTATION_COLORS)).sort();
  const domain = [...known, ...unknown];
  return { domain, range: domain.map(colorOf) };
}
