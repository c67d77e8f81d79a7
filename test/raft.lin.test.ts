/**
 * The key-value linearizability checker (impl/raft/sim/linearizability.ts):
 * hand-built histories that are and are not linearizable must be classified
 * correctly; histories generated from a real sequential execution with random
 * operation windows must always pass; a search over its step limit answers
 * "unknown"; pending (timed-out) writes may or may not take effect.
 */
import { describe, expect, test } from "bun:test";
import { Rng } from "../impl/core/rng.ts";
import { checkKvHistory, type KvOperation } from "../impl/raft/sim/linearizability.ts";

const op = (
  clientId: number,
  kind: KvOperation["kind"],
  key: string,
  value: string,
  callMs: number,
  returnMs: number,
): KvOperation => ({ clientId, kind, key, value, callMs, returnMs });

describe("linearizability checker: hand-built histories", () => {
  test("sequential put then get of the same value is linearizable", () => {
    const h = [op(0, "put", "x", "1", 0, 10), op(1, "get", "x", "1", 20, 30)];
    expect(checkKvHistory(h).result).toBe("ok");
  });

  test("a get after a completed put that misses the put is a violation", () => {
    const h = [op(0, "put", "x", "1", 0, 10), op(1, "get", "x", "", 20, 30)];
    const r = checkKvHistory(h);
    expect(r.result).toBe("violation");
    if (r.result === "violation") expect(r.key).toBe("x");
  });

  test("a get concurrent with a put may see either value", () => {
    const before = [op(0, "put", "x", "1", 0, 100), op(1, "get", "x", "", 10, 20)];
    const after = [op(0, "put", "x", "1", 0, 100), op(1, "get", "x", "1", 10, 20)];
    expect(checkKvHistory(before).result).toBe("ok");
    expect(checkKvHistory(after).result).toBe("ok");
  });

  test("a read that goes back in time after a newer read is a violation (stale read)", () => {
    const h = [
      op(0, "put", "x", "1", 0, 100),
      op(1, "get", "x", "1", 10, 20),
      op(2, "get", "x", "", 30, 40),
    ];
    expect(checkKvHistory(h).result).toBe("violation");
  });

  test("concurrent appends: both orders are fine, a doubled append is not", () => {
    const base = [op(0, "append", "k", "a", 0, 10), op(1, "append", "k", "b", 0, 10)];
    expect(checkKvHistory([...base, op(2, "get", "k", "ab", 20, 30)]).result).toBe("ok");
    expect(checkKvHistory([...base, op(2, "get", "k", "ba", 20, 30)]).result).toBe("ok");
    expect(checkKvHistory([...base, op(2, "get", "k", "aab", 20, 30)]).result).toBe("violation");
    expect(checkKvHistory([...base, op(2, "get", "k", "a", 20, 30)]).result).toBe("violation");
  });

  test("two readers disagreeing on the order of two concurrent writes is a violation", () => {
    const h = [
      op(0, "put", "x", "1", 0, 50),
      op(1, "put", "x", "2", 0, 50),
      op(2, "get", "x", "1", 60, 70),
      op(3, "get", "x", "2", 60, 70),
    ];
    expect(checkKvHistory(h).result).toBe("violation");
  });

  test("a pending (timed-out) write may take effect or not", () => {
    const seen = [op(0, "put", "x", "1", 0, Infinity), op(1, "get", "x", "1", 50, 60)];
    const unseen = [op(0, "put", "x", "1", 0, Infinity), op(1, "get", "x", "", 50, 60)];
    const flipFlop = [...seen, op(2, "get", "x", "", 70, 80)];
    expect(checkKvHistory(seen).result).toBe("ok");
    expect(checkKvHistory(unseen).result).toBe("ok");
    expect(checkKvHistory(flipFlop).result).toBe("violation");
  });

  test("a pending write cannot take effect before its call", () => {
    const h = [op(1, "get", "x", "1", 0, 10), op(0, "put", "x", "1", 20, Infinity)];
    expect(checkKvHistory(h).result).toBe("violation");
  });

  test("keys are checked independently and the violating key is named", () => {
    const h = [
      op(0, "put", "a", "1", 0, 10),
      op(1, "get", "a", "1", 20, 30),
      op(0, "put", "b", "1", 0, 10),
      op(1, "get", "b", "2", 20, 30),
    ];
    const r = checkKvHistory(h);
    expect(r.result).toBe("violation");
    if (r.result === "violation") expect(r.key).toBe("b");
  });

  test("an operation that returns before its call is refused", () => {
    expect(() => checkKvHistory([op(0, "put", "x", "1", 10, 5)])).toThrow(/before its call/);
  });
});

/** A history produced by a real sequential store: each op takes effect at a random instant inside its window. */
function generateLinearizable(rng: Rng, clients: number, opsPerClient: number): KvOperation[] {
  type Pending = KvOperation & { pointMs: number };
  const pending: Pending[] = [];
  for (let c = 0; c < clients; c++) {
    let t = rng.int(10);
    for (let i = 0; i < opsPerClient; i++) {
      const callMs = t;
      const returnMs = callMs + 1 + rng.int(40);
      const pointMs = callMs + rng.next() * (returnMs - callMs);
      const kinds = ["get", "put", "append"] as const;
      const kind = kinds[rng.int(3)]!;
      const key = `k${rng.int(2)}`;
      pending.push({ clientId: c, kind, key, value: `${c}.${i};`, callMs, returnMs, pointMs });
      t = returnMs + rng.int(5);
    }
  }
  pending.sort((a, b) => a.pointMs - b.pointMs);
  const store = new Map<string, string>();
  for (const p of pending) {
    const cur = store.get(p.key) ?? "";
    if (p.kind === "get") p.value = cur;
    else store.set(p.key, p.kind === "put" ? p.value : cur + p.value);
  }
  return pending.map(({ pointMs: _, ...o }) => o);
}

describe("linearizability checker: generated histories", () => {
  test("200 histories generated from a sequential store are all linearizable", () => {
    const rng = new Rng(7);
    for (let s = 0; s < 200; s++) {
      const h = generateLinearizable(rng, 4, 8);
      const r = checkKvHistory(h);
      if (r.result !== "ok") throw new Error(`history ${s} misclassified: ${JSON.stringify(r)}`);
    }
  });

  test("corrupting a get that follows all writes on its key is always caught", () => {
    const rng = new Rng(11);
    let caught = 0;
    for (let s = 0; s < 100; s++) {
      const h = generateLinearizable(rng, 4, 8);
      const end = Math.max(...h.map((o) => o.returnMs)) + 10;
      const writes = h.filter((o) => o.key === "k0" && o.kind !== "get");
      if (writes.length === 0) continue;
      // A final read that no write could produce: the value with an extra marker.
      h.push(op(9, "get", "k0", "corrupt", end, end + 5));
      expect(checkKvHistory(h).result).toBe("violation");
      caught++;
    }
    expect(caught).toBeGreaterThan(50);
  });

  test("a search past its step limit answers unknown", () => {
    // Many fully concurrent appends with one read of a value no order produces:
    // the search must explore many orders before it can say violation.
    const h: KvOperation[] = [];
    for (let c = 0; c < 12; c++) h.push(op(c, "append", "x", String.fromCharCode(97 + c), 0, 100));
    h.push(op(99, "get", "x", "zzz", 200, 210));
    const r = checkKvHistory(h, 500);
    expect(r.result).toBe("unknown");
  });
});
