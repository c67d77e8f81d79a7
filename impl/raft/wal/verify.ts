/**
 * The offline WAL reader behind `cluster verify`: reads a data directory
 * without writing anything (a torn tail is reported, not cut) and returns
 * what it holds: the replayed log, hard state, snapshot meta, record counts,
 * and the first corruption with its file and byte offset.
 */
import { existsSync } from "node:fs";
import type { Entry, HardState } from "../types.ts";
import { DEFAULT_MAX_RECORD_BYTES } from "./limits.ts";
import type { SnapshotMeta } from "./payload.ts";
import { type RecordCounts, readWal, type SegmentInfo, type WalProblem } from "./recover.ts";

export interface WalReport {
  dir: string;
  /** True when no corruption was found (a torn tail alone is not corruption). */
  ok: boolean;
  corruption: WalProblem | null;
  tornTail: (WalProblem & { droppedBytes: number }) | null;
  segments: SegmentInfo[];
  counts: RecordCounts;
  hardState: HardState;
  snapshot: SnapshotMeta & { dataBytes: number };
  /** Log entries after the snapshot, as recovery would see them (up to a corruption, if any). */
  entries: Entry[];
  firstIndex: number;
  lastIndex: number;
}

export function readWalReport(dir: string, maxRecordBytes = DEFAULT_MAX_RECORD_BYTES): WalReport {
  if (!existsSync(dir)) throw new Error(`WAL directory ${dir} does not exist`);
  const r = readWal(dir, maxRecordBytes);
  const s = r.state;
  return {
    dir,
    ok: r.corruption === null,
    corruption: r.corruption,
    tornTail: r.tornTail,
    segments: r.segments,
    counts: r.counts,
    hardState: { ...s.hard },
    snapshot: {
      index: s.snap.index,
      term: s.snap.term,
      peers: [...s.snap.peers],
      dataBytes: r.snapshot.data.byteLength,
    },
    entries: [...s.ents],
    firstIndex: s.firstIndex(),
    lastIndex: s.lastIndex(),
  };
}
