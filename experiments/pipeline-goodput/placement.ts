/**
 * CPU placement for the goodput runs: the server's threads on one CPU set,
 * the load generator's thread on another, with `taskset -p` per thread
 * (Linux). The eventlab server runs in this process as Workers, so its
 * threads are the "Worker" threads that appeared when it started; Redis is
 * its own process. Where taskset is missing or the host has one CPU, nothing
 * is pinned and the placement says so.
 */
import { readdirSync, readFileSync } from "node:fs";
import { cpus } from "node:os";

export interface Placement {
  /** e.g. "server cpu 0, load cpu 1", or "none: <why>". */
  text: string;
  serverCpus: string | null;
  loadCpus: string | null;
}

/** "split": server and load generator on separate CPU sets; "none": the OS places every thread (the comparison). */
export const PLACEMENTS = ["split", "none"] as const;
export type PlacementKind = (typeof PLACEMENTS)[number];

/** Chooses the split: the last CPU for the load generator, the others for the server. */
export function choosePlacement(kind: PlacementKind = "split"): Placement {
  const n = cpus().length;
  if (kind === "none") return { text: "none: unpinned", serverCpus: null, loadCpus: null };
  if (!Bun.which("taskset"))
    return { text: "none: taskset not found", serverCpus: null, loadCpus: null };
  if (n < 2) return { text: `none: ${n} CPU`, serverCpus: null, loadCpus: null };
  const serverCpus = n === 2 ? "0" : `0-${n - 2}`;
  const loadCpus = String(n - 1);
  return { text: `server cpu ${serverCpus}, load cpu ${loadCpus}`, serverCpus, loadCpus };
}

/** Thread ids of this process whose name is `comm`. */
export function threadIds(comm: string): Set<number> {
  const out = new Set<number>();
  for (const tid of readdirSync("/proc/self/task")) {
    try {
      if (readFileSync(`/proc/self/task/${tid}/comm`, "utf8").trim() === comm) out.add(Number(tid));
    } catch {
      // the thread exited meanwhile
    }
  }
  return out;
}

/** Pins thread or process `id` to `cpus` (a taskset list); false if taskset refused. */
export function pin(id: number, cpuList: string): boolean {
  const r = Bun.spawnSync(["taskset", "-p", "-c", cpuList, String(id)], {
    stdout: "ignore",
    stderr: "ignore",
  });
  return r.exitCode === 0;
}

/** Every CPU of the host, as a taskset list (to unpin). */
export function allCpus(): string {
  return `0-${cpus().length - 1}`;
}
