/**
 * Child process of test/raft.wal.crash.test.ts: appends batches of entries to
 * a FileStorage forever (batch sizes from --seed), and after each sync()
 * prints "acked <lastIndex>" on stdout. Every 64 entries it takes a snapshot
 * and compacts, so a kill can also land while a checkpoint segment or a
 * snapshot file is being made. Entry data is ent(index, 1, 16), so the
 * parent can check contents without being told them.
 * usage: bun test/raft.wal.writer.ts DIR SEED
 */
import { Rng } from "../impl/core/rng.ts";
import { openFileStorage } from "../impl/raft/wal/index.ts";
import { ent } from "./raft.wal.helpers.ts";

const MAX_BATCH_ENTRIES = 16;
const SNAPSHOT_EVERY_ENTRIES = 64;
const MAX_ENTRIES = 1_000_000; // a bound on the loop; the parent kills us long before

const [dir, seedText] = process.argv.slice(2);
if (!dir || seedText === undefined) {
  console.error("usage: bun test/raft.wal.writer.ts DIR SEED");
  process.exit(2);
}
const rng = new Rng(Number(seedText));
const { storage, recovery } = openFileStorage(dir, { peers: [1], segmentBytes: 4096 });
console.log(
  `open last=${recovery.lastIndex} torn=${recovery.tornTail ? recovery.tornTail.offset : "none"}`,
);
let next = storage.lastIndex() + 1;
let nextSnapshot = next + SNAPSHOT_EVERY_ENTRIES;
while (next < MAX_ENTRIES) {
  const n = 1 + rng.int(MAX_BATCH_ENTRIES);
  const batch = [];
  for (let i = 0; i < n; i++) batch.push(ent(next + i, 1, 16));
  storage.append(batch);
  next += n;
  storage.setHardState({ term: 1, vote: 1, commit: next - 1 });
  storage.sync();
  process.stdout.write(`acked ${next - 1}\n`); // only after the sync returned
  if (next >= nextSnapshot) {
    storage.createSnapshot(next - 1, new Uint8Array([next & 0xff]));
    storage.compact(Math.max(storage.firstIndex() - 1, next - 1 - 8));
    nextSnapshot = next + SNAPSHOT_EVERY_ENTRIES;
  }
}
