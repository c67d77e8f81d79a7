/**
 * The queue contract suite: every implementation in listImplementations("queue")
 * (so each newly registered queue is covered without editing this file), driven
 * through real Workers by runQueueWorkload (impl/queue/workload.ts): one Worker
 * per producer end and one for the consumer, records carrying (producer,
 * sequence) ids and pattern payloads.
 *
 * Every run asserts: no error, no timeout, eventsReceived = eventsSent, and
 * lost = duplicated = reordered = corrupted = 0 (the consumer checks
 * per-producer order and every payload byte). Runs cover: capacities 1, 2, 3,
 * 7, 64, 65536 with every record size 32/64/128/256 (rotated, with the mode,
 * producer count and wait strategy, so each value is hit), each mode
 * (single/batch/span where offered) at 1 and 4 producers (multi-producer
 * queues), batch sizes drawn by the seeded RNG, indices wrapping past 2^32
 * (initialSequence = 2^32 - 50, hundreds of laps), producers that close
 * without pushing (end-of-stream), and a run that times out returning instead
 * of hanging. The registry refuses spsc with producers = 2 naming fan-in, and
 * unsafe: true lets it run to completion. In-thread, every queue also moves
 * records through caller buffers that grow or shrink between calls (resizable
 * ArrayBuffer, growable SharedArrayBuffer, views at an offset) and must deliver
 * every byte or refuse the call (test/support/resizable-views.ts). Other
 * in-thread checks: queue.unit.test.ts.
 *
 * Seed: SEED env (default 20261126), printed. STRESS=1 adds 1e8 events per
 * queue implementation (batch mode, ids checked, payload checks off;
 * STRESS_EVENTS=n changes the count).
 */
import { describe, expect, test } from "bun:test";
import "../impl/index.ts";
import {
  createQueue,
  listImplementations,
  openConsumer,
  openProducer,
  type QueueRegistration,
  RECORD_SIZES,
  RecordWords,
  RegistryError,
  type WaitStrategy,
  writePatternRecord,
} from "../impl/core/index.ts";
import {
  runQueueWorkload,
  type WorkloadOptions,
  type WorkloadResult,
} from "../impl/queue/workload.ts";
import {
  checkGrownBuffers,
  checkShrunkBuffers,
  GROWABLE_KINDS,
} from "./support/resizable-views.ts";

const SEED = Number(process.env.SEED ?? 20261126);
const STRESS = process.env.STRESS === "1";
/** Events per queue under STRESS=1 (STRESS_EVENTS overrides, e.g. for a smoke run of the stress path). */
const STRESS_EVENTS = Number(process.env.STRESS_EVENTS ?? 1e8);
const CAPACITIES = [1, 2, 3, 7, 64, 65536] as const;
const RUN_TIMEOUT_MS = 60_000;
/**
 * Wait strategy per CAPACITIES entry: every strategy is used, and `spin` only
 * where handoffs are rare (capacity 64): at capacity 1-3 each record is a
 * handoff, and two spinning Workers on 2 busy cores mostly burn their slices.
 */
const STRATEGY_FOR_CAPACITY: readonly WaitStrategy[] = [
  "park",
  "spin-then-park",
  "park",
  "spin-then-park",
  "spin",
  "spin-then-park",
];
console.log(`queue contract suite: seed ${SEED}${STRESS ? ", STRESS" : ""}`);

type Mode = WorkloadOptions["mode"];
function modesOf(reg: QueueRegistration): Mode[] {
  return reg.capabilities.spans ? ["single", "batch", "span"] : ["single", "batch"];
}

function expectClean(r: WorkloadResult, what: string): void {
  const summary = JSON.stringify({ what, ...r, latencyNs: undefined });
  expect(r.errors, summary).toEqual([]);
  expect(r.timedOut, summary).toBe(false);
  expect(r.eventsReceived, summary).toBe(r.eventsSent);
  expect([r.lost, r.duplicated, r.reordered, r.corrupted], summary).toEqual([0, 0, 0, 0]);
}

async function run(
  queue: string,
  q: WorkloadOptions["queueOptions"],
  w: Partial<WorkloadOptions> & { eventsPerProducer: number },
): Promise<WorkloadResult> {
  return runQueueWorkload({
    queue,
    queueOptions: q,
    mode: "batch",
    batchRecords: 16,
    seed: SEED,
    timeoutMs: RUN_TIMEOUT_MS,
    batchJitter: true,
    checkPayload: true,
    ...w,
  });
}

