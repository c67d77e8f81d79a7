/**
 * Offline check of a local cluster's data directories (`bun run cluster
 * verify`, and the crash tests after their members stop): reads every
 * DIR/member-* WAL with the WAL's own reader, and reports per member the
 * corruption found (file and offset), entries and client records held, and
 * whether every pair of members agrees on the committed prefix they share
 * (same term and bytes at each index: Log Matching + State Machine Safety,
 * Raft paper §5.3, §5.4.3).
 */
import { readdirSync } from "node:fs";
import { join } from "node:path";
import type { Entry } from "../types.ts";
import { readWalReport } from "../wal/index.ts";
import { LogMachine } from "./log-machine.ts";

export interface MemberVerdict {
  dir: string;
  corruption: string | null;
  tornTail: string | null;
  firstIndex: number;
  lastIndex: number;
  commitIndex: number;
  snapshotIndex: number;
  entries: number;
  /** Client records in accepted (first-seen) batches of the committed log held. */
  records: number;
  /** Committed batches that were retries of an already committed (client, seq). */
  duplicates: number;
  committed: Entry[];
}

export interface ClusterVerdict {
  members: MemberVerdict[];
  /** Disagreements on the shared committed prefix, one line each. */
  conflicts: string[];
  ok: boolean;
}

export function verifyClusterDir(dataDir: string): ClusterVerdict {
  const dirs = readdirSync(dataDir, { withFileTypes: true })
    .filter((d) => d.isDirectory() && /^member-\d+$/.test(d.name))
    .map((d) => join(dataDir, d.name))
    .sort();
  if (dirs.length === 0) throw new Error(`no member-* directories in ${dataDir}`);
  const members = dirs.map(verifyMember);
  const conflicts: string[] = [];
  for (let a = 0; a < members.length; a++) {
    for (let b = a + 1; b < members.length; b++)
      conflicts.push(...compare(members[a]!, members[b]!));
  }
  const ok = conflicts.length === 0 && members.every((m) => m.corruption === null);
  return { members, conflicts, ok };
}

function verifyMember(dir: string): MemberVerdict {
  const r = readWalReport(dir);
  const commit = Math.min(r.hardState.commit, r.lastIndex);
  const committed = r.entries.filter((e) => e.index <= commit);
  const machine = new LogMachine();
  machine.appliedIndex = r.snapshot.index;
  let records = 0;
  let duplicates = 0;
  for (const e of committed) {
    const out = machine.apply(e);
    if (out.kind === "duplicate") duplicates++;
  }
  // Records are counted only where the log is whole from index 1 (sessions before a snapshot are unknown here).
  for (const a of machine.read(1, Number.MAX_SAFE_INTEGER) ?? []) records += a.records.length;
  return {
    dir,
    corruption: r.corruption
      ? `${r.corruption.file} offset ${r.corruption.offset}: ${r.corruption.reason}`
      : null,
    tornTail: r.tornTail
      ? `${r.tornTail.file} offset ${r.tornTail.offset} (${r.tornTail.droppedBytes} bytes)`
      : null,
    firstIndex: r.firstIndex,
    lastIndex: r.lastIndex,
    commitIndex: commit,
    snapshotIndex: r.snapshot.index,
    entries: r.entries.length,
    records,
    duplicates,
    committed,
  };
}

function compare(a: MemberVerdict, b: MemberVerdict): string[] {
  const out: string[] = [];
  const byIndex = new Map(b.committed.map((e) => [e.index, e]));
  for (const e of a.committed) {
    const f = byIndex.get(e.index);
    if (!f) continue;
    if (f.term !== e.term || f.type !== e.type || !sameBytes(f.data, e.data)) {
      out.push(
        `${a.dir} and ${b.dir} differ at committed index ${e.index} (terms ${e.term} vs ${f.term})`,
      );
      if (out.length >= 10) break;
    }
  }
  return out;
}

function sameBytes(x: Uint8Array, y: Uint8Array): boolean {
  if (x.length !== y.length) return false;
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
  return true;
}
