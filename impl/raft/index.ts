/** The pure Raft node's public surface (the simulator lives in ./sim/). */
export * from "./codec.ts";
export { type NodeStatus, RaftNode, validateConfig } from "./node.ts";
export * from "./storage.ts";
export * from "./types.ts";
