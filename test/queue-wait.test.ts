/**
 * Checks impl/queue/wait.ts: each strategy returns at once when the predicate
 * already holds, times out (false, within a loose bound) when it never holds,
 * leaves the sleeper count at zero, and is woken by a notifier in another
 * Worker (publishing store + notifySleepers, or ringDoorbell with an armed
 * cell, where repeated rings notify once) well before its timeout.
 */
import { describe, expect, test } from "bun:test";
import { WAIT_STRATEGIES } from "../impl/core/contracts.ts";
import { MAX_PARK_SLICE_MS, ringDoorbell, Waiter } from "../impl/queue/wait.ts";

describe.each(WAIT_STRATEGIES)("wait strategy %s", (strategy) => {
  test("ready at once", () => {
    const cells = new Int32Array(new SharedArrayBuffer(16));
    const w = new Waiter(strategy, 20);
    expect(w.waitFor(cells, 0, 1, () => true, 1000)).toBe(true);
    expect(Atomics.load(cells, 1)).toBe(0);
  });

  test("times out when never ready", () => {
    const cells = new Int32Array(new SharedArrayBuffer(16));
    const w = new Waiter(strategy, 20);
    const t0 = performance.now();
    expect(w.waitFor(cells, 0, 1, () => false, 30)).toBe(false);
    const ms = performance.now() - t0;
    expect(ms).toBeGreaterThanOrEqual(29);
    expect(ms).toBeLessThan(2000);
    expect(Atomics.load(cells, 1)).toBe(0);
    expect(w.waitFor(cells, 0, 1, () => false, 0)).toBe(false);
  });

  test("woken by another Worker's publish", async () => {
    const sab = new SharedArrayBuffer(16);
    const cells = new Int32Array(sab);
    const worker = new Worker(new URL("./workers/queue-wait-notifier.ts", import.meta.url));
    const done = new Promise((r) => {
      worker.onmessage = r;
    });
    worker.postMessage({ sab, delayMs: 20 });
    const w = new Waiter(strategy, 100);
    const ready = () => Atomics.load(cells, 0) === 1;
    const t0 = performance.now();
    expect(w.waitFor(cells, 0, 1, ready, 10_000)).toBe(true);
    // A wake-up by notify, not by the MAX_PARK_SLICE_MS (1 s) safety re-check.
    expect(performance.now() - t0).toBeLessThan(MAX_PARK_SLICE_MS - 100);
    expect(Atomics.load(cells, 1)).toBe(0);
    await done;
    worker.terminate();
  });
});

describe.each(["spin-then-park", "park"] as const)("armed doorbell, strategy %s", (strategy) => {
  test("woken by another Worker's ringDoorbell; only the first of several rings notifies", async () => {
    const sab = new SharedArrayBuffer(16);
    const cells = new Int32Array(sab);
    const worker = new Worker(new URL("./workers/queue-wait-notifier.ts", import.meta.url));
    const done = new Promise((r) => {
      worker.onmessage = r;
    });
    worker.postMessage({ sab, delayMs: 20, armed: true, rings: 5 });
    const w = new Waiter(strategy, 100);
    const ready = () => Atomics.load(cells, 3) === 1;
    const t0 = performance.now();
    expect(w.waitFor(cells, 0, 1, ready, 10_000, 2)).toBe(true);
    expect(performance.now() - t0).toBeLessThan(MAX_PARK_SLICE_MS - 100);
    await done;
    worker.terminate();
    expect(Atomics.load(cells, 1)).toBe(0);
    // at most one bump: the later rings found the bell disarmed
    expect(Atomics.load(cells, 0)).toBeLessThanOrEqual(1);
  });
});

test("ringDoorbell with an armed cell notifies once per arming", () => {
  const cells = new Int32Array(new SharedArrayBuffer(16));
  Atomics.store(cells, 1, 1); // a registered sleeper
  ringDoorbell(cells, 0, 1, 2);
  expect(Atomics.load(cells, 0)).toBe(0); // not armed: nothing
  Atomics.store(cells, 2, 1);
  ringDoorbell(cells, 0, 1, 2);
  ringDoorbell(cells, 0, 1, 2);
  expect(Atomics.load(cells, 0)).toBe(1);
  expect(Atomics.load(cells, 2)).toBe(0);
});

test("ringDoorbell bumps the cell only when a sleeper is registered", () => {
  const cells = new Int32Array(new SharedArrayBuffer(8));
  ringDoorbell(cells, 0, 1);
  expect(Atomics.load(cells, 0)).toBe(0);
  Atomics.store(cells, 1, 1);
  ringDoorbell(cells, 0, 1);
  expect(Atomics.load(cells, 0)).toBe(1);
});
