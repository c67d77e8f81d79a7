/**
 * A linearizability checker for a small key-value store, in the style of
 * Porcupine (Athalye, 2017), which implements the algorithm of Wing and Gong
 * (1993) with the memoization of Lowe (2017).
 *
 * A history is a set of operations, each with the client's call and return
 * times. It is linearizable when every operation can be given one instant
 * between its call and its return such that, replayed in that order against a
 * sequential key-value store, every get returns what it returned. Keys are
 * independent (P-compositionality), so the history is split by key and each
 * key is searched on its own.
 *
 * Search: walk the time-ordered list of call and return events; at a call, try
 * to linearize that operation now (apply it to the model; if the model accepts
 * and the pair (set of operations linearized so far, model state) has not
 * been seen before, commit it and restart from the head); at a return whose
 * call is still pending, backtrack. The (set, state) cache prunes the
 * exponential search. The number of steps is bounded by `maxSearchSteps`; past
 * it the answer is "unknown", never a guess.
 *
 * An operation whose outcome the client never learned (it timed out) has
 * returnMs = Infinity: it may take effect at any time after its call, or not
 * at all (placing it last is always allowed). A get with unknown outcome
 * constrains nothing and is ignored.
 */
export type KvOpKind = "get" | "put" | "append";

export interface KvOperation {
  clientId: number;
  kind: KvOpKind;
  key: string;
  /** put/append: the argument; get: the value returned. */
  value: string;
  callMs: number;
  /** Infinity when the client never saw the outcome. */
  returnMs: number;
}

export type LinearizabilityResult =
  | { result: "ok"; keys: number; searchSteps: number }
  | { result: "violation"; key: string; operations: number; searchSteps: number; detail: string }
  | { result: "unknown"; key: string; operations: number; searchSteps: number; detail: string };

/** Default named limit on search steps over the whole history. */
export const DEFAULT_MAX_SEARCH_STEPS = 2_000_000;

/** Checks a key-value history; see the file comment. */
export function checkKvHistory(
  history: readonly KvOperation[],
  maxSearchSteps = DEFAULT_MAX_SEARCH_STEPS,
): LinearizabilityResult {
  for (const op of history) validateOp(op);
  const byKey = new Map<string, KvOperation[]>();
  for (const op of history) {
    if (op.kind === "get" && op.returnMs === Number.POSITIVE_INFINITY) continue;
    let ops = byKey.get(op.key);
    if (ops === undefined) byKey.set(op.key, (ops = []));
    ops.push(op);
  }
  let steps = 0;
  const keys = [...byKey.keys()].sort();
  for (const key of keys) {
    const ops = byKey.get(key)!;
    const r = checkOneKey(ops, maxSearchSteps - steps);
    steps += r.steps;
    if (r.verdict === "violation") {
      return {
        result: "violation",
        key,
        operations: ops.length,
        searchSteps: steps,
        detail: `no linearization of the ${ops.length} operations on key ${JSON.stringify(key)}`,
      };
    }
    if (r.verdict === "unknown") {
      return {
        result: "unknown",
        key,
        operations: ops.length,
        searchSteps: steps,
        detail: `search stopped at its limit of ${maxSearchSteps} steps on key ${JSON.stringify(key)}`,
      };
    }
  }
  return { result: "ok", keys: keys.length, searchSteps: steps };
}

function validateOp(op: KvOperation): void {
  if (!(op.callMs <= op.returnMs)) {
    throw new RangeError(
      `operation of client ${op.clientId} on ${op.key} returns (${op.returnMs}) before its call (${op.callMs})`,
    );
  }
}

/** The sequential model for one key: returns the next state, or null when the op cannot happen in `state`. */
function applyOp(state: string, op: KvOperation): string | null {
  switch (op.kind) {
    case "get":
      return op.value === state ? state : null;
    case "put":
      return op.value;
    case "append":
      return state + op.value;
  }
}

type Verdict = "ok" | "violation" | "unknown";

/**
 * The search over one key. Nodes 0..n-1 are the calls of operations 0..n-1,
 * nodes n..2n-1 their returns; node 2n is the list head. The list is doubly
 * linked in arrays so that lifting an operation out and putting it back
 * (in reverse order) are O(1).
 */
function checkOneKey(ops: KvOperation[], maxSteps: number): { verdict: Verdict; steps: number } {
  const n = ops.length;
  const HEAD = 2 * n;
  const order: number[] = [];
  for (let i = 0; i < 2 * n; i++) order.push(i);
  const timeOf = (node: number) => (node < n ? ops[node]!.callMs : ops[node - n]!.returnMs);
  // Calls sort before returns at equal times: touching operations count as concurrent.
  order.sort((a, b) => timeOf(a) - timeOf(b) || (a < n ? 0 : 1) - (b < n ? 0 : 1) || a - b);
  const next = new Int32Array(2 * n + 1).fill(-1);
  const prev = new Int32Array(2 * n + 1).fill(-1);
  let last = HEAD;
  for (const node of order) {
    next[last] = node;
    prev[node] = last;
    last = node;
  }
  const lift = (node: number) => {
    next[prev[node]!] = next[node]!;
    if (next[node]! !== -1) prev[next[node]!] = prev[node]!;
  };
  const unlift = (node: number) => {
    next[prev[node]!] = node;
    if (next[node]! !== -1) prev[next[node]!] = node;
  };
  const linearized = new Uint32Array(Math.ceil(n / 32) || 1);
  const cache = new Set<string>();
  const stack: Array<{ op: number; state: string }> = [];
  let state = "";
  let steps = 0;
  let entry = next[HEAD]!;
  while (next[HEAD]! !== -1) {
    if (++steps > maxSteps) return { verdict: "unknown", steps };
    if (entry < n) {
      const newState = applyOp(state, ops[entry]!);
      if (newState !== null) {
        linearized[entry >> 5]! ^= 1 << (entry & 31);
        const key = `${linearized.join(",")}|${newState}`;
        if (!cache.has(key)) {
          cache.add(key);
          stack.push({ op: entry, state });
          state = newState;
          lift(entry);
          lift(entry + n);
          entry = next[HEAD]!;
          continue;
        }
        linearized[entry >> 5]! ^= 1 << (entry & 31);
      }
      entry = next[entry]!;
    } else {
      const top = stack.pop();
      if (top === undefined) return { verdict: "violation", steps };
      linearized[top.op >> 5]! ^= 1 << (top.op & 31);
      state = top.state;
      unlift(top.op + n);
      unlift(top.op);
      entry = next[top.op]!;
    }
  }
  return { verdict: "ok", steps };
}
