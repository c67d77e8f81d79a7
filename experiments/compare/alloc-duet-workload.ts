/**
 * Duet workload of an allocator row of `compare --base`: runs in a duet
 * Worker (experiments/measure/duet-worker.ts), loads one tree's allocators
 * (base or head) and times them with the head's loop (measureNsPerOp). One
 * Worker per side keeps each loop monomorphic to its own allocator class, so
 * neither side pays for the other's code in shared inline caches.
 */

import type { DuetWorkload } from "../measure/duet-protocol.ts";
import { measureNsPerOp } from "./alloc.ts";
import { loadImplTree } from "./base-sides.ts";

export interface AllocDuetParams {
  root: string;
  name: string;
  recordBytes: 32 | 64 | 128 | 256;
  liveEvents: number;
  capacity: number;
  opsPerTrial: number;
  opsPerChunk: number;
  seed: number;
}

export async function allocWorkload(params: unknown): Promise<DuetWorkload> {
  const p = params as AllocDuetParams;
  const tree = await loadImplTree(p.root);
  const make = () =>
    tree.createAllocator(p.name, { recordBytes: p.recordBytes, capacity: p.capacity });
  return {
    warmupChunk: () => 1e9 / measureNsPerOp(make(), p.seed, p.opsPerChunk, p.liveEvents),
    // The same seed on both sides of a block: base and head release the same slots.
    trial: (block) =>
      measureNsPerOp(
        make(),
        (p.seed + Math.imul(block + 1, 7919)) >>> 0,
        p.opsPerTrial,
        p.liveEvents,
      ),
  };
}
