/** Moved to impl/core/cli-args.ts (shared by the pipeline and the Raft member CLIs). */
export * from "../core/cli-args.ts";
