/**
 * Registers every allocator and queue the pipeline may be wired with, by
 * importing their layers (impl/alloc, impl/queue) rather than the library root
 * impl/index.ts, which sits above the pipeline in the layering; and the
 * remote commit stages (raft, etcd).
 */
import "../alloc/index.ts";
import "../queue/index.ts";
import "./commit-remote.ts";
