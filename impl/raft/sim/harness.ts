/**
 * Helpers shaped like the MIT 6.824 Raft lab's test harness (config.go:
 * checkOneLeader, checkTerms, checkNoLeader, nCommitted, one), written over
 * SimCluster's public API so scenario tests and the fuzzer read like the lab.
 * All waits are in virtual time.
 */
import { assert } from "../../core/assert.ts";
import { SimCluster, type SimClusterOptions } from "./cluster.ts";
import type { AppliedCommand } from "./state-machine.ts";

/** Nodes that are up and not disconnected. */
export function connectedNodes(c: SimCluster): number[] {
  const out: number[] = [];
  for (let id = 0; id < c.size; id++) if (c.isUp(id) && c.isConnected(id)) out.push(id);
  return out;
}

/**
 * Waits (up to maxMs, in rounds) until the connected nodes have exactly one
 * leader in their highest leader term; returns it. Throws on two leaders in
 * one term or no leader at all.
 */
export function checkOneLeader(c: SimCluster, maxMs = 5000): number {
  const roundMs = 500;
  for (let waited = 0; waited < maxMs; waited += roundMs) {
    c.runFor(roundMs);
    const byTerm = new Map<number, number[]>();
    for (const id of connectedNodes(c)) {
      if (c.role(id) !== "leader") continue;
      const t = c.term(id);
      byTerm.set(t, [...(byTerm.get(t) ?? []), id]);
    }
    let lastTerm = -1;
    for (const [t, ids] of byTerm) {
      assert(ids.length === 1, () => `term ${t} has ${ids.length} leaders (seed ${c.seed})`);
      lastTerm = Math.max(lastTerm, t);
    }
    if (lastTerm >= 0) return byTerm.get(lastTerm)![0]!;
  }
  throw new Error(
    `no leader within ${maxMs} ms (seed ${c.seed}, virtual ${c.virtualMs.toFixed(1)} ms)`,
  );
}

/** All connected nodes agree on the term; returns it. */
export function checkTerms(c: SimCluster): number {
  let term = -1;
  for (const id of connectedNodes(c)) {
    const t = c.term(id);
    if (term === -1) term = t;
    else assert(t === term, () => `servers disagree on term: ${term} vs ${t} (seed ${c.seed})`);
  }
  return term;
}

/** No connected node believes it is leader. */
export function checkNoLeader(c: SimCluster): void {
  for (const id of connectedNodes(c)) {
    assert(
      c.role(id) !== "leader",
      () => `node ${id} is leader but should not be (seed ${c.seed})`,
    );
  }
}

/** The command node `id` applied at `index`, if any (binary search over its applied list). */
export function appliedAt(c: SimCluster, id: number, index: number): AppliedCommand | undefined {
  const list = c.applied(id);
  let lo = 0;
  let hi = list.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const m = list[mid]!;
    if (m.index === index) return m;
    if (m.index < index) lo = mid + 1;
    else hi = mid - 1;
  }
  return undefined;
}

/** How many nodes (up or not) applied a command at `index`, and which; asserts they agree. */
export function nCommitted(
  c: SimCluster,
  index: number,
): { count: number; data: Uint8Array | null } {
  let count = 0;
  let data: Uint8Array | null = null;
  for (let id = 0; id < c.size; id++) {
    const cmd = appliedAt(c, id, index);
    if (!cmd) continue;
    if (data !== null) {
      assert(
        bytesEqual(data, cmd.data),
        () => `nodes applied different commands at ${index} (seed ${c.seed})`,
      );
    }
    data = cmd.data;
    count++;
  }
  return { count, data };
}

export const enc = (s: string | number): Uint8Array => new TextEncoder().encode(String(s));

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * The lab's one(): submit `cmd` to whichever node is leader, wait for
 * `expectedServers` to apply it; if it does not commit within 2 s, retry
 * (when `retry`), for up to 10 s in all. Returns its index.
 */
export function one(c: SimCluster, cmd: Uint8Array, expectedServers: number, retry = true): number {
  const deadline = c.virtualMs + 10_000;
  let starts = 0;
  while (c.virtualMs < deadline) {
    let index = -1;
    for (let k = 0; k < c.size; k++) {
      starts = (starts + 1) % c.size;
      if (!c.isUp(starts)) continue;
      const at = c.propose(starts, cmd);
      if (at) {
        index = at.index;
        break;
      }
    }
    if (index !== -1) {
      const until = c.virtualMs + 2000;
      while (c.virtualMs < until) {
        const { count, data } = nCommitted(c, index);
        if (count > 0 && count >= expectedServers && data && bytesEqual(data, cmd)) return index;
        c.runFor(20);
      }
      if (!retry)
        throw new Error(
          `one(${new TextDecoder().decode(cmd)}) failed to reach agreement (seed ${c.seed})`,
        );
    } else {
      c.runFor(50);
    }
  }
  throw new Error(
    `one(${new TextDecoder().decode(cmd)}) failed to reach agreement in 10 s (seed ${c.seed})`,
  );
}

/** The lab's upper election timeout (ms): scenario tests wait in multiples of it. */
export const LAB_ELECTION_MS = 300;
/** The lab's reliable network: 0-26 ms one-way delay, nothing lost, duplicated or reordered. */
export const LAB_RELIABLE_NETWORK = {
  delayMs: [0, 26] as [number, number],
  dropRate: 0,
  duplicateRate: 0,
  reorderRate: 0,
};

/** A cluster with the lab's timing (150-300 ms timeouts, 50 ms heartbeats, 1 ms ticks) on its reliable network. */
export function labCluster(
  nodes: number,
  seed: number,
  extra: Partial<SimClusterOptions> = {},
): SimCluster {
  return new SimCluster({
    nodes,
    seed,
    electionTimeoutMs: [150, LAB_ELECTION_MS],
    heartbeatMs: 50,
    tickMs: 1,
    network: LAB_RELIABLE_NETWORK,
    ...extra,
  });
}
