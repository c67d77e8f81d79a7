/**
 * The order in which contenders' trials run: randomized multiple interleaved
 * trials (Abedi and Brecht, ICPE 2017). Trials run in blocks; each block runs
 * every contender once, so contender i's trial in block b sits next to the
 * others' trials of block b and a ratio can be formed inside the block.
 *
 * Balanced, not just shuffled: blocks come in rounds of k (k contenders), and
 * a round is a random Latin square, so over a round every contender takes
 * every position exactly once. A plain shuffle would, by chance, let one
 * contender run first (right after a warm-up, or right after the other one
 * heated the caches) more often than the others, and position effects are
 * real on a shared machine. The randomness comes only from the seeded Rng.
 */
import { Rng } from "../../impl/core/rng.ts";

/** Upper bound on blocks in one schedule: a sanity limit, far above any run. */
export const MAX_BLOCKS = 100_000;
/** Upper bound on contenders interleaved in one schedule. */
export const MAX_CONTENDERS = 64;

/** Fisher-Yates shuffle of 0..n-1 from the given generator. */
export function randomPermutation(n: number, rng: Rng): number[] {
  const p = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    const t = p[i]!;
    p[i] = p[j]!;
    p[j] = t;
  }
  return p;
}

/**
 * One round of k blocks: the cyclic Latin square (row r, position c holds
 * (r + c) mod k) with rows, positions and symbols each relabelled by a random
 * permutation. Every contender appears once per block and once per position.
 */
function latinRound(k: number, rng: Rng): number[][] {
  const rows = randomPermutation(k, rng);
  const cols = randomPermutation(k, rng);
  const symbols = randomPermutation(k, rng);
  return rows.map((r) => cols.map((c) => symbols[(r + c) % k]!));
}

/**
 * `blocks` blocks of a seeded, balanced interleaving of `contenders`
 * contenders: result[b] is the order (contender indices) of block b. When
 * blocks is a multiple of contenders, every contender holds every position
 * equally often; otherwise the last, partial round is as balanced as a
 * partial Latin square allows (each position at most one more for any).
 */
export function interleavedSchedule(contenders: number, blocks: number, seed: number): number[][] {
  if (!Number.isInteger(contenders) || contenders < 1 || contenders > MAX_CONTENDERS)
    throw new RangeError(
      `contenders must be an integer in [1, ${MAX_CONTENDERS}], got ${contenders}`,
    );
  if (!Number.isInteger(blocks) || blocks < 1 || blocks > MAX_BLOCKS)
    throw new RangeError(`blocks must be an integer in [1, ${MAX_BLOCKS}], got ${blocks}`);
  const rng = new Rng(seed);
  const out: number[][] = [];
  while (out.length < blocks) {
    for (const block of latinRound(contenders, rng)) {
      if (out.length === blocks) break;
      out.push(block);
    }
  }
  return out;
}
