/**
 * The node-floor measurement (impl/raft/sim/node-floor.ts): a recorded
 * speed load replays into fresh nodes as the same run (every node ends with
 * the recorded term, commit, last index and message count), a damaged
 * recording is caught as a divergence, recording leaves RaftNode's methods
 * as they were, and a short measurement gives finite, positive figures.
 * No speed is asserted.
 */
import { expect, test } from "bun:test";
import { RaftNode } from "../impl/raft/node.ts";
import {
  freshHosts,
  measureNodeFloor,
  recordSpeedLoad,
  replayCalls,
  replayDivergence,
} from "../impl/raft/sim/node-floor.ts";

const WARMUP_MS = 2_000;
const MEASURE_MS = 3_000;

test("a recorded load replays as the same run, and leaves RaftNode's methods untouched", () => {
  const step = RaftNode.prototype.step;
  const ready = RaftNode.prototype.ready;
  const campaign = RaftNode.prototype.campaign;
  const rec = recordSpeedLoad(7, WARMUP_MS, MEASURE_MS);
  expect(RaftNode.prototype.step).toBe(step);
  expect(RaftNode.prototype.ready).toBe(ready);
  expect(RaftNode.prototype.campaign).toBe(campaign);
  expect(rec.windowEvents).toBeGreaterThan(0);
  expect(rec.outcomes.some((o) => o.lastIndex > 100)).toBe(true); // the clients' commands went in
  const hosts = freshHosts(rec);
  const messages = hosts.map(() => 0);
  replayCalls(rec, hosts, 0, rec.calls.length, 0, messages);
  expect(replayDivergence(rec, hosts, messages)).toBeNull();
});

test("a recording cut short is reported as a divergence", () => {
  const rec = recordSpeedLoad(7, WARMUP_MS, MEASURE_MS);
  rec.calls.length -= 2_000; // the last few events never replay
  const hosts = freshHosts(rec);
  const messages = hosts.map(() => 0);
  replayCalls(rec, hosts, 0, rec.calls.length, 0, messages);
  expect(replayDivergence(rec, hosts, messages)).toMatch(/^node \d ended .*, recorded /);
});

test("a short floor measurement gives finite positive figures", () => {
  const f = measureNodeFloor(3, WARMUP_MS, MEASURE_MS);
  expect(f.measureVirtualMs).toBe(MEASURE_MS);
  expect(f.windowEvents).toBeGreaterThan(0);
  expect(f.windowCalls).toBeGreaterThan(f.windowEvents);
  // Not > 0: the replay loop's time is subtracted, and on a window this short a pause can swamp it.
  expect(Number.isFinite(f.nodeWallMs) && Number.isFinite(f.nodeCpuMs)).toBe(true);
  expect(Number.isFinite(f.loopMs) && f.loopMs >= 0).toBe(true);
});

test("scripts/raft-node-floor.ts: a bad flag exits 2 naming it; a short run prints both speeds", async () => {
  const script = `${import.meta.dir}/../scripts/raft-node-floor.ts`;
  const run = (args: string[]) => Bun.spawnSync(["bun", script, ...args], { stderr: "pipe" });
  const bad = run(["--virtual-s", "0"]);
  expect(bad.exitCode).toBe(2);
  expect(bad.stderr.toString().trim()).toStartWith("raft-node-floor: --virtual-s (got 0): ");
  const ok = run(["--virtual-s", "20", "--warmup-s", "1", "--repeats", "1"]);
  expect(ok.exitCode).toBe(0);
  // A pause on a shared machine can swamp a short replay; the script then says so instead of a figure.
  expect(ok.stdout.toString()).toMatch(
    /repeat 1: whole simulator \d+x real time .*; node alone (\d+x real time|too short to time)/,
  );
});
