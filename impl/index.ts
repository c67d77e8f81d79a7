/**
 * The whole implementation library: importing this module registers every
 * allocator and queue, so `createAllocator`, `createQueue`, `openProducer` and
 * `openConsumer` find them by name. Import it in every Worker that opens a queue end.
 */
import "./alloc/index.ts";
import "./queue/index.ts";

export * from "./core/index.ts";
