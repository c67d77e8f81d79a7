/**
 * Worker side of the wakeup experiment: "ping" sends one record and waits for
 * the echo (round-trip latency into an HDR histogram), "pong" echoes, "load"
 * burns a core until STOP. Ping and pong report their own thread's CPU time
 * between GO and the end (thread-cpu.ts).
 */
import * as hdr from "hdr-histogram-js";
import "../../impl/index.ts";
import { monoNowNs } from "../../impl/core/clock.ts";
import { END_OF_STREAM } from "../../impl/core/contracts.ts";
import { openConsumer, openProducer } from "../../impl/core/registry.ts";
import { C_GO, C_STOP, SLICE_MS, type WakeupInit, type WakeupReport } from "./protocol.ts";
import { threadCpuS } from "./thread-cpu.ts";

declare const self: Worker;
const MAX_TRACKED_NS = 3_600_000_000_000;
/** Round trips between two reads of the clock against the deadline. */
const DEADLINE_CHECK_EVERY = 16;

function post(r: WakeupReport): void {
  self.postMessage(r);
}

function waitGo(cells: Int32Array): void {
  while (Atomics.load(cells, C_GO) === 0 && Atomics.load(cells, C_STOP) === 0)
    Atomics.wait(cells, C_GO, 0, SLICE_MS);
}

function load(cells: Int32Array): void {
  let x = 1;
  while (Atomics.load(cells, C_STOP) === 0) {
    for (let i = 0; i < 1_000_000; i++) x = (Math.imul(x, 1664525) + 1013904223) | 0;
  }
  if (x === 42) console.log(""); // keeps the loop's result observable
}

function ping(init: Extract<WakeupInit, { role: "ping" }>, cells: Int32Array): void {
  const producer = openProducer(init.out);
  const consumer = openConsumer(init.in);
  const buf = new Uint8Array(init.out.config.recordBytes);
  const words = new Uint32Array(buf.buffer);
  const hist = hdr.build({
    lowestDiscernibleValue: 1,
    highestTrackableValue: MAX_TRACKED_NS,
    numberOfSignificantValueDigits: 3,
    autoResize: false,
  });
  const gapMs = init.gapUs / 1000;
  const sleepCell = new Int32Array(new SharedArrayBuffer(4));
  post({ type: "ready" });
  waitGo(cells);
  const cpu0 = threadCpuS();
  const t0 = monoNowNs();
  const deadline = t0 + init.durationMs * 1e6;
  let rt = 0;
  while (rt < init.maxRoundTrips && Atomics.load(cells, C_STOP) === 0) {
    if (gapMs > 0) Atomics.wait(sleepCell, 0, 0, gapMs); // idle time: lets the other side fall asleep
    words[1] = rt;
    const sent = monoNowNs();
    while (producer.pushBatch(buf, 0, 1, SLICE_MS) === 0)
      if (Atomics.load(cells, C_STOP) !== 0) break;
    let got = 0;
    while ((got = consumer.popBatch(buf, 0, 1, SLICE_MS)) === 0)
      if (Atomics.load(cells, C_STOP) !== 0) break;
    if (got !== 1) break;
    const now = monoNowNs();
    if (words[1] !== rt) throw new Error(`echo carried round trip ${words[1]}, expected ${rt}`);
    hist.recordValue(Math.max(1, now - sent));
    rt++;
    if (rt % DEADLINE_CHECK_EVERY === 0 && now > deadline) break;
  }
  const elapsedNs = monoNowNs() - t0;
  const cpu1 = threadCpuS();
  producer.close();
  post({
    type: "ping-done",
    roundTrips: rt,
    elapsedNs,
    latencyNs:
      rt > 0
        ? {
            p50: hist.getValueAtPercentile(50),
            p99: hist.getValueAtPercentile(99),
            p999: hist.getValueAtPercentile(99.9),
            max: hist.maxValue,
          }
        : null,
    cpuS: cpu0 === null || cpu1 === null ? null : cpu1 - cpu0,
  });
}

function pong(init: Extract<WakeupInit, { role: "pong" }>, cells: Int32Array): void {
  const producer = openProducer(init.out);
  const consumer = openConsumer(init.in);
  const buf = new Uint8Array(init.out.config.recordBytes);
  post({ type: "ready" });
  waitGo(cells);
  const cpu0 = threadCpuS();
  while (Atomics.load(cells, C_STOP) === 0) {
    const got = consumer.popBatch(buf, 0, 1, SLICE_MS);
    if (got === END_OF_STREAM) break;
    if (got === 0) continue;
    while (producer.pushBatch(buf, 0, 1, SLICE_MS) === 0)
      if (Atomics.load(cells, C_STOP) !== 0) break;
  }
  const cpu1 = threadCpuS();
  producer.close();
  post({ type: "pong-done", cpuS: cpu0 === null || cpu1 === null ? null : cpu1 - cpu0 });
}

self.onmessage = (e: MessageEvent<WakeupInit>) => {
  const init = e.data;
  const cells = new Int32Array(init.control);
  try {
    if (init.role === "load") {
      post({ type: "ready" });
      load(cells);
    } else if (init.role === "ping") ping(init, cells);
    else pong(init, cells);
  } catch (err) {
    post({
      type: "error",
      message: err instanceof Error ? (err.stack ?? err.message) : String(err),
    });
  }
};
