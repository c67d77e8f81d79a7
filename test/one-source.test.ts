/**
 * One source for each limit and default (issue 8): 2^32 as a named constant
 * lives only in impl/core/words.ts; the record sizes only in
 * impl/core/record.ts (RECORD_SIZES) and their schema only in
 * impl/core/contracts.ts (RecordBytesSchema), never a copied z.literal
 * union; every optional RaftConfig field is filled from RAFT_DEFAULTS by
 * resolveConfig (impl/raft/config.ts), the one place the node reads them.
 * How: source text scanned for the definitions; resolveConfig called on a
 * config that sets nothing optional.
 */
import { expect, test } from "bun:test";
import { join, relative, resolve } from "node:path";
import { Rng } from "../impl/core/rng.ts";
import { RAFT_DEFAULTS, resolveConfig } from "../impl/raft/config.ts";
import { MemoryStorage } from "../impl/raft/storage.ts";
import { readSource, tsFilesUnder } from "./support/imports.ts";

const ROOT = resolve(import.meta.dir, "..");
const SOURCES = ["impl", "experiments", "bench", "scripts", "test"].flatMap((d) =>
  tsFilesUnder(join(ROOT, d)).map((f) => ({ file: relative(ROOT, f), text: readSource(f) })),
);

function definedIn(pattern: RegExp): string[] {
  return SOURCES.filter((s) => pattern.test(s.text)).map((s) => s.file);
}

test("TWO_POW_32 is defined once (impl/core/words.ts)", () => {
  expect(definedIn(/\bconst TWO_POW_32\s*=/)).toEqual(["impl/core/words.ts"]);
});

test("record sizes: one list (record.ts), one schema (contracts.ts), no copied literal union", () => {
  expect(definedIn(/\bRECORD_SIZES\s*=\s*\[/)).toEqual(["impl/core/record.ts"]);
  expect(definedIn(/\bRecordBytesSchema\s*=/)).toEqual(["impl/core/contracts.ts"]);
  expect(definedIn(/z\.literal\(32\)/)).toEqual([]);
});

test("resolveConfig fills every optional RaftConfig field from RAFT_DEFAULTS", () => {
  const c = resolveConfig({
    id: 1,
    peers: [1, 2, 3],
    electionTicks: 10,
    heartbeatTicks: 1,
    rng: new Rng(1),
    storage: new MemoryStorage(),
  });
  const d = RAFT_DEFAULTS;
  expect(c.electionTicksMax).toBe(d.electionTicksMaxFactor * 10);
  expect({
    preVote: c.preVote,
    checkQuorum: c.checkQuorum,
    electionTimerReset: c.electionTimerReset,
    maxSizePerMsgBytes: c.maxSizePerMsgBytes,
    maxEntriesPerMsg: c.maxEntriesPerMsg,
    maxInflightMsgs: c.maxInflightMsgs,
    maxCommittedPerReady: c.maxCommittedPerReady,
    maxUncommittedEntries: c.maxUncommittedEntries,
  }).toEqual({
    preVote: d.preVote,
    checkQuorum: d.checkQuorum,
    electionTimerReset: d.electionTimerReset,
    maxSizePerMsgBytes: d.maxSizePerMsgBytes,
    maxEntriesPerMsg: d.maxEntriesPerMsg,
    maxInflightMsgs: d.maxInflightMsgs,
    maxCommittedPerReady: d.maxCommittedPerReady,
    maxUncommittedEntries: d.maxUncommittedEntries,
  });
  // The node reads no default of its own: none of these fallbacks is written in election.ts.
  const election = readSource(join(ROOT, "impl/raft/election.ts"));
  expect(election.match(/\?\?\s*(false|"etcd"|256|4096|65536|1 << 20|2 \* cfg)/g) ?? []).toEqual(
    [],
  );
});
