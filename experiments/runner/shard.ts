/**
 * Sharding: `--shard i/n` (0-based: i in 0..n-1) runs the grid points whose
 * global index is congruent to i modulo n, so n shards together run every
 * point exactly once, whatever the grid's order.
 */
import type { Shard } from "./meta.ts";

/** Named maximum on the shard count. */
export const MAX_SHARDS = 1024;

/** Parses "i/n"; returns an error message naming the value on bad input. */
export function parseShard(text: string): Shard | string {
  const m = /^(\d+)\/(\d+)$/.exec(text.trim());
  if (!m) return `--shard expects i/n with 0 <= i < n (0-based), e.g. 0/4; got "${text}"`;
  const index = Number(m[1]);
  const count = Number(m[2]);
  if (count < 1 || count > MAX_SHARDS)
    return `--shard ${text}: n must be between 1 and ${MAX_SHARDS}`;
  if (index >= count)
    return `--shard ${text}: i must be below n (shards are 0-based: 0/${count} .. ${count - 1}/${count})`;
  return { index, count };
}

/** The global indices of the points that `shard` runs (all of them when shard is null). */
export function shardIndices(pointCount: number, shard: Shard | null): number[] {
  const out: number[] = [];
  const start = shard ? shard.index : 0;
  const step = shard ? shard.count : 1;
  for (let i = start; i < pointCount; i += step) out.push(i);
  return out;
}
