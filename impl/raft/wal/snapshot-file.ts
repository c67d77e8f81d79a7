/**
 * Snapshot files: one per snapshot, named by index, written atomically
 * (files.ts writeFileDurably). Byte map (little-endian):
 *   0  8 bytes  magic "EVLSNAP1"
 *   8  u64      index
 *  16  u64      term
 *  24  u32      peer count n, then n x i32 peers
 *   .  u32      data length, then data
 *   .  u32      crc32c of every byte before it
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { Snapshot } from "../types.ts";
import { crc32c } from "./crc32c.ts";
import { snapshotName, writeFileDurably } from "./files.ts";
import { MAX_PEERS, MAX_SNAPSHOT_BYTES } from "./limits.ts";

const MAGIC = new TextEncoder().encode("EVLSNAP1");

export class SnapshotFileError extends Error {
  override name = "SnapshotFileError";
}

export function encodeSnapshotFile(s: Snapshot): Uint8Array {
  const size = 8 + 8 + 8 + 4 + 4 * s.peers.length + 4 + s.data.byteLength + 4;
  const out = new Uint8Array(size);
  const v = new DataView(out.buffer);
  out.set(MAGIC, 0);
  let at = 8;
  const u64 = (x: number): void => {
    v.setUint32(at, x % 2 ** 32, true);
    v.setUint32(at + 4, Math.floor(x / 2 ** 32), true);
    at += 8;
  };
  u64(s.index);
  u64(s.term);
  v.setUint32(at, s.peers.length, true);
  at += 4;
  for (const p of s.peers) {
    v.setInt32(at, p, true);
    at += 4;
  }
  v.setUint32(at, s.data.byteLength, true);
  at += 4;
  out.set(s.data, at);
  at += s.data.byteLength;
  v.setUint32(at, crc32c(out, 0, 0, at), true);
  return out;
}

/** Decodes and checks a snapshot file's bytes; `where` names the file in errors. */
export function decodeSnapshotFile(bytes: Uint8Array, where: string): Snapshot {
  const fail = (why: string): never => {
    throw new SnapshotFileError(`${where}: ${why}`);
  };
  if (bytes.length < 8 + 8 + 8 + 4 + 4 + 4) fail(`${bytes.length} bytes, too short`);
  for (let i = 0; i < MAGIC.length; i++) if (bytes[i] !== MAGIC[i]) fail("bad magic");
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const crcAt = bytes.length - 4;
  if (crc32c(bytes, 0, 0, crcAt) !== v.getUint32(crcAt, true)) fail("crc mismatch");
  let at = 8;
  const u64 = (): number => {
    const x = v.getUint32(at + 4, true) * 2 ** 32 + v.getUint32(at, true);
    at += 8;
    return x;
  };
  const index = u64();
  const term = u64();
  const n = v.getUint32(at, true);
  at += 4;
  if (n > MAX_PEERS || at + 4 * n + 4 > crcAt) fail(`bad peer count ${n}`);
  const peers: number[] = [];
  for (let i = 0; i < n; i++, at += 4) peers.push(v.getInt32(at, true));
  const len = v.getUint32(at, true);
  at += 4;
  if (at + len !== crcAt) fail(`data length ${len} does not fit the file`);
  return { index, term, peers, data: bytes.slice(at, at + len) };
}

export function writeSnapshotFile(dir: string, s: Snapshot, fsync: boolean): void {
  writeFileDurably(dir, snapshotName(s.index), encodeSnapshotFile(s), fsync);
}

export function readSnapshotFile(dir: string, index: number): Snapshot {
  const name = snapshotName(index);
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(readFileSync(join(dir, name)));
  } catch (e) {
    throw new SnapshotFileError(`${join(dir, name)}: cannot read (${(e as Error).message})`);
  }
  if (bytes.length > MAX_SNAPSHOT_BYTES)
    throw new SnapshotFileError(
      `${join(dir, name)}: ${bytes.length} bytes over ${MAX_SNAPSHOT_BYTES}`,
    );
  return decodeSnapshotFile(bytes, join(dir, name));
}
