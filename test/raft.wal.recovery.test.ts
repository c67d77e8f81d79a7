/**
 * Checks recovery of the file WAL (impl/raft/wal/recover.ts, FileStorage.open)
 * against damaged files made by hand: the last segment cut at EVERY byte
 * offset (recovery keeps every complete record, truncates the rest and
 * reports file, offset and bytes dropped; the WAL then takes new writes), a
 * bit flipped at EVERY byte before the last record (a refusal naming the file
 * and the offset of the damaged record), a torn non-last segment, a missing
 * middle segment (broken crc chain), a missing snapshot file, a zero-filled
 * tail, and a zero (unwritten) sector inside a late record as a power loss
 * can leave. A torn tail is what a crash during a write leaves; only
 * the last record can be torn, because each segment is synced before the next.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { readdirSync, readFileSync, rmSync, statSync, unlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { HardState } from "../impl/raft/types.ts";
import { openFileStorage, readWalReport, WalCorruptionError } from "../impl/raft/wal/index.ts";
import { cleanupDirs, ent, range, tempDir } from "./raft.wal.helpers.ts";

afterAll(cleanupDirs);

interface Written {
  /** File length after each record (or checkpoint) was written. */
  end: number;
  lastIndex: number;
  hard: HardState;
}

/** A one-segment WAL of 12 entries (data sizes vary) and 4 hard states; returns the segment path and each record's end. */
function buildWal(dir: string): { path: string; bytes: Uint8Array; written: Written[] } {
  const { storage } = openFileStorage(dir, { peers: [1, 2, 3] });
  const path = join(dir, readdirSync(dir).find((n) => n.endsWith(".log"))!);
  let hard: HardState = { term: 0, vote: -1, commit: 0 };
  const written: Written[] = [{ end: statSync(path).size, lastIndex: 0, hard }];
  for (let i = 1; i <= 12; i++) {
    storage.append([ent(i, 1, (i * 5) % 23)]);
    written.push({ end: statSync(path).size, lastIndex: i, hard });
    if (i % 3 === 0) {
      hard = { term: 1, vote: 2, commit: i - 1 };
      storage.setHardState(hard);
      written.push({ end: statSync(path).size, lastIndex: i, hard });
    }
  }
  storage.sync();
  storage.close();
  return { path, bytes: new Uint8Array(readFileSync(path)), written };
}

describe("torn tail: the last record cut at every byte offset", () => {
  test("recovery keeps every complete record, reports the cut, truncates, and accepts new writes", () => {
    const dir = tempDir();
    const { path, bytes, written } = buildWal(dir);
    const floor = written[0]!.end;
    let reported = 0;
    for (let cut = floor; cut <= bytes.length; cut++) {
      writeFileSync(path, bytes.subarray(0, cut));
      const keep = written.filter((w) => w.end <= cut).at(-1)!;
      const { storage, recovery } = openFileStorage(dir);
      expect({ cut, last: storage.lastIndex(), hard: storage.hardState }).toEqual({
        cut,
        last: keep.lastIndex,
        hard: keep.hard,
      });
      if (keep.end === cut) expect(recovery.tornTail).toBeNull();
      else {
        reported++;
        expect(recovery.tornTail).toMatchObject({
          file: path,
          offset: keep.end,
          droppedBytes: cut - keep.end,
        });
      }
      expect(statSync(path).size).toBe(keep.end);
      storage.append([ent(keep.lastIndex + 1, 5, 3)]);
      storage.sync();
      storage.close();
      const again = openFileStorage(dir);
      expect(again.recovery.tornTail).toBeNull();
      const kept = range(1, keep.lastIndex, 1).map((e) => ent(e.index, 1, (e.index * 5) % 23));
      expect(again.storage.entries(1, keep.lastIndex + 2)).toEqual([
        ...kept,
        ent(keep.lastIndex + 1, 5, 3),
      ]);
      again.storage.close();
    }
    expect(reported).toBe(bytes.length - floor - (written.length - 1));
  });

  test("power loss: a zero (unwritten) sector inside a late record makes it torn; a flipped bit there is corruption", () => {
    const dir = tempDir();
    const { storage } = openFileStorage(dir, { peers: [1] });
    const path = join(dir, readdirSync(dir).find((n) => n.endsWith(".log"))!);
    const ends: number[] = [];
    for (let i = 1; i <= 6; i++) {
      storage.append([ent(i, 1, 2000)]);
      ends.push(statSync(path).size);
    }
    storage.sync();
    storage.close();
    const bytes = new Uint8Array(readFileSync(path));
    const fifthStart = ends[3]!;
    const sector = Math.ceil((fifthStart + 100) / 512) * 512; // a whole sector inside record 5
    expect(sector + 512).toBeLessThan(ends[4]!);
    const holed = bytes.slice();
    holed.fill(0, sector, sector + 512);
    writeFileSync(path, holed);
    const { storage: s, recovery } = openFileStorage(dir);
    expect(recovery.tornTail).toMatchObject({ file: path, offset: fifthStart });
    expect(recovery.tornTail!.reason).toContain(`unwritten (zero) sector at ${sector}`);
    expect(s.lastIndex()).toBe(4); // record 6 came after the hole: never synced, dropped too
    s.close();
    const flipped = bytes.slice();
    flipped[sector + 7]! ^= 0x20;
    writeFileSync(path, flipped);
    const err = catchError(() => openFileStorage(dir)) as WalCorruptionError;
    expect(err.problem).toMatchObject({ file: path, offset: fifthStart });
  });

  test("a cut inside the segment's creation bytes is refused (segments are created whole)", () => {
    const dir = tempDir();
    const { path, bytes, written } = buildWal(dir);
    for (const cut of [0, 5, 12, written[0]!.end - 1]) {
      writeFileSync(path, bytes.subarray(0, cut));
      expect(() => openFileStorage(dir)).toThrow(WalCorruptionError);
    }
  });

  test("a zero-filled tail (file grown but data never written) is a torn tail", () => {
    const dir = tempDir();
    const { path, bytes, written } = buildWal(dir);
    writeFileSync(path, new Uint8Array([...bytes, ...new Uint8Array(100)]));
    const { storage, recovery } = openFileStorage(dir);
    expect(recovery.tornTail).toMatchObject({
      file: path,
      offset: bytes.length,
      droppedBytes: 100,
    });
    expect(storage.lastIndex()).toBe(written.at(-1)!.lastIndex);
    storage.close();
  });
});

