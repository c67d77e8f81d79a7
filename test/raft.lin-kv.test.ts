/**
 * The key-value store driven through SimCluster by concurrent clients with
 * retries across leader changes, checked for linearizability end to end:
 * histories under crashes and partitions pass; a deliberately broken client
 * (gets answered from any node's local state, the classic stale-read bug)
 * produces histories the checker rejects, so the end-to-end check can fail.
 * Also: the KV session table applies a retried (duplicated) command once,
 * and a command's bytes are exactly JSON.stringify's (the direct encoder
 * must not change a payload, or every trace hash would change).
 */
import { describe, expect, test } from "bun:test";
import { Rng } from "../impl/core/rng.ts";
import { SimCluster } from "../impl/raft/sim/cluster.ts";
import { decodeKvCommand, encodeKvCommand, KvClients, KvStore } from "../impl/raft/sim/kv.ts";
import { checkKvHistory } from "../impl/raft/sim/linearizability.ts";
import { EntryType } from "../impl/raft/types.ts";

function kvRun(seed: number, unsafeLocalReads: boolean) {
  const c = new SimCluster({
    nodes: 5,
    seed,
    electionTimeoutMs: [150, 300],
    heartbeatMs: 50,
    network: { delayMs: [0, 20], dropRate: 0.02, duplicateRate: 0.02, reorderRate: 0.05 },
    stateMachine: () => new KvStore(),
  });
  const clients = new KvClients(c, { clients: 4, keys: 2, seed, unsafeLocalReads });
  clients.start(6000);
  const rng = new Rng(seed);
  for (let round = 0; round < 8; round++) {
    c.runFor(400 + rng.int(400));
    const l = c.leader();
    if (l === null) continue;
    if (round % 2 === 0) {
      // Cut the leader and one follower off; the majority elects a new leader.
      c.partition([
        [l, (l + 1) % 5],
        [(l + 2) % 5, (l + 3) % 5, (l + 4) % 5],
      ]);
    } else {
      c.heal();
      c.crash((l + 1 + rng.int(4)) % 5);
      c.restart((l + 1 + rng.int(4)) % 5);
    }
  }
  c.heal();
  for (let id = 0; id < 5; id++) c.restart(id);
  c.runFor(3000);
  return { history: clients.finish(), completed: clients.completed };
}

describe("linearizability of the replicated KV store", () => {
  test("8 seeds of crashes and partitions: every history is linearizable", () => {
    for (let seed = 1; seed <= 8; seed++) {
      const { history, completed } = kvRun(seed, false);
      expect(completed).toBeGreaterThan(50);
      const r = checkKvHistory(history);
      if (r.result !== "ok") throw new Error(`seed ${seed}: ${JSON.stringify(r)}`);
    }
  });

  test("stale local reads (a deliberate bug) are caught in most seeds", () => {
    let violations = 0;
    for (let seed = 1; seed <= 8; seed++) {
      const r = checkKvHistory(kvRun(seed, true).history);
      if (r.result === "violation") violations++;
    }
    expect(violations).toBeGreaterThanOrEqual(4);
  });

  test("the session table applies a duplicated command once", () => {
    const s = new KvStore();
    const e = (index: number, data: Uint8Array) => ({
      index,
      term: 1,
      type: EntryType.Normal,
      data,
    });
    const cmd = encodeKvCommand({ c: 1, s: 1, k: "append", key: "x", v: "a" });
    s.apply(e(1, cmd));
    s.apply(e(2, cmd)); // the retry also reached the log
    expect(s.get("x")).toBe("a");
    s.apply(e(3, encodeKvCommand({ c: 1, s: 2, k: "append", key: "x", v: "b" })));
    expect(s.get("x")).toBe("ab");
    const copy = new KvStore();
    copy.restore(s.snapshot());
    copy.apply(e(4, cmd)); // a stale duplicate after restore is still ignored
    expect(copy.get("x")).toBe("ab");
    expect(copy.resultOf(1, 2)).toBe("");
  });

  test("command bytes equal JSON.stringify's, escapes and non-ASCII included", () => {
    const cmds = [
      { c: 1, s: 2, k: "get" as const, key: "k0", v: "" },
      { c: 1_000_000, s: 1, k: "put" as const, key: "fuzz-final", v: "1" },
      { c: 3, s: 77, k: "append" as const, key: "k3", v: "3.77;" },
      { c: -0, s: 1.5, k: "put" as const, key: 'a"b', v: "é" },
      { c: 1e21, s: 2, k: "put" as const, key: "\\", v: "\n\u0001~" },
    ];
    for (const cmd of cmds) {
      const bytes = encodeKvCommand({ ...cmd });
      expect(new TextDecoder().decode(bytes)).toBe(JSON.stringify(cmd));
      const copy = new Uint8Array(bytes); // a new array: decoded by parsing, not from the cache
      expect(decodeKvCommand(copy)).toEqual(JSON.parse(JSON.stringify(cmd)));
    }
  });
});
