/**
 * Child process for test/measure.worktree.test.ts: makes a worktree of REF in
 * REPO, prints its directory, then waits to be interrupted (SIGINT/SIGTERM)
 * so the test can check the worktree is removed on Ctrl-C.
 * Usage: bun test/support/worktree-hold.ts REPO REF
 */
import { withWorktree } from "../../experiments/measure/worktree.ts";

const [repoDir, ref] = Bun.argv.slice(2);
await withWorktree(
  ref!,
  (wt) =>
    new Promise<void>(() => {
      console.log(`READY ${wt.dir}`);
      setInterval(() => {}, 1000); // keeps the process alive until the signal
    }),
  { repoDir: repoDir!, install: false },
);
