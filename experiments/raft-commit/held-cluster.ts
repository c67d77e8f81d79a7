/**
 * Keeps one cluster of a kind running across consecutive points of
 * `raft-commit` (starting a cluster per trial would cost more than the trial),
 * and stops it: when a point needs a different configuration, when no point
 * used it for IDLE_STOP_MS, and at process exit (kill by PID, data dir
 * removed), so neither a finished run nor a test leaves processes behind.
 */
import { rmSync } from "node:fs";

/**
 * A cluster left unused this long is stopped (the next point of its kind
 * restarts it). Longer than any trial of the other kind, so interleaved
 * eventlab and etcd trials keep both clusters up.
 */
export const IDLE_STOP_MS = 15_000;

export interface Stoppable {
  /** PIDs of its processes, for the synchronous kill at exit. */
  pids(): number[];
  /** Temp directory to remove at exit. */
  readonly dataDir: string;
  stop(): Promise<void>;
}

const live = new Set<Stoppable>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on("exit", () => {
    for (const c of live) {
      for (const pid of c.pids()) {
        try {
          process.kill(pid, "SIGKILL");
        } catch {
          // already gone
        }
      }
      try {
        rmSync(c.dataDir, { recursive: true, force: true });
      } catch {
        // best effort at exit
      }
    }
  });
}

export class HeldCluster<C extends Stoppable> {
  private current: { key: string; cluster: C } | null = null;
  private idle: ReturnType<typeof setTimeout> | null = null;

  /** The running cluster for `key`, starting it (and stopping another) when needed. */
  async get(key: string, start: () => Promise<C>): Promise<C> {
    installExitHook();
    this.clearIdle();
    if (this.current?.key === key) return this.current.cluster;
    await this.stop();
    const cluster = await start();
    live.add(cluster);
    this.current = { key, cluster };
    return cluster;
  }

  /** Called after each trial: arms the idle stop. */
  release(): void {
    this.clearIdle();
    this.idle = setTimeout(() => {
      this.stop().catch((err: Error) =>
        console.warn(`raft-commit: stopping an idle cluster: ${err.message}`),
      );
    }, IDLE_STOP_MS);
    // An idle cluster never keeps the process alive: the exit hook kills it.
    this.idle.unref();
  }

  async stop(): Promise<void> {
    this.clearIdle();
    const c = this.current;
    this.current = null;
    if (!c) return;
    live.delete(c.cluster);
    await c.cluster.stop();
  }

  private clearIdle(): void {
    if (this.idle) clearTimeout(this.idle);
    this.idle = null;
  }
}
