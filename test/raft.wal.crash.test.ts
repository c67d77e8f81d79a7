/**
 * Crash durability of the file WAL with real processes: a child
 * (test/raft.wal.writer.ts) appends, syncs and only then prints "acked N";
 * the parent kills it with SIGKILL (kill -9) at a seeded moment, reopens the
 * directory and checks that every acknowledged entry is there with its
 * content, the synced hard state is not older than the last ack, and the WAL
 * reads clean offline (a torn tail, if any, is reported, never corruption).
 * Then it restarts the writer on the same directory (recovery after a crash
 * must also accept new writes). Figure 2: persistent state is updated on
 * stable storage before responding to RPCs. 4 kill points by default, 20
 * with STRESS=1.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { Rng } from "../impl/core/rng.ts";
import { openFileStorage, readWalReport } from "../impl/raft/wal/index.ts";
import { cleanupDirs, ent, tempDir } from "./raft.wal.helpers.ts";

afterAll(cleanupDirs);

const WRITER = join(import.meta.dir, "raft.wal.writer.ts");
const KILL_POINTS = process.env.STRESS === "1" ? 20 : 4;
const SEED = Number(process.env.SEED ?? 9);
/** The writer is killed after this many acks at most (seeded per kill point). */
const MAX_ACKS_BEFORE_KILL = 150;

/** Runs the writer until `acks` acknowledgements were read, then SIGKILLs it; returns the last acked index. */
async function runAndKill(dir: string, seed: number, acks: number): Promise<number> {
  const child = Bun.spawn([process.execPath, WRITER, dir, String(seed)], {
    stdout: "pipe",
    stderr: "pipe",
  });
  const decoder = new TextDecoder();
  let buffered = "";
  let lastAcked = 0;
  let seen = 0;
  for await (const chunk of child.stdout) {
    buffered += decoder.decode(chunk);
    const lines = buffered.split("\n");
    buffered = lines.pop()!;
    for (const line of lines) {
      const m = /^acked (\d+)$/.exec(line);
      if (!m) continue;
      lastAcked = Number(m[1]);
      seen++;
    }
    if (seen >= acks) break;
  }
  child.kill("SIGKILL");
  await child.exited;
  if (seen < acks)
    throw new Error(`writer exited early: ${await new Response(child.stderr).text()}`);
  expect(child.signalCode).toBe("SIGKILL");
  return lastAcked;
}

describe("kill -9 after an acknowledged sync: the synced data survives", () => {
  test(`seed ${SEED}: ${KILL_POINTS} kill points, each followed by a restart of the writer`, async () => {
    console.log(`raft.wal.crash seed=${SEED} killPoints=${KILL_POINTS}`);
    const rng = new Rng(SEED);
    const dir = tempDir("crash");
    let ackedTotal = 0;
    let checkedEntries = 0;
    let tornTails = 0;
    for (let k = 0; k < KILL_POINTS; k++) {
      const acks = 1 + rng.int(MAX_ACKS_BEFORE_KILL);
      const lastAcked = await runAndKill(dir, rng.nextU32(), acks);
      const report = readWalReport(dir);
      expect({ k, corruption: report.corruption }).toEqual({ k, corruption: null });
      const { storage } = openFileStorage(dir);
      expect(storage.lastIndex()).toBeGreaterThanOrEqual(lastAcked);
      expect(storage.hardState.commit).toBeGreaterThanOrEqual(lastAcked);
      // Acked entries are in the log, or below it and covered by the snapshot (the child may
      // have snapshotted and compacted past our last read ack before the kill landed).
      const from = storage.firstIndex();
      expect(storage.entries(from, Math.max(from, lastAcked + 1))).toEqual(
        Array.from({ length: Math.max(0, lastAcked + 1 - from) }, (_, i) => ent(from + i, 1, 16)),
      );
      // Compaction never passes the snapshot, and the snapshot file holds what the writer put there.
      const snap = storage.snapshot();
      expect(snap.index).toBeGreaterThanOrEqual(from - 1);
      if (snap.index > 0) expect(snap.data).toEqual(new Uint8Array([(snap.index + 1) & 0xff]));
      storage.close();
      ackedTotal += acks;
      checkedEntries += Math.max(0, lastAcked + 1 - from);
      if (report.tornTail) tornTails++;
    }
    expect(ackedTotal).toBeGreaterThan(KILL_POINTS);
    console.log(
      `acked syncs ${ackedTotal}, acked entries checked ${checkedEntries}, torn tails seen ${tornTails}, lost 0`,
    );
  });
});