for (const reg of listImplementations("queue")) {
  const multi = reg.capabilities.multiProducer;
  const modes = modesOf(reg);
  describe(`queue contract: ${reg.name}`, () => {
    test("capacities x record sizes (rotating mode, producers, wait strategy)", async () => {
      for (let i = 0; i < CAPACITIES.length; i++) {
        const capacitySlots = CAPACITIES[i]!;
        const recordBytes = RECORD_SIZES[i % RECORD_SIZES.length]!;
        const producers = multi ? 1 + (i % 4) : 1;
        const mode = modes[i % modes.length]!;
        const waitStrategy = STRATEGY_FOR_CAPACITY[i]!;
        const q = { capacitySlots, recordBytes, producers, waitStrategy };
        const r = await run(reg.name, q, {
          mode,
          eventsPerProducer: capacitySlots < 64 ? 600 : 4000,
        });
        expectClean(r, `${reg.name} ${JSON.stringify(q)} ${mode}`);
      }
      // i % 4 over six capacities pairs every record size with at least one capacity
    });

    test(`each mode at ${multi ? "1 and 4 producers" : "1 producer"}`, async () => {
      for (const mode of modes) {
        for (const producers of multi ? [1, 4] : [1]) {
          // publishEveryRecords: 8 on one run per mode (queues without it ignore it)
          const publishEveryRecords = producers === 1 ? 8 : 1;
          const q = { capacitySlots: 64, recordBytes: 64 as const, producers, publishEveryRecords };
          // batch mode runs header-only records (the bench's path): ids still checked
          const checkPayload = mode !== "batch";
          const r = await run(reg.name, q, {
            mode,
            batchRecords: 32,
            eventsPerProducer: 4000,
            checkPayload,
          });
          expectClean(r, `${reg.name} ${mode} producers=${producers}`);
          expect(r.producers).toBe(producers);
          expect(r.eventsSent).toBe(4000 * producers);
        }
      }
    });

    test("indices wrap past 2^32 (initialSequence = 2^32 - 50, many laps)", async () => {
      for (const capacitySlots of [7, 64]) {
        const q = { capacitySlots, initialSequence: 2 ** 32 - 50, producers: multi ? 2 : 1 };
        const eventsPerProducer = Math.max(3000, capacitySlots * 120);
        const r = await run(reg.name, q, { eventsPerProducer, batchRecords: 5 });
        expectClean(r, `${reg.name} wrap cap=${capacitySlots}`);
        expect(eventsPerProducer / capacitySlots).toBeGreaterThan(100); // laps of one ring
      }
    });

    test("producers that close without pushing give end-of-stream", async () => {
      const producers = multi ? 3 : 1;
      const r = await run(reg.name, { capacitySlots: 4, producers }, { eventsPerProducer: 0 });
      expectClean(r, `${reg.name} empty`);
      expect(r.eventsReceived).toBe(0);
    });

    test.skipIf(!multi)("one producer closes at once while another pushes (in-thread ends)", () => {
      const q = createQueue(reg.name, { capacitySlots: 8, producers: 2, recordBytes: 64 });
      const idle = openProducer(q.producerHandle(1));
      const busy = openProducer(q.producerHandle(0));
      const c = openConsumer(q.consumerHandle());
      idle.close();
      const buf = new Uint8Array(3 * 64);
      const words = new RecordWords(buf.buffer);
      for (let i = 0; i < 3; i++) writePatternRecord(words, i * 64, 64, 0, i, 0);
      expect(busy.pushBatch(buf, 0, 3, 1000)).toBe(3);
      expect(c.ended()).toBe(false);
      busy.close();
      const out = new Uint8Array(8 * 64);
      let got = 0;
      for (let tries = 0; tries < 100 && got < 3; tries++)
        got += Math.max(0, c.popBatch(out, got * 64, 8 - got, 100));
      expect(got).toBe(3);
      expect(c.popBatch(out, 0, 8, 1000)).toBe(-1);
    });

    for (const kind of GROWABLE_KINDS) {
      test(`caller buffer: a ${kind} grown between calls (whole and offset views)`, () => {
        checkGrownBuffers(reg.name, kind);
      });
    }

    test("caller buffer: a resizable ArrayBuffer shrunk between calls", () => {
      checkShrunkBuffers(reg.name);
    });

    test.if(STRESS)(
      `STRESS: ${STRESS_EVENTS} events`,
      async () => {
        const producers = multi ? 2 : 1;
        const r = await run(
          reg.name,
          { capacitySlots: 65536, producers },
          {
            eventsPerProducer: Math.ceil(STRESS_EVENTS / producers),
            batchRecords: 256,
            batchJitter: false,
            checkPayload: false,
            timeoutMs: 3_600_000,
          },
        );
        expectClean(r, `${reg.name} stress`);
        console.log(`${reg.name} stress: ${(r.throughputEventsPerS / 1e6).toFixed(1)}M events/s`);
      },
      3_700_000,
    );
  });
}

describe("registry wiring for spsc", () => {
  test("producers=2 is refused, naming fan-in", () => {
    expect(() => createQueue("spsc", { capacitySlots: 64, producers: 2 })).toThrow(RegistryError);
    expect(() => createQueue("spsc", { capacitySlots: 64, producers: 2 })).toThrow(/fan-in/);
  });

  test("unsafe: true lets 2 producers share the ring; the run still terminates", async () => {
    const r = await runQueueWorkload({
      queue: "spsc",
      queueOptions: { capacitySlots: 64, producers: 2, unsafe: true },
      eventsPerProducer: 20000,
      mode: "batch",
      batchRecords: 8,
      seed: SEED,
      timeoutMs: RUN_TIMEOUT_MS,
    });
    expect(r.timedOut).toBe(false);
    expect(r.producers).toBe(2);
    expect(r.eventsSent).toBe(40000);
    // Whatever the race did, every received record is accounted for.
    expect(r.eventsReceived).toBe(r.eventsSent - r.lost + r.duplicated + r.corrupted);
    console.log(
      `spsc unsafe 2P: lost ${r.lost}, duplicated ${r.duplicated}, reordered ${r.reordered}, corrupted ${r.corrupted}`,
    );
  });
});

test("a run that cannot finish in timeoutMs returns with an error instead of hanging", async () => {
  const t0 = performance.now();
  const r = await runQueueWorkload({
    queue: "spsc",
    queueOptions: { capacitySlots: 64 },
    eventsPerProducer: 1e8,
    mode: "single",
    batchRecords: 1,
    seed: SEED,
    timeoutMs: 300,
    checkPayload: false,
  });
  expect(r.timedOut).toBe(true);
  expect(r.errors.join(" ")).toMatch(/timeout/);
  expect(performance.now() - t0).toBeLessThan(30_000);
});
