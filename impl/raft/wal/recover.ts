/**
 * Reading a WAL directory back: scan every segment in order, check the crc
 * chain across segments, replay the records into a LogState and load the
 * snapshot in effect. Shared by FileStorage.open (which then truncates a torn
 * tail) and the offline reader (which only reports). Nothing here writes.
 *
 * Rules: the first segment must start with a checkpoint (State record); a
 * torn record may only be at the end of the LAST segment (earlier segments
 * were synced before the next was created); anything else bad is corruption,
 * reported with the file and byte offset, and replay stops there.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { Entry, Snapshot } from "../types.ts";
import { listDir, snapshotName } from "./files.ts";
import { LogState, ReplayError } from "./log-state.ts";
import {
  decodeEntry,
  decodeHardState,
  decodeLogState,
  decodeSegmentHeader,
  decodeSnapshotMeta,
  PayloadError,
} from "./payload.ts";
import { type RawRecord, RecordType, scanRecords } from "./record.ts";
import { readSnapshotFile, SnapshotFileError } from "./snapshot-file.ts";

/** A problem found in the WAL, located by file and byte offset. */
export interface WalProblem {
  file: string;
  offset: number;
  reason: string;
}

/** Thrown by FileStorage.open when the WAL is corrupt (not merely torn at its tail). */
export class WalCorruptionError extends Error {
  override name = "WalCorruptionError";
  constructor(readonly problem: WalProblem) {
    super(`WAL corrupt: ${problem.file} at byte offset ${problem.offset}: ${problem.reason}`);
  }
}

export interface SegmentInfo {
  name: string;
  seq: number;
  fileBytes: number;
  /** End of the last complete record (== fileBytes unless the tail is torn). */
  goodBytes: number;
  records: number;
  lastCrc: number;
}

export interface RecordCounts {
  segmentHeader: number;
  entry: number;
  hardState: number;
  snapshot: number;
  state: number;
}

export interface WalReadResult {
  dir: string;
  segments: SegmentInfo[];
  /** A torn last record: what recovery cuts off (offset = new file length). */
  tornTail: (WalProblem & { droppedBytes: number }) | null;
  /** The first corruption met; replay stopped there. */
  corruption: WalProblem | null;
  counts: RecordCounts;
  state: LogState;
  /** The snapshot in effect with its data (index 0 and empty data when none). */
  snapshot: Snapshot;
  /** Files ending in .tmp and snapshot files not in effect (open removes them). */
  strayFiles: string[];
  /** Segments before the newest checkpoint (a crash came before their deletion); open removes them. */
  supersededSegments: string[];
}

export function readWal(dir: string, maxRecordBytes: number, peers: number[] = []): WalReadResult {
  const listing = listDir(dir);
  const state = new LogState(peers);
  const counts: RecordCounts = { segmentHeader: 0, entry: 0, hardState: 0, snapshot: 0, state: 0 };
  const out: WalReadResult = {
    dir,
    segments: [],
    tornTail: null,
    corruption: null,
    counts,
    state,
    snapshot: { index: 0, term: 0, peers: [...peers], data: new Uint8Array(0) },
    strayFiles: [...listing.temps],
    supersededSegments: [],
  };
  let chainCrc: number | null = null;
  for (let s = 0; s < listing.segments.length && !out.corruption; s++) {
    const { name, seq } = listing.segments[s]!;
    const file = join(dir, name);
    let bytes: Uint8Array;
    try {
      // A plain Uint8Array (not a Buffer), so slices of it are copies, not views pinning the file.
      bytes = new Uint8Array(readFileSync(file));
    } catch (e) {
      // e.g. a live member compacted it away while an offline reader was listing
      out.corruption = { file, offset: 0, reason: `cannot read: ${(e as Error).message}` };
      break;
    }
    const scan = scanRecords(bytes, headerSeed, maxRecordBytes);
    const info: SegmentInfo = {
      name,
      seq,
      fileBytes: bytes.length,
      goodBytes: scan.endOffset,
      records: scan.records.length,
      lastCrc: scan.lastCrc,
    };
    out.segments.push(info);
    const isLast = s === listing.segments.length - 1;
    const problem = (offset: number, reason: string): void => {
      out.corruption = { file, offset, reason };
    };
    const headerProblem = checkHeader(scan.records[0], seq, chainCrc);
    if (headerProblem) {
      problem(0, headerProblem);
      break;
    }
    if (s === 0 && scan.records[1]?.type !== RecordType.State) {
      problem(
        scan.records[1]?.offset ?? scan.endOffset,
        "first segment does not start with a checkpoint",
      );
      break;
    }
    for (const rec of scan.records) {
      const why = replayRecord(state, counts, rec);
      if (why) {
        problem(rec.offset, why);
        break;
      }
    }
    if (out.corruption) break;
    if (s > 0 && scan.records.some((r) => r.type === RecordType.State))
      out.supersededSegments = listing.segments.slice(0, s).map((x) => x.name);
    if (scan.stop) {
      if (isLast && scan.stop.kind === "torn")
        out.tornTail = {
          file,
          offset: scan.stop.offset,
          reason: scan.stop.reason,
          droppedBytes: bytes.length - scan.stop.offset,
        };
      else
        problem(
          scan.stop.offset,
          isLast ? scan.stop.reason : `${scan.stop.reason} (not the last segment)`,
        );
    }
    chainCrc = scan.lastCrc;
  }
  if (!out.corruption) loadSnapshot(out, listing.snapshots);
  return out;
}

