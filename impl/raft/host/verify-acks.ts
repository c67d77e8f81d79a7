/**
 * `bun run cluster verify --data-dir DIR --acks FILE`: proves what a load
 * generator was promised (`bun run load --record-acks FILE`, lines "TAG FROM
 * TO": TRANSACTIONAL sequences [FROM, TO) of client TAG were acked) against
 * the committed log the members hold. Each committed record is an event
 * record (impl/core/record.ts) whose client tag is in payload bytes 0..3 and
 * whose sequence field is the client's own. Reports acked events missing from
 * the log, acked events present more than once, and acked events whose
 * position in the log is out of their client's sequence order.
 *
 * The log read is the accepted batches (exactly-once sessions applied, as the
 * members' LogMachine does) of the member with the longest committed log;
 * members agree on their shared committed prefix (checked by verifyClusterDir).
 */
import { readFileSync } from "node:fs";
import { OFF_CLIENT_TAG, OFF_SEQUENCE } from "../../core/record.ts";
import { LogMachine } from "./log-machine.ts";
import type { MemberVerdict } from "./verify-cluster.ts";

export interface AckVerdict {
  ackedEvents: number;
  clients: number;
  logRecords: number;
  missing: number;
  duplicated: number;
  outOfOrder: number;
  /** First few problems, one line each. */
  examples: string[];
}

/** Named maximum: problem lines kept for the report. */
const MAX_EXAMPLES = 10;

/** Acked sequences per client tag, from the --record-acks file. */
export function readAckFile(path: string): Map<number, Set<number>> {
  const acked = new Map<number, Set<number>>();
  const text = readFileSync(path, "utf8");
  let line = 0;
  for (const l of text.split("\n")) {
    line++;
    if (l.trim() === "") continue;
    const [tag, from, to] = l.trim().split(/\s+/).map(Number);
    if (!Number.isInteger(tag) || !Number.isInteger(from) || !Number.isInteger(to) || to! < from!)
      throw new Error(`${path}:${line}: not "TAG FROM TO": ${l}`);
    let set = acked.get(tag!);
    if (!set) acked.set(tag!, (set = new Set()));
    for (let s = from!; s < to!; s++) set.add(s);
  }
  return acked;
}

export function verifyAcks(members: MemberVerdict[], acked: Map<number, Set<number>>): AckVerdict {
  const longest = members.reduce((a, b) => (b.commitIndex > a.commitIndex ? b : a));
  const machine = new LogMachine();
  for (const e of longest.committed) machine.apply(e);
  const seen = new Map<number, Map<number, number>>();
  const lastSeq = new Map<number, number>();
  const v: AckVerdict = {
    ackedEvents: [...acked.values()].reduce((n, s) => n + s.size, 0),
    clients: acked.size,
    logRecords: 0,
    missing: 0,
    duplicated: 0,
    outOfOrder: 0,
    examples: [],
  };
  const note = (s: string) => {
    if (v.examples.length < MAX_EXAMPLES) v.examples.push(s);
  };
  for (const entry of machine.read(1, Number.MAX_SAFE_INTEGER) ?? []) {
    for (const r of entry.records) {
      v.logRecords++;
      if (r.length < OFF_CLIENT_TAG + 4) continue;
      const dv = new DataView(r.buffer, r.byteOffset, r.byteLength);
      const tag = dv.getUint32(OFF_CLIENT_TAG, true);
      const seq = dv.getUint32(OFF_SEQUENCE, true);
      if (!acked.get(tag)?.has(seq)) continue;
      let counts = seen.get(tag);
      if (!counts) seen.set(tag, (counts = new Map()));
      const n = (counts.get(seq) ?? 0) + 1;
      counts.set(seq, n);
      if (n === 2) {
        v.duplicated++;
        note(`client ${tag} seq ${seq} appears twice (second at log index ${entry.index})`);
      }
      const last = lastSeq.get(tag) ?? -1;
      if (seq <= last && n === 1) {
        v.outOfOrder++;
        note(`client ${tag} seq ${seq} at log index ${entry.index} after seq ${last}`);
      }
      lastSeq.set(tag, Math.max(last, seq));
    }
  }
  for (const [tag, seqs] of acked) {
    const counts = seen.get(tag);
    for (const s of seqs) {
      if (!counts?.has(s)) {
        v.missing++;
        note(`client ${tag} seq ${s} acked but not in the committed log`);
      }
    }
  }
  return v;
}
