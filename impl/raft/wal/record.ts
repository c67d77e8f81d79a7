/**
 * WAL record framing. A segment file is a sequence of records:
 *
 *   0  u32  payload length in bytes (little-endian)
 *   4  u8   record type (RecordType)
 *   5  u8   reserved, 0
 *   6  u16  header check: low 16 bits of crc32c(bytes 0..6)
 *   8  u32  crc: crc32c(bytes 0..8 ++ payload), seeded with the previous record's crc
 *  12  payload
 *
 * The CRC is chained: each record's crc continues from the one before it (the
 * first record of a segment, its header, continues from the last crc of the
 * previous segment and stores that seed in its payload). So a lost, swapped or
 * replayed record breaks the chain. The header check guards the length field
 * on its own: a flipped length bit in an earlier record is refused as
 * corruption instead of looking like a record cut off at the end of the file.
 */
import { crc32c } from "./crc32c.ts";
import { UNWRITTEN_SECTOR_BYTES } from "./limits.ts";

export const RECORD_HEADER_BYTES = 12;

export const RecordType = {
  /** First record of every segment: sequence number and the crc chain seed. */
  SegmentHeader: 1,
  /** One log entry. An entry at an index <= the last one replaces the suffix from there (§5.3). */
  Entry: 2,
  /** Hard state (term, vote, commit). */
  HardState: 3,
  /** A snapshot taken locally (meta only; the data is in its snapshot file). */
  Snapshot: 4,
  /** The full log state at a checkpoint: snapshot meta, log offset, hard state. Resets replay. */
  State: 5,
} as const;
export type RecordType = (typeof RecordType)[keyof typeof RecordType];
const RECORD_TYPE_MAX = 5;

/** Writes one framed record into out[at..]; returns its crc (the next record's seed). */
export function writeRecord(
  out: Uint8Array,
  at: number,
  type: RecordType,
  payload: Uint8Array,
  seedCrc: number,
): number {
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  view.setUint32(at, payload.byteLength, true);
  out[at + 4] = type;
  out[at + 5] = 0;
  view.setUint16(at + 6, crc32c(out, 0, at, at + 6) & 0xffff, true);
  out.set(payload, at + RECORD_HEADER_BYTES);
  let crc = crc32c(out, seedCrc, at, at + 8);
  crc = crc32c(payload, crc);
  view.setUint32(at + 8, crc, true);
  return crc;
}

export interface RawRecord {
  type: RecordType;
  /** Byte offset of the record's header in its file. */
  offset: number;
  /** Payload bytes (a view into the file's buffer). */
  payload: Uint8Array;
  crc: number;
}

/** Why a scan stopped before the end of the bytes. */
export interface ScanStop {
  /** Offset of the first byte not accepted. */
  offset: number;
  /**
   * "torn": the bytes from `offset` to the end look like a record cut off by
   * a crash (short header, payload past the end, a bad crc on the very last
   * record, or only zero bytes); "corrupt": a bad record with more data after
   * it, which no crash explains.
   */
  kind: "torn" | "corrupt";
  reason: string;
}

export interface ScanResult {
  records: RawRecord[];
  /** crc of the last accepted record (the chain seed for what follows). */
  lastCrc: number;
  /** End of the last accepted record. */
  endOffset: number;
  stop: ScanStop | null;
}

/**
 * Parses records from bytes. The first record's crc is checked against the
 * seed it claims (a segment header carries its own seed, read by the caller
 * via `firstSeed`); each later record continues the chain.
 */
export function scanRecords(
  bytes: Uint8Array,
  firstSeed: (payload: Uint8Array) => number,
  maxRecordBytes: number,
): ScanResult {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const records: RawRecord[] = [];
  let at = 0;
  let seed = 0;
  while (at < bytes.length) {
    /** Stops at `at`; spanEnd is where the bad record would end (clipped to the file). */
    const stop = (kind: "torn" | "corrupt", reason: string, spanEnd = at): ScanResult => ({
      records,
      lastCrc: seed,
      endOffset: at,
      stop: tornOrCorrupt(bytes, at, Math.min(spanEnd, bytes.length), kind, reason),
    });
    if (bytes.length - at < RECORD_HEADER_BYTES)
      return stop("torn", `${bytes.length - at} bytes, less than a record header`);
    const len = view.getUint32(at, true);
    const type = bytes[at + 4]!;
    const check = view.getUint16(at + 6, true);
    if ((crc32c(bytes, 0, at, at + 6) & 0xffff) !== check || bytes[at + 5] !== 0)
      return stop("corrupt", "record header check failed", at + RECORD_HEADER_BYTES);
    if (type < 1 || type > RECORD_TYPE_MAX) return stop("corrupt", `unknown record type ${type}`);
    if (len > maxRecordBytes)
      return stop("corrupt", `record length ${len} over the limit ${maxRecordBytes}`);
    const end = at + RECORD_HEADER_BYTES + len;
    if (end > bytes.length)
      return stop(
        "torn",
        `record of ${len} payload bytes cut off after ${bytes.length - at - RECORD_HEADER_BYTES}`,
      );
    const payload = bytes.subarray(at + RECORD_HEADER_BYTES, end);
    const useSeed = records.length === 0 ? firstSeed(payload) : seed;
    const crc = crc32c(payload, crc32c(bytes, useSeed, at, at + 8));
    if (crc !== view.getUint32(at + 8, true)) {
      const last = end === bytes.length;
      return stop(
        last ? "torn" : "corrupt",
        `crc mismatch${last ? " in the last record" : ""}`,
        end,
      );
    }
    records.push({ type: type as RecordType, offset: at, payload, crc });
    seed = crc;
    at = end;
  }
  return { records, lastCrc: seed, endOffset: at, stop: null };
}

/**
 * A bad record is torn rather than corrupt when the rest of the file is zero
 * (space allocated, data never written), or when the record overlaps a disk
 * sector that reads as zero from the record on: after a power loss the
 * pages of an unsynced write can reach the disk in any order, leaving a hole
 * of zeros in the middle of the last records. (A record of the caller's own
 * data that holds a whole zero sector AND later rots would be taken for
 * torn too: the price of not refusing to start after a power loss.)
 */
function tornOrCorrupt(
  bytes: Uint8Array,
  at: number,
  spanEnd: number,
  kind: "torn" | "corrupt",
  reason: string,
): ScanStop {
  if (isZero(bytes, at, bytes.length))
    return { offset: at, kind: "torn", reason: `zero fill (${reason})` };
  if (kind === "corrupt") {
    const first = at - (at % UNWRITTEN_SECTOR_BYTES);
    for (let s = first; s < Math.max(spanEnd, at + 1); s += UNWRITTEN_SECTOR_BYTES) {
      const from = Math.max(s, at);
      const to = Math.min(s + UNWRITTEN_SECTOR_BYTES, bytes.length);
      if (to > from && isZero(bytes, from, to))
        return {
          offset: at,
          kind: "torn",
          reason: `${reason}; unwritten (zero) sector at ${from}`,
        };
    }
  }
  return { offset: at, kind, reason };
}

function isZero(bytes: Uint8Array, from: number, to: number): boolean {
  for (let i = from; i < to; i++) if (bytes[i] !== 0) return false;
  return true;
}