/** The crc seed a segment's first record (its header) claims to continue from. */
export function headerSeed(payload: Uint8Array): number {
  try {
    return decodeSegmentHeader(payload).seedCrc;
  } catch {
    return 0; // the crc check then fails and reports the record
  }
}

function checkHeader(
  first: RawRecord | undefined,
  seq: number,
  chainCrc: number | null,
): string | null {
  if (!first || first.type !== RecordType.SegmentHeader)
    return "segment does not start with a header";
  let h: { seq: number; seedCrc: number };
  try {
    h = decodeSegmentHeader(first.payload);
  } catch (e) {
    return `bad segment header: ${(e as Error).message}`;
  }
  if (h.seq !== seq) return `header sequence ${h.seq} does not match the file name (${seq})`;
  if (chainCrc !== null && h.seedCrc !== chainCrc)
    return `crc chain broken: header seed ${h.seedCrc} != previous segment's last crc ${chainCrc}`;
  return null;
}

/** Applies one record; returns why it is bad, or null. */
function replayRecord(state: LogState, counts: RecordCounts, rec: RawRecord): string | null {
  try {
    switch (rec.type) {
      case RecordType.SegmentHeader:
        counts.segmentHeader++;
        if (rec.offset !== 0) return "segment header in the middle of a segment";
        break;
      case RecordType.Entry:
        counts.entry++;
        state.putEntry(decodeEntry(rec.payload) as Entry);
        break;
      case RecordType.HardState:
        counts.hardState++;
        state.hard = decodeHardState(rec.payload);
        break;
      case RecordType.Snapshot:
        counts.snapshot++;
        state.putSnapshot(decodeSnapshotMeta(rec.payload));
        break;
      case RecordType.State:
        counts.state++;
        state.reset(decodeLogState(rec.payload));
        break;
    }
    return null;
  } catch (e) {
    if (e instanceof PayloadError || e instanceof ReplayError) return e.message;
    throw e;
  }
}

function loadSnapshot(out: WalReadResult, snaps: { name: string; index: number }[]): void {
  const meta = out.state.snap;
  for (const s of snaps) if (s.index !== meta.index) out.strayFiles.push(s.name);
  if (meta.index === 0) {
    out.snapshot = { ...out.snapshot, peers: [...meta.peers] };
    return;
  }
  try {
    const snap = readSnapshotFile(out.dir, meta.index);
    if (snap.term !== meta.term || snap.peers.join() !== meta.peers.join())
      throw new SnapshotFileError(`snapshot file at ${meta.index} disagrees with the WAL's record`);
    out.snapshot = snap;
  } catch (e) {
    if (!(e instanceof SnapshotFileError)) throw e;
    out.corruption = {
      file: join(out.dir, snapshotName(meta.index)),
      offset: 0,
      reason: e.message,
    };
  }
}
