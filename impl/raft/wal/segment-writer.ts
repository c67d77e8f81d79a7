/**
 * SegmentWriter: the byte side of FileStorage. It owns the active segment's
 * file descriptor, frames records into one reusable chunk buffer (one write
 * per call), continues the crc chain, rolls to a new segment at
 * `segmentBytes`, creates segments atomically, and runs the data syncs
 * (timed into WalStats). It knows nothing of Raft state; FileStorage decides
 * what to write. An I/O error propagates; FileStorage then refuses further use.
 */
import { closeSync, fdatasyncSync, openSync } from "node:fs";
import { join } from "node:path";
import { segmentName, writeFileDurably, writeFully } from "./files.ts";
import { MAX_WRITE_CHUNK_BYTES } from "./limits.ts";
import { encodeSegmentHeader } from "./payload.ts";
import { RECORD_HEADER_BYTES, RecordType, writeRecord } from "./record.ts";
import type { WalStats } from "./sync-stats.ts";

export type Payload = { type: RecordType; bytes: Uint8Array };

const FIRST_CHUNK_BYTES = 64 * 1024;

export class SegmentWriter {
  /** Sequence number of the active segment. */
  seq = 0;
  /** crc of the last record written (the seed of the next). */
  lastCrc = 0;
  /** Bytes written since the last data sync. */
  dirty = false;
  private fd = -1;
  /** Write position (= length) of the active segment. */
  private segBytes = 0;
  /** Length of the active segment when it was created: a roll needs more than that in it. */
  private segFloorBytes = 0;
  private chunk = new Uint8Array(FIRST_CHUNK_BYTES);

  constructor(
    private readonly dir: string,
    private readonly fsync: boolean,
    private readonly segmentBytes: number,
    private readonly stats: WalStats,
    private readonly onSyncNs: ((ns: number) => void) | undefined,
  ) {}

  /** Continues an existing segment of `lengthBytes` valid bytes ending with crc `lastCrc`. */
  openExisting(seq: number, lengthBytes: number, lastCrc: number): void {
    this.closeFd();
    this.fd = openSync(join(this.dir, segmentName(seq)), "r+");
    this.seq = seq;
    this.segBytes = lengthBytes;
    this.segFloorBytes = 0;
    this.lastCrc = lastCrc;
    this.dirty = false;
  }

  /** Frames and writes records in chunks, rolling the segment when it would grow past segmentBytes. */
  write(payloads: readonly Payload[]): void {
    let pending = 0;
    const flush = (): void => {
      if (pending === 0) return;
      writeFully(this.fd, this.chunk.subarray(0, pending), this.segBytes);
      this.segBytes += pending;
      this.stats.bytesWritten += pending;
      this.dirty = true;
      pending = 0;
    };
    for (const p of payloads) {
      const recBytes = RECORD_HEADER_BYTES + p.bytes.byteLength;
      const segLen = this.segBytes + pending;
      if (segLen + recBytes > this.segmentBytes && segLen > this.segFloorBytes) {
        flush();
        this.roll();
      }
      if (pending + recBytes > this.chunk.length) {
        flush();
        if (recBytes > this.chunk.length) {
          const grown = Math.min(2 * this.chunk.length, MAX_WRITE_CHUNK_BYTES);
          this.chunk = new Uint8Array(Math.max(recBytes, grown));
        }
      }
      this.lastCrc = writeRecord(this.chunk, pending, p.type, p.bytes, this.lastCrc);
      pending += recBytes;
    }
    flush();
  }

  /** One data sync of the active segment (skipped in no-fsync mode, still counted). */
  sync(): void {
    const t0 = process.hrtime.bigint();
    if (this.fsync) fdatasyncSync(this.fd);
    this.recordSync(t0);
    this.dirty = false;
  }

  /**
   * Makes a whole new segment `seq` from a header plus `records`, atomically
   * (temp + sync + rename + dir sync), and continues in it. The active
   * segment is synced first, so only the newest segment can ever be torn.
   */
  createSegment(seq: number, records: readonly Payload[]): void {
    if (this.dirty) this.sync();
    const header = encodeSegmentHeader({ seq, seedCrc: this.lastCrc });
    const all = [{ type: RecordType.SegmentHeader, bytes: header }, ...records];
    let size = 0;
    for (const p of all) size += RECORD_HEADER_BYTES + p.bytes.byteLength;
    const bytes = new Uint8Array(size);
    let at = 0;
    let crc = this.lastCrc;
    for (const p of all) {
      crc = writeRecord(bytes, at, p.type, p.bytes, crc);
      at += RECORD_HEADER_BYTES + p.bytes.byteLength;
    }
    const t0 = process.hrtime.bigint();
    writeFileDurably(this.dir, segmentName(seq), bytes, this.fsync);
    this.recordSync(t0);
    this.stats.segmentsCreated++;
    this.stats.bytesWritten += size;
    this.openExisting(seq, size, crc);
    this.segFloorBytes = size;
  }

  close(): void {
    this.closeFd();
  }

  /** Size roll: a new segment holding only its header takes over. */
  private roll(): void {
    this.createSegment(this.seq + 1, []);
  }

  private recordSync(t0: bigint): void {
    const ns = Number(process.hrtime.bigint() - t0);
    this.stats.recordSync(ns);
    this.onSyncNs?.(ns);
  }

  private closeFd(): void {
    if (this.fd >= 0) closeSync(this.fd);
    this.fd = -1;
  }
}
