/**
 * `bun run compare:power --spread N`: how much of the allocator rows'
 * between-session spread each duet design leaves, measured HEAD against
 * HEAD in one run. Rounds rotate four variants (design split: one side per
 * Worker, or swap: both Workers run both sides in turn; harness: a fresh
 * allocator per trial, or one kept per side with a full GC before each
 * trial), N sessions of each in all, so all see the same machine. Per
 * variant and row it prints the
 * standard deviation of the per-session mean log ratio (what the session
 * interval's width grows with), the median session half-width it implies
 * for compare's default sessions, and, for swap, the spread of the
 * per-Worker factor the swap cancels (half the log difference between the
 * units' two orientations): if that factor is as large as split's session
 * spread, the slow mode belongs to the Worker; if swap's spread stays near
 * split's, it belongs to (Worker, module instance) and does not cancel.
 */
import { loadavg } from "node:os";
import { DEFAULT_BASE_SIZES, MAX_WARMUP_CHUNKS } from "../experiments/compare/base-main.ts";
import {
  type BaseTrialSizes,
  baseHeadSides,
  loadImplTree,
  planBaseRows,
} from "../experiments/compare/base-sides.ts";
import {
  type BaseHeadRowResult,
  type DuetDesign,
  runBaseHead,
} from "../experiments/measure/base-head.ts";
import { pairedRatios } from "../experiments/measure/estimate.ts";
import { swapUnitRatios } from "../experiments/measure/swap.ts";
import { withWorktree } from "../experiments/measure/worktree.ts";

/** A duet design with a harness setting (allocator per trial or kept; GC before trials). */
interface Variant {
  label: string;
  design: DuetDesign;
  sizes: Partial<BaseTrialSizes>;
}
const OLD_HARNESS = { allocAllocatorPerTrial: true, allocGcBeforeTrial: false };
const NEW_HARNESS = { allocAllocatorPerTrial: false, allocGcBeforeTrial: true };
export const SPREAD_VARIANTS: readonly Variant[] = [
  { label: "split, allocator per trial", design: "split", sizes: OLD_HARNESS },
  { label: "swap, allocator per trial", design: "swap", sizes: OLD_HARNESS },
  { label: "split, kept allocator + GC", design: "split", sizes: NEW_HARNESS },
  { label: "swap, kept allocator + GC", design: "swap", sizes: NEW_HARNESS },
];

/** Sessions per variant in one round (rounds rotate the variants' order). */
const SESSIONS_PER_ROUND = 4;
/** Rows measured: array-pool (the wide one) and naive (the narrow one, for scale). */
const SPREAD_ROWS = ["array-pool", "naive"];

interface SessionStat {
  meanLog: number;
  /** Swap only: half the log difference of the two orientations (Worker 0 ran head vs base). */
  workerLog?: number;
}

const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const sd = (xs: readonly number[]) => {
  const m = mean(xs);
  return Math.sqrt(xs.reduce((a, x) => a + (x - m) ** 2, 0) / Math.max(1, xs.length - 1));
};

/** Per-session statistics of one row result, read the way base-head.ts forms its ratios. */
export function sessionStats(r: BaseHeadRowResult): SessionStat[] {
  const out: SessionStat[] = [];
  for (const s of new Set(r.session)) {
    const idx = r.session.flatMap((x, i) => (x === s ? [i] : []));
    const head = idx.map((i) => r.head[i]!);
    const base = idx.map((i) => r.base[i]!);
    if (r.design !== "swap") {
      const ratios = pairedRatios(head, base, r.row.higherIsBetter);
      if (ratios.length) out.push({ meanLog: mean(ratios.map(Math.log)) });
      continue;
    }
    const units = swapUnitRatios(head, base, r.row.higherIsBetter);
    const perBlock = idx.map((i) => ({
      w: r.headWorker![i]!,
      l: Math.log(pairedRatios([r.head[i]!], [r.base[i]!], r.row.higherIsBetter)[0] ?? Number.NaN),
    }));
    const by = (w: number) => mean(perBlock.filter((x) => x.w === w).map((x) => x.l));
    if (units.length)
      out.push({ meanLog: mean(units.map(Math.log)), workerLog: (by(0) - by(1)) / 2 });
  }
  return out;
}

export async function spreadMain(sessions: number, seed: number, root: string): Promise<number> {
  const rounds = Math.ceil(sessions / SESSIONS_PER_ROUND);
  const stats = new Map<string, SessionStat[]>();
  const loads: number[] = [loadavg()[0]!];
  const t0 = Date.now();
  console.log(
    `compare:power --spread: ${rounds} rounds x ${SESSIONS_PER_ROUND} sessions per variant, rows ${SPREAD_ROWS.join(", ")}, seed ${seed}, load ${loads[0]!.toFixed(2)}`,
  );
  await withWorktree(
    "HEAD",
    async (wt) => {
      const trees = { base: await loadImplTree(wt.dir), head: await loadImplTree(root) };
      const rows = planBaseRows(trees.base, trees.head, DEFAULT_BASE_SIZES).rows.filter((r) =>
        SPREAD_ROWS.includes(r.id),
      );
      for (let round = 0; round < rounds; round++) {
        const n = SPREAD_VARIANTS.length;
        const order = SPREAD_VARIANTS.map((_, i) => SPREAD_VARIANTS[(i + round) % n]!);
        for (const v of order) {
          const s = (seed + Math.imul(round + 1, 0x9e3779b9)) >>> 0;
          const rep = await runBaseHead(
            rows,
            baseHeadSides(trees, { ...DEFAULT_BASE_SIZES, ...v.sizes }, s),
            {
              sessions: SESSIONS_PER_ROUND,
              pairsPerSession: 3,
              seed: s,
              threshold: 0.05,
              design: v.design,
              warmup: { maxChunks: MAX_WARMUP_CHUNKS },
            },
            { baseRef: "HEAD", baseCommit: wt.commit, headCommit: wt.commit },
          );
          for (const r of rep.rows) {
            const key = `${r.row.id}|${v.label}`;
            stats.set(key, [...(stats.get(key) ?? []), ...sessionStats(r)]);
          }
          loads.push(loadavg()[0]!);
        }
        console.log(`  round ${round + 1}/${rounds} done, load ${loadavg()[0]!.toFixed(2)}`);
      }
    },
    { repoDir: root, log: (l) => console.log(`  ${l}`) },
  );
  console.log(
    `\nHEAD vs HEAD, ${rounds * SESSIONS_PER_ROUND} sessions per variant (3 pairs each; a swap pair is two blocks), variants rotated per round; load average (1 min) ${Math.min(...loads).toFixed(1)}-${Math.max(...loads).toFixed(1)}; ${((Date.now() - t0) / 1000).toFixed(0)} s.\n`,
  );
  console.log(
    "| row | design, harness | sessions | sd of session mean log ratio | per-Worker factor sd (log) |",
  );
  console.log("| --- | --- | --- | --- | --- |");
  for (const id of SPREAD_ROWS)
    for (const v of SPREAD_VARIANTS) {
      const st = stats.get(`${id}|${v.label}`) ?? [];
      const w = st.flatMap((x) => (x.workerLog === undefined ? [] : [x.workerLog]));
      console.log(
        `| ${id} | ${v.label} | ${st.length} | ${sd(st.map((x) => x.meanLog)).toFixed(3)} | ${w.length ? sd(w).toFixed(3) : "—"} |`,
      );
    }
  return 0;
}
