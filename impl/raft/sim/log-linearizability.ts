/**
 * A linearizability checker for an append-only log whose appends return the
 * index they got and whose reads return the whole log up to an index: the
 * client-visible interface of the Raft cluster (docs/raft-protocol.md). It
 * decides in O(n log n), where the generic search (linearizability.ts) must
 * explore interleavings and runs out of steps (and memory) at ~10k operations.
 *
 * Why the order is forced, so no search is needed: in the sequential log, an
 * append's response (its index) fixes its place among all appends (appends
 * are ordered by index), and a read's response (the prefix up to upToIndex)
 * fixes how many appends precede it. Any legal linearization therefore orders
 * the operations by (index, then reads after the appends they include); only
 * the order of reads that saw the same prefix is free, and reads do not change
 * the state, so sorting those by call time loses nothing (if r1 returned
 * before r2 was called, r1 was called first). The history is linearizable iff
 * (1) the observations agree on one log (an index holds one append, an append
 * sits at one index, every read holds exactly the known appends up to its
 * upToIndex), and (2) that forced order respects real time: no operation
 * placed later returned before an operation placed earlier was called.
 * This checks the whole log as one object, across clients: stronger than
 * splitting it into one key per client.
 *
 * An append whose outcome the client never learned (returnMs Infinity, id
 * known: clients resend with the same session seq) is placed where a read
 * saw it, or dropped when none did (it may never have taken effect).
 */

export type LogOperation =
  | {
      kind: "append";
      /** Identity of the appended batch (e.g. clientId.seq): the same on every resend. */
      id: string;
      /** The index returned; null when the outcome is unknown. */
      index: number | null;
      callMs: number;
      /** Infinity when the client never saw the outcome. */
      returnMs: number;
    }
  | {
      kind: "read";
      upToIndex: number;
      /** The log up to upToIndex, as (index, id) in index order. */
      entries: readonly { index: number; id: string }[];
      callMs: number;
      returnMs: number;
    };

export type LogCheckResult =
  | { result: "ok"; appends: number; reads: number }
  | { result: "violation"; detail: string };

/** Checks a log history; see the file comment. */
export function checkLogHistory(history: readonly LogOperation[]): LogCheckResult {
  const byIndex = new Map<number, string>();
  const indexOf = new Map<string, number>();
  const observe = (index: number, id: string, where: string): string | null => {
    const atIndex = byIndex.get(index);
    if (atIndex !== undefined && atIndex !== id)
      return `index ${index} holds ${atIndex} and ${id} (${where})`;
    const at = indexOf.get(id);
    if (at !== undefined && at !== index) return `${id} at index ${at} and ${index} (${where})`;
    byIndex.set(index, id);
    indexOf.set(id, index);
    return null;
  };
  for (const op of history) {
    const bad =
      op.kind === "append"
        ? op.index === null
          ? null
          : observe(op.index, op.id, "an append's reply")
        : op.entries.reduce<string | null>(
            (err, e) => err ?? observe(e.index, e.id, `a read up to ${op.upToIndex}`),
            null,
          );
    if (bad) return { result: "violation", detail: `the observations disagree: ${bad}` };
  }
  const known = [...byIndex.keys()].sort((a, b) => a - b);
  // Placement keys: appends at their index; reads just after upToIndex.
  const placed: { key: number; tie: number; op: LogOperation }[] = [];
  let appends = 0;
  let reads = 0;
  for (const op of history) {
    if (op.kind === "append") {
      const index = op.index ?? indexOf.get(op.id);
      if (index === undefined) continue; // never seen: may never have taken effect
      placed.push({ key: index, tie: 0, op });
      appends++;
      continue;
    }
    const bad = checkPrefix(op, known, byIndex);
    if (bad) return { result: "violation", detail: bad };
    placed.push({ key: op.upToIndex, tie: 1, op });
    reads++;
  }
  placed.sort((a, b) => a.key - b.key || a.tie - b.tie || a.op.callMs - b.op.callMs);
  // Real time: scanning from the end, the earliest return among operations placed later.
  let minLaterReturn = Number.POSITIVE_INFINITY;
  let laterOp: LogOperation | null = null;
  for (let i = placed.length - 1; i >= 0; i--) {
    const op = placed[i]!.op;
    if (minLaterReturn < op.callMs)
      return {
        result: "violation",
        detail: `${describe(laterOp!)} returned at ${minLaterReturn} ms, before ${describe(op)} was called at ${op.callMs} ms, yet the log places it after`,
      };
    if (op.returnMs < minLaterReturn) {
      minLaterReturn = op.returnMs;
      laterOp = op;
    }
  }
  return { result: "ok", appends, reads };
}

/** A read must hold exactly the known appends with index <= upToIndex. */
function checkPrefix(
  op: Extract<LogOperation, { kind: "read" }>,
  known: readonly number[],
  byIndex: Map<number, string>,
): string | null {
  const want = known.filter((i) => i <= op.upToIndex);
  const got = op.entries.map((e) => e.index);
  if (got.some((i) => i > op.upToIndex))
    return `a read up to ${op.upToIndex} returned an entry past it`;
  if (got.length === want.length && got.every((i, k) => i === want[k])) return null;
  const missing = want.find((i) => !got.includes(i));
  return missing !== undefined
    ? `a read up to ${op.upToIndex} lacks ${byIndex.get(missing)} at index ${missing}: not a prefix of the log`
    : `a read up to ${op.upToIndex} is not in index order`;
}

function describe(op: LogOperation): string {
  return op.kind === "append"
    ? `append ${op.id} (index ${op.index ?? "unknown"})`
    : `read up to ${op.upToIndex}`;
}