describe("corruption before the tail is refused with file and offset", () => {
  test("a bit flipped at every byte before the last record: refused at that record's offset", () => {
    const dir = tempDir();
    const { path, bytes, written } = buildWal(dir);
    // Records start at 0 (segment header, 12 + 12 bytes), 24 (checkpoint), then after each write.
    const starts = [0, 24, ...written.map((w) => w.end)];
    const lastStart = written.at(-2)!.end;
    for (let at = 0; at < lastStart; at++) {
      const damaged = bytes.slice();
      damaged[at]! ^= 1 << (at % 8);
      writeFileSync(path, damaged);
      const recordStart = starts.filter((s) => s <= at).at(-1)!;
      let err: unknown = null;
      try {
        openFileStorage(dir).storage.close();
      } catch (e) {
        err = e;
      }
      expect({ at, name: (err as Error | null)?.name }).toEqual({ at, name: "WalCorruptionError" });
      const problem = (err as WalCorruptionError).problem;
      expect({ at, file: problem.file, offset: problem.offset }).toEqual({
        at,
        file: path,
        offset: recordStart,
      });
      expect((err as Error).message).toContain(`${path} at byte offset ${recordStart}`);
      expect(readWalReport(dir).corruption).toEqual(problem);
    }
    writeFileSync(path, bytes);
    openFileStorage(dir).storage.close();
  });

  test("a bit flipped in the very last record is indistinguishable from a torn write: cut and reported", () => {
    const dir = tempDir();
    const { path, bytes, written } = buildWal(dir);
    const lastStart = written.at(-2)!.end;
    const damaged = bytes.slice();
    damaged[bytes.length - 1]! ^= 0x10;
    writeFileSync(path, damaged);
    const { storage, recovery } = openFileStorage(dir);
    expect(recovery.tornTail).toMatchObject({ file: path, offset: lastStart });
    storage.close();
  });

  test("a torn record at the end of a segment that is not the last is refused", () => {
    const dir = tempDir();
    const { storage } = openFileStorage(dir, { peers: [1], segmentBytes: 400 });
    for (let i = 1; i <= 40; i++) storage.append([ent(i, 1, 20)]);
    storage.sync();
    storage.close();
    const segs = readdirSync(dir)
      .filter((n) => n.endsWith(".log"))
      .sort();
    expect(segs.length).toBeGreaterThan(2);
    const first = join(dir, segs[0]!);
    const size = statSync(first).size;
    writeFileSync(first, readFileSync(first).subarray(0, size - 3));
    expect(() => openFileStorage(dir)).toThrow(/not the last segment/);
    // A second damaged segment: the offline reader lists both, not only the first.
    const third = join(dir, segs[2]!);
    const damaged = new Uint8Array(readFileSync(third));
    damaged[30]! ^= 1;
    writeFileSync(third, damaged);
    expect(readWalReport(dir).crcErrors.map((p) => p.file)).toEqual([first, third]);
    const err = catchError(() => openFileStorage(dir)) as WalCorruptionError;
    expect(err.problem.file).toBe(first);
    expect(err.problem.offset).toBeLessThan(size - 3);
  });

  test("a missing middle segment breaks the crc chain and is refused", () => {
    const dir = tempDir();
    const { storage } = openFileStorage(dir, { peers: [1], segmentBytes: 400 });
    storage.append(range(1, 40, 1, 20));
    storage.sync();
    storage.close();
    const segs = readdirSync(dir)
      .filter((n) => n.endsWith(".log"))
      .sort();
    unlinkSync(join(dir, segs[1]!));
    const err = catchError(() => openFileStorage(dir)) as WalCorruptionError;
    expect(err.problem).toMatchObject({ file: join(dir, segs[2]!), offset: 0 });
    expect(err.message).toMatch(/crc chain broken/);
    expect(readWalReport(dir).crcErrors).toEqual([]); // each remaining segment is intact on its own
  });

  test("a WAL whose first segment is gone (no checkpoint to start from) is refused", () => {
    const dir = tempDir();
    const { storage } = openFileStorage(dir, { peers: [1], segmentBytes: 400 });
    storage.append(range(1, 40, 1, 20));
    storage.sync();
    storage.close();
    const segs = readdirSync(dir)
      .filter((n) => n.endsWith(".log"))
      .sort();
    unlinkSync(join(dir, segs[0]!));
    const err = catchError(() => openFileStorage(dir)) as WalCorruptionError;
    expect(err.problem.file).toBe(join(dir, segs[1]!));
    expect(err.message).toMatch(/does not start with a checkpoint/);
  });

  test("a missing or damaged snapshot file is refused, naming it", () => {
    const dir = tempDir();
    const { storage } = openFileStorage(dir, { peers: [1] });
    storage.append(range(1, 10, 1));
    storage.createSnapshot(6, new Uint8Array([1, 2, 3, 4]));
    storage.compact(6);
    storage.close();
    const snapPath = join(dir, "snap-0000000000000006.snap");
    const good = new Uint8Array(readFileSync(snapPath));
    const damaged = good.slice();
    damaged[30]! ^= 4;
    writeFileSync(snapPath, damaged);
    expect(() => openFileStorage(dir)).toThrow(/snap-0000000000000006\.snap.*crc mismatch/);
    rmSync(snapPath);
    expect(() => openFileStorage(dir)).toThrow(/snap-0000000000000006\.snap.*cannot read/);
    writeFileSync(snapPath, good);
    expect(openFileStorage(dir).storage.snapshot().data).toEqual(new Uint8Array([1, 2, 3, 4]));
  });
});

