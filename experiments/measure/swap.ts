/**
 * The swap design of a duet session: both Workers run both sides, in turn.
 *
 * Why: two fresh Workers running the SAME array-pool code differed by up to
 * 2x for their whole life on this 2-core machine, while the pairs inside a
 * session agreed closely. With one side per Worker (the "split" design) that
 * per-Worker factor lands whole in the session's ratio, and only more
 * sessions average it out. Here the blocks of a session come in swap units
 * of two: in one block Worker 0 runs side a and Worker 1 side b, in the next
 * they trade. If Worker w multiplies every time it measures by f_w, the
 * unit's ratio (the geometric mean of its two blocks' ratios) is
 * sqrt((f_1 b / f_0 a) (f_0 b / f_1 a)) = b / a: the factor cancels inside
 * the unit. It does not cancel if the factor belongs to a (Worker, side)
 * combination, e.g. to one module instance's JIT state in that Worker.
 *
 * Which side Worker 0 runs first in each unit is a seeded balanced order
 * (half the units each way), so a first-block-of-the-unit effect cancels
 * too. Pure functions, seeded; duet Workers call swapSideOf to know which
 * side a trial is.
 */
import { pairedRatios } from "./estimate.ts";
import { interleavedSchedule } from "./schedule.ts";

/** Blocks per swap unit: one with each side in each Worker. */
export const SWAP_UNIT_BLOCKS = 2;

/** unitFirst[u]: the side (0 or 1) Worker 0 runs in the first block of unit u; seeded, balanced. */
export function swapUnitOrder(units: number, seed: number): number[] {
  return interleavedSchedule(2, units, seed).map((b) => b[0]!);
}

/** The side (0 or 1) that Worker `worker` runs in block `block`. */
export function swapSideOf(worker: number, block: number, unitFirst: readonly number[]): number {
  const unit = Math.floor(block / SWAP_UNIT_BLOCKS);
  const first = unitFirst[unit];
  if (first === undefined)
    throw new RangeError(`block ${block} is past the last swap unit (${unitFirst.length} units)`);
  return (first + block + worker) & 1;
}

/**
 * Per-side figures from the two Workers' per-block values: bySide[s][b] is
 * side s's figure in block b, whichever Worker measured it.
 */
export function swapBySide(
  values: readonly [readonly number[], readonly number[]],
  unitFirst: readonly number[],
): [number[], number[]] {
  const blocks = values[0].length;
  const out: [number[], number[]] = [new Array(blocks), new Array(blocks)];
  for (let b = 0; b < blocks; b++)
    for (const w of [0, 1]) out[swapSideOf(w, b, unitFirst)]![b] = values[w]![b]!;
  return out;
}

/**
 * One ratio per swap unit: the geometric mean of its two blocks' paired
 * ratios of `contender` against `baseline` (per-block figures of each side),
 * oriented as pairedRatios (> 1 means the contender is better). A unit with a
 * failed trial (NaN) is dropped whole, so every ratio kept is balanced.
 */
export function swapUnitRatios(
  contender: readonly number[],
  baseline: readonly number[],
  higherIsBetter: boolean,
): number[] {
  const out: number[] = [];
  for (let b = 0; b + 1 < contender.length; b += SWAP_UNIT_BLOCKS) {
    const r = pairedRatios(contender.slice(b, b + 2), baseline.slice(b, b + 2), higherIsBetter);
    if (r.length === 2) out.push(Math.sqrt(r[0]! * r[1]!));
  }
  return out;
}
