/** Shared helpers of the file WAL tests (test/raft.wal*.test.ts): temp dirs and entries. */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Entry } from "../impl/raft/types.ts";

const dirs: string[] = [];

/** A fresh temp directory, removed by cleanupDirs(). */
export function tempDir(label = "wal"): string {
  const d = mkdtempSync(join(tmpdir(), `eventlab-${label}-`));
  dirs.push(d);
  return d;
}

export function cleanupDirs(): void {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
}

/** An entry whose data (size bytes) is filled with a byte derived from index and term. */
export function ent(index: number, term: number, size = 8): Entry {
  return { index, term, type: 0, data: new Uint8Array(size).fill((index * 7 + term) & 0xff) };
}

export function range(lo: number, hi: number, term: number, size = 8): Entry[] {
  const out: Entry[] = [];
  for (let i = lo; i <= hi; i++) out.push(ent(i, term, size));
  return out;
}
