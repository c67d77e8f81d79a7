/**
 * The offline WAL reader behind `cluster verify`: reads a data directory
 * without writing anything (a torn tail is reported, not cut) and returns
 * what it holds: the replayed log, hard state, snapshot meta, record counts,
 * and the first corruption with its file and byte offset.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { Entry, HardState } from "../types.ts";
import { listDir } from "./files.ts";
import { DEFAULT_MAX_RECORD_BYTES } from "./limits.ts";
import type { SnapshotMeta } from "./payload.ts";
import { scanRecords } from "./record.ts";
import {
  headerSeed,
  type RecordCounts,
  readWal,
  type SegmentInfo,
  type WalProblem,
} from "./recover.ts";

export interface WalReport {
  dir: string;
  /** True when no corruption was found (a torn tail alone is not corruption). */
  ok: boolean;
  corruption: WalProblem | null;
  /**
   * Framing/crc damage found by scanning EVERY segment on its own (replay
   * stops at the first corruption; this lists each damaged segment).
   */
  crcErrors: WalProblem[];
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
    crcErrors: scanEverySegment(dir, maxRecordBytes),
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

function scanEverySegment(dir: string, maxRecordBytes: number): WalProblem[] {
  const segments = listDir(dir).segments;
  const out: WalProblem[] = [];
  segments.forEach((seg, i) => {
    const file = join(dir, seg.name);
    let bytes: Uint8Array;
    try {
      bytes = new Uint8Array(readFileSync(file));
    } catch (e) {
      out.push({ file, offset: 0, reason: `cannot read: ${(e as Error).message}` });
      return;
    }
    const stop = scanRecords(bytes, headerSeed, maxRecordBytes).stop;
    const isLast = i === segments.length - 1;
    if (stop && (stop.kind === "corrupt" || !isLast))
      out.push({ file, offset: stop.offset, reason: stop.reason });
  });
  return out;
}