describe("crash windows of checkpoints and snapshots", () => {
  test("a crash after a checkpoint segment is created but before old segments are deleted", () => {
    const dir = tempDir();
    const { storage } = openFileStorage(dir, { peers: [1], segmentBytes: 600 });
    storage.append(range(1, 30, 1, 20));
    storage.setHardState({ term: 1, vote: 1, commit: 30 });
    storage.createSnapshot(25, new Uint8Array([25]));
    storage.sync();
    const old = new Map(
      readdirSync(dir).map((n) => [n, new Uint8Array(readFileSync(join(dir, n)))]),
    );
    storage.compact(20);
    storage.close();
    for (const [n, b] of old) writeFileSync(join(dir, n), b); // the deletions never happened
    const { storage: s, recovery } = openFileStorage(dir);
    expect([s.firstIndex(), s.lastIndex(), s.snapshot().index]).toEqual([21, 30, 25]);
    expect(s.entries(21, 31)).toEqual(range(21, 30, 1, 20));
    expect(recovery.tornTail).toBeNull();
    const oldSegments = [...old.keys()].filter((n) => n.endsWith(".log")).sort();
    expect(recovery.removedFiles).toEqual(oldSegments);
    expect(readdirSync(dir).filter((n) => n.endsWith(".log")).length).toBe(1);
    s.close();
  });

  test("a snapshot file whose WAL record never reached the disk is removed; the older snapshot stays", () => {
    const dir = tempDir();
    const { storage } = openFileStorage(dir, { peers: [1] });
    storage.append(range(1, 10, 1));
    storage.createSnapshot(4, new Uint8Array([4]));
    storage.sync();
    const seg = join(dir, readdirSync(dir).find((n) => n.endsWith(".log"))!);
    const syncedBytes = statSync(seg).size;
    storage.createSnapshot(8, new Uint8Array([8]));
    storage.close();
    writeFileSync(seg, readFileSync(seg).subarray(0, syncedBytes)); // the record was lost
    const { storage: s, recovery } = openFileStorage(dir);
    expect(s.snapshot()).toMatchObject({ index: 4, data: new Uint8Array([4]) });
    expect(recovery.removedFiles).toEqual(["snap-0000000000000008.snap"]);
    expect(readdirSync(dir).filter((n) => n.endsWith(".snap"))).toEqual([
      "snap-0000000000000004.snap",
    ]);
    s.close();
  });
});

function catchError(f: () => unknown): unknown {
  try {
    f();
  } catch (e) {
    return e;
  }
  throw new Error("expected an error");
}
