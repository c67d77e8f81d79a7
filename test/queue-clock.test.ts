/**
 * The workload's push-to-pop latency subtracts a timestamp written in one
 * Worker from a clock read in another, so monoNowNs() must share one origin
 * across Workers. Checks: a value read in a Worker started later lies between
 * two main-thread reads around the round trip (it would not with a per-VM
 * origin such as Bun's process.hrtime), and the clock never runs backwards.
 */
import { expect, test } from "bun:test";
import { monoNowNs, monoNowNsBig } from "../impl/core/clock.ts";

test("monoNowNs shares its origin across Workers", async () => {
  await Bun.sleep(50); // so a per-VM origin would put the Worker's reading >= 50 ms behind
  const worker = new Worker(new URL("./workers/queue-clock-reader.ts", import.meta.url));
  const before = monoNowNs();
  const inWorker = await new Promise<number>((resolve) => {
    worker.onmessage = (e: MessageEvent<number>) => resolve(e.data);
    worker.postMessage(0);
  });
  const after = monoNowNs();
  worker.terminate();
  expect(inWorker).toBeGreaterThanOrEqual(before);
  expect(inWorker).toBeLessThanOrEqual(after);
});

test("monoNowNs is monotonic and agrees with monoNowNsBig", () => {
  let last = monoNowNs();
  for (let i = 0; i < 10_000; i++) {
    const now = monoNowNs();
    expect(now >= last).toBe(true);
    last = now;
  }
  const big = Number(monoNowNsBig());
  expect(Math.abs(big - monoNowNs())).toBeLessThan(1e9);
});
