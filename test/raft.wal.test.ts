/**
 * Checks the file WAL (impl/raft/wal) on real files in a temp dir: CRC32C
 * against published vectors, that FileStorage answers like MemoryStorage
 * (Figure 2 persistent state, §5.3 conflicting-suffix truncation, §7
 * compaction) and keeps all of it across close + reopen, group commit (one
 * data sync per sync() call, none when nothing was written), segment roll at
 * the named size, segments and old snapshot files deleted after a snapshot so
 * disk stays bounded under endless appends, and the named record limit.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { CompactedError } from "../impl/raft/storage.ts";
import { crc32c } from "../impl/raft/wal/crc32c.ts";
import { openFileStorage, readWalReport } from "../impl/raft/wal/index.ts";
import {
  RECORD_HEADER_BYTES,
  RecordType,
  type ScanStop,
  scanRecords,
  writeRecord,
} from "../impl/raft/wal/record.ts";
import { cleanupDirs, ent, range, tempDir } from "./raft.wal.helpers.ts";

afterAll(cleanupDirs);

const ascii = (s: string): Uint8Array => new TextEncoder().encode(s);

describe("crc32c", () => {
  test("published check values (RFC 3720 B.4 and the CRC catalogue)", () => {
    expect(crc32c(ascii("123456789"))).toBe(0xe3069283);
    expect(crc32c(new Uint8Array(32))).toBe(0x8a9136aa);
    expect(crc32c(new Uint8Array(32).fill(0xff))).toBe(0x62a8ab43);
    const inc = Uint8Array.from({ length: 32 }, (_, i) => i);
    expect(crc32c(inc)).toBe(0x46dd794e);
    expect(crc32c(new Uint8Array(0))).toBe(0);
  });

  test("chaining: crc(b, crc(a)) = crc(a ++ b) at every split point", () => {
    const all = ascii("the quick brown fox jumps over the lazy dog, twice over");
    const whole = crc32c(all);
    for (let cut = 0; cut <= all.length; cut++)
      expect(crc32c(all.subarray(cut), crc32c(all.subarray(0, cut)))).toBe(whole);
  });
});

describe("record framing", () => {
  test("the 16-bit header check catches every 1- and 2-bit flip of the length/type bytes", () => {
    // Two chained records; damage goes into the first, so it is corrupt (data follows), not torn.
    const one = RECORD_HEADER_BYTES + 3;
    const recs = new Uint8Array(2 * one);
    const crc = writeRecord(recs, 0, RecordType.Entry, new Uint8Array([1, 2, 3]), 0);
    writeRecord(recs, one, RecordType.Entry, new Uint8Array([4, 5, 6]), crc);
    const flipped = (bits: number[]): ScanStop | null => {
      const b = recs.slice();
      for (const bit of bits) b[bit >> 3]! ^= 1 << (bit & 7);
      return scanRecords(b, () => 0, 1024).stop;
    };
    let refused = 0;
    for (let x = 0; x < 48; x++) {
      for (let y = x; y < 48; y++) {
        const stop = flipped(x === y ? [x] : [x, y]);
        expect({ x, y, kind: stop?.kind, offset: stop?.offset }).toEqual({
          x,
          y,
          kind: "corrupt",
          offset: 0,
        });
        refused++;
      }
    }
    expect(refused).toBe((48 * 49) / 2);
    expect(flipped([])).toBeNull();
  });
});

describe("FileStorage behaves like MemoryStorage and survives reopen", () => {
  test("a new directory: empty log, bootstrap peers recorded", () => {
    const dir = tempDir();
    const { storage, recovery } = openFileStorage(dir, { peers: [1, 2, 3] });
    expect([storage.firstIndex(), storage.lastIndex(), storage.term(0)]).toEqual([1, 0, 0]);
    expect(recovery.tornTail).toBeNull();
    storage.close();
    const again = openFileStorage(dir, { peers: [9] }).storage; // peers ignored: the WAL has them
    expect(again.initialState()).toEqual({
      hardState: { term: 0, vote: -1, commit: 0 },
      peers: [1, 2, 3],
    });
    again.close();
  });

  test("§5.3: a conflicting suffix is replaced, and stays replaced after reopen", () => {
    const dir = tempDir();
    const { storage } = openFileStorage(dir, { peers: [1] });
    storage.append(range(1, 5, 1));
    storage.sync();
    storage.append([ent(3, 2), ent(4, 2)]);
    storage.sync();
    expect(() => storage.append([ent(7, 2)])).toThrow(/gap/);
    storage.close();
    const s = openFileStorage(dir).storage;
    expect(s.lastIndex()).toBe(4);
    expect(s.entries(1, 5).map((e) => e.term)).toEqual([1, 1, 2, 2]);
    expect(s.entries(3, 4)[0]).toEqual(ent(3, 2));
    s.close();
  });

  test("§5.3: a truncation reaching back across segment rolls survives reopen", () => {
    const dir = tempDir();
    const { storage } = openFileStorage(dir, { peers: [1], segmentBytes: 512 });
    storage.append(range(1, 60, 1, 24));
    storage.sync();
    const before = readdirSync(dir).filter((n) => n.endsWith(".log")).length;
    storage.append(range(10, 12, 3, 24)); // replaces 10..60 with 10..12 of term 3
    storage.sync();
    storage.close();
    expect(before).toBeGreaterThan(3);
    const s = openFileStorage(dir, { segmentBytes: 512 }).storage;
    expect(s.lastIndex()).toBe(12);
    expect(s.entries(1, 13)).toEqual([...range(1, 9, 1, 24), ...range(10, 12, 3, 24)]);
    s.close();
  });

  test("entries() honours maxBytes but always returns at least one entry", () => {
    const { storage } = openFileStorage(tempDir(), { peers: [1] });
    storage.append([ent(1, 1, 100), ent(2, 1, 100), ent(3, 1, 100)]);
    expect(storage.entries(1, 4, 1).length).toBe(1);
    expect(storage.entries(1, 4, 2 * 124).length).toBe(2);
    storage.close();
  });

  test("Figure 2: hard state survives reopen; the last one written wins", () => {
    const dir = tempDir();
    const { storage } = openFileStorage(dir, { peers: [1, 2] });
    storage.setHardState({ term: 3, vote: 2, commit: 0 });
    storage.append(range(1, 3, 3));
    storage.setHardState({ term: 4, vote: -1, commit: 2 });
    storage.sync();
    storage.close();
    const { storage: s, recovery } = openFileStorage(dir);
    expect(s.initialState().hardState).toEqual({ term: 4, vote: -1, commit: 2 });
    expect(recovery.counts.hardState).toBe(2);
    s.close();
  });

  test("§7: a local snapshot + compaction survive reopen; compacted indexes refused", () => {
    const dir = tempDir();
    const { storage } = openFileStorage(dir, { peers: [1, 2, 3] });
    storage.append([...range(1, 2, 1), ...range(3, 6, 2)]);
    storage.setHardState({ term: 2, vote: 1, commit: 6 });
    storage.sync();
    expect(() => storage.compact(4)).toThrow(/snapshot/);
    const snap = storage.createSnapshot(4, ascii("state@4"));
    expect([snap.index, snap.term, snap.peers]).toEqual([4, 2, [1, 2, 3]]);
    storage.compact(3); // keep one entry below the snapshot for a lagging follower
    storage.close();
    const s = openFileStorage(dir).storage;
    expect([s.firstIndex(), s.lastIndex(), s.term(3)]).toEqual([4, 6, 2]);
    expect(() => s.term(2)).toThrow(CompactedError);
    expect(() => s.entries(3, 5)).toThrow(CompactedError);
    expect(s.snapshot()).toEqual({ index: 4, term: 2, peers: [1, 2, 3], data: ascii("state@4") });
    expect(s.entries(4, 7)).toEqual(range(4, 6, 2));
    expect(s.initialState().hardState).toEqual({ term: 2, vote: 1, commit: 6 });
    s.close();
  });

  test("§7: a leader's snapshot replaces the whole log, durably; an older one is ignored", () => {
    const dir = tempDir();
    const { storage } = openFileStorage(dir, { peers: [1] });
    storage.append(range(1, 8, 1));
    storage.sync();
    storage.applySnapshot({ index: 10, term: 4, peers: [1, 2], data: ascii("leader") });
    storage.applySnapshot({ index: 5, term: 2, peers: [1], data: ascii("old") });
    storage.append([ent(9, 3), ent(10, 4), ent(11, 4)]); // at or below the snapshot: skipped
    storage.sync();
    storage.close();
    const s = openFileStorage(dir).storage;
    expect([s.firstIndex(), s.lastIndex(), s.term(10), s.term(11)]).toEqual([11, 11, 4, 4]);
    expect(s.snapshot()).toEqual({ index: 10, term: 4, peers: [1, 2], data: ascii("leader") });
    expect(s.initialState().peers).toEqual([1, 2]);
    s.close();
  });
});

describe("group commit and sync accounting", () => {
  test("one data sync per sync() covering a whole Ready; none when nothing was written", () => {
    const samples: number[] = [];
    const { storage } = openFileStorage(tempDir(), {
      peers: [1],
      onSyncNs: (ns) => samples.push(ns),
    });
    const base = storage.stats.syncs; // creating the first segment synced once
    storage.append(range(1, 256, 1));
    storage.setHardState({ term: 1, vote: 1, commit: 0 });
    storage.sync();
    expect(storage.stats.syncs - base).toBe(1);
    storage.sync();
    expect(storage.stats.syncs - base).toBe(1);
    expect(storage.stats.syncsSkipped).toBe(1);
    expect(storage.stats.entriesWritten).toBe(256);
    expect(storage.stats.syncBucketCounts.reduce((a, b) => a + b, 0)).toBe(storage.stats.syncs);
    expect(samples.length).toBe(storage.stats.syncs);
    expect(storage.mode).toBe("fsync");
    storage.close();
  });

  test("fsync: false is reported as the mode that ran", () => {
    const { storage, recovery } = openFileStorage(tempDir(), { fsync: false });
    expect([storage.mode, storage.stats.mode, recovery.mode]).toEqual([
      "no-fsync",
      "no-fsync",
      "no-fsync",
    ]);
    storage.close();
  });
});

describe("segments, compaction and limits", () => {
  test("segments roll at the named size and replay across the chain", () => {
    const dir = tempDir();
    const { storage } = openFileStorage(dir, { peers: [1], segmentBytes: 1024 });
    for (let i = 1; i <= 200; i++) storage.append([ent(i, 1, 40)]);
    storage.sync();
    storage.close();
    const report = readWalReport(dir);
    expect(report.ok).toBe(true);
    expect(report.segments.length).toBeGreaterThan(5);
    for (const seg of report.segments) expect(seg.fileBytes).toBeLessThanOrEqual(1024);
    const s = openFileStorage(dir, { segmentBytes: 1024 }).storage;
    expect(s.entries(1, 201)).toEqual(range(1, 200, 1, 40));
    s.close();
  });

  test("segments and old snapshot files below the latest snapshot are deleted: disk stays bounded", () => {
    const dir = tempDir();
    const { storage } = openFileStorage(dir, { peers: [1], segmentBytes: 2048 });
    const SNAPSHOT_EVERY = 100;
    let maxDirBytes = 0;
    for (let i = 1; i <= 3000; i++) {
      storage.append([ent(i, 1, 32)]);
      storage.setHardState({ term: 1, vote: 1, commit: i });
      storage.sync();
      if (i % SNAPSHOT_EVERY === 0) {
        storage.createSnapshot(i, ascii(`snap ${i}`));
        storage.compact(i - 10);
      }
      maxDirBytes = Math.max(maxDirBytes, dirBytes(dir));
    }
    storage.close();
    const names = readdirSync(dir);
    expect(names.filter((n) => n.endsWith(".snap"))).toEqual(["snap-0000000000000bb8.snap"]);
    expect(storage.stats.segmentsDeleted).toBeGreaterThan(30);
    // 100 entries of ~32+17+12 bytes plus hard states (~32 B each) per interval: a few segments.
    expect(maxDirBytes).toBeLessThan(5 * 2048 + 4096);
    const s = openFileStorage(dir).storage;
    expect([s.firstIndex(), s.lastIndex(), s.snapshot().index]).toEqual([2991, 3000, 3000]);
    s.close();
  });

  test("a superseded snapshot file is removed once the newer snapshot's record is synced", () => {
    const dir = tempDir();
    const { storage } = openFileStorage(dir, { peers: [1] });
    storage.append(range(1, 10, 1));
    storage.createSnapshot(4, ascii("s4"));
    storage.sync();
    storage.createSnapshot(8, ascii("s8"));
    const snaps = (): string[] => readdirSync(dir).filter((n) => n.endsWith(".snap"));
    expect(snaps().length).toBe(2); // the record of 8 is not synced yet: 4 must stay
    storage.sync();
    expect(snaps()).toEqual(["snap-0000000000000008.snap"]);
    storage.close();
    expect(openFileStorage(dir).storage.snapshot().data).toEqual(ascii("s8"));
  });

  test("a record over maxRecordBytes is refused with a clear error before anything is written", () => {
    const dir = tempDir();
    const { storage } = openFileStorage(dir, { peers: [1], maxRecordBytes: 100 });
    storage.append([ent(1, 1, 50)]);
    expect(() => storage.append([ent(2, 1, 50), ent(3, 1, 200)])).toThrow(
      /over maxRecordBytes 100/,
    );
    expect(storage.lastIndex()).toBe(1);
    storage.sync();
    storage.close();
    expect(openFileStorage(dir, { maxRecordBytes: 100 }).storage.lastIndex()).toBe(1);
  });

  test("after close (or a failed write) the storage refuses further writes", () => {
    const { storage } = openFileStorage(tempDir(), { peers: [1] });
    storage.close();
    expect(() => storage.append([ent(1, 1)])).toThrow(/unusable: storage closed/);
    expect(() => storage.sync()).toThrow(/unusable/);
  });

  test("the offline reader does not modify the directory", () => {
    const dir = tempDir();
    const { storage } = openFileStorage(dir, { peers: [1] });
    storage.append(range(1, 5, 1));
    storage.sync();
    storage.close();
    const before = readdirSync(dir).map((n) => [n, statSync(join(dir, n)).size]);
    const r = readWalReport(dir);
    expect(r.entries.map((e) => e.index)).toEqual([1, 2, 3, 4, 5]);
    expect(readdirSync(dir).map((n) => [n, statSync(join(dir, n)).size])).toEqual(before);
    expect(existsSync(join(dir, "nope"))).toBe(false);
    expect(() => readWalReport(join(dir, "nope"))).toThrow(/does not exist/);
  });
});

function dirBytes(dir: string): number {
  let n = 0;
  for (const name of readdirSync(dir)) n += statSync(join(dir, name)).size;
  return n;
}
