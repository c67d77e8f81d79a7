/**
 * The allocators, registered by name at import (impl/core/registry.ts):
 * "naive", "array-pool", "slab".
 */
import type { Allocator } from "../core/contracts.ts";
import { register } from "../core/registry.ts";
import { ArrayPool } from "./array-pool.ts";
import { NaiveAllocator } from "./naive.ts";
import { SlabAllocator } from "./slab.ts";

register({
  kind: "allocator",
  name: "naive",
  description: "a new event object per acquire; release leaves it to the garbage collector",
  create: (c) => new NaiveAllocator(c.recordBytes) as Allocator,
});

register({
  kind: "allocator",
  name: "array-pool",
  description:
    "preallocated event objects and a free-index stack; any release order; refuses misuse",
  create: (c) => new ArrayPool(c.recordBytes, c.capacity, c.onExhausted) as Allocator,
});

register({
  kind: "allocator",
  name: "slab",
  description:
    "records in a SharedArrayBuffer as u32 handles; per-producer shares and return rings",
  create: (c) => new SlabAllocator(c) as Allocator,
});

export { ARRAY_POOL_MAX_OBJECTS, ArrayPool, PooledEvent } from "./array-pool.ts";
export { NaiveAllocator } from "./naive.ts";
export * from "./slab.ts";
export { NO_HANDLE } from "./slab-layout.ts";
