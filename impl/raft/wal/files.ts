/**
 * File names and durable-write helpers of a WAL directory:
 *   wal-<seq, 16 hex>.log     segments, replayed in sequence order
 *   snap-<index, 16 hex>.snap snapshot files (only the one in effect is kept)
 *   *.tmp                     half-made files; never read, removed on open
 * New files are written under a .tmp name, synced, renamed, and the directory
 * synced, so a crash leaves either the whole file or none of it.
 */
import {
  closeSync,
  fdatasyncSync,
  fsyncSync,
  openSync,
  readdirSync,
  renameSync,
  unlinkSync,
  writeSync,
} from "node:fs";
import { join } from "node:path";

const SEGMENT_RE = /^wal-([0-9a-f]{16})\.log$/;
const SNAP_RE = /^snap-([0-9a-f]{16})\.snap$/;

export function segmentName(seq: number): string {
  return `wal-${seq.toString(16).padStart(16, "0")}.log`;
}

export function snapshotName(index: number): string {
  return `snap-${index.toString(16).padStart(16, "0")}.snap`;
}

export interface DirListing {
  /** Segments sorted by sequence. */
  segments: { name: string; seq: number }[];
  snapshots: { name: string; index: number }[];
  temps: string[];
}

export function listDir(dir: string): DirListing {
  const out: DirListing = { segments: [], snapshots: [], temps: [] };
  for (const name of readdirSync(dir)) {
    const seg = SEGMENT_RE.exec(name);
    const snap = SNAP_RE.exec(name);
    if (seg) out.segments.push({ name, seq: Number.parseInt(seg[1]!, 16) });
    else if (snap) out.snapshots.push({ name, index: Number.parseInt(snap[1]!, 16) });
    else if (name.endsWith(".tmp")) out.temps.push(name);
  }
  out.segments.sort((a, b) => a.seq - b.seq);
  out.snapshots.sort((a, b) => a.index - b.index);
  return out;
}

/** Writes all of `bytes` at `position` (loops over short writes). */
export function writeFully(fd: number, bytes: Uint8Array, position: number): void {
  let done = 0;
  while (done < bytes.length) {
    const n = writeSync(fd, bytes, done, bytes.length - done, position + done);
    if (n <= 0) throw new Error(`write returned ${n}`);
    done += n;
  }
}

/** fsync of a directory, so a created, renamed or deleted name is durable. */
export function syncDir(dir: string): void {
  const fd = openSync(dir, "r");
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Creates `dir/name` atomically with `bytes`: temp file, data sync, rename, dir sync. */
export function writeFileDurably(
  dir: string,
  name: string,
  bytes: Uint8Array,
  fsync: boolean,
): void {
  const tmp = join(dir, `${name}.tmp`);
  const fd = openSync(tmp, "w");
  try {
    writeFully(fd, bytes, 0);
    if (fsync) fdatasyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, join(dir, name));
  if (fsync) syncDir(dir);
}

export function removeFiles(dir: string, names: readonly string[], fsync: boolean): void {
  if (names.length === 0) return;
  for (const n of names) {
    try {
      unlinkSync(join(dir, n));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
    }
  }
  if (fsync) syncDir(dir);
}
