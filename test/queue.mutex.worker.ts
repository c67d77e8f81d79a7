/**
 * Test worker for test/queue.mutex.test.ts and test/queue.message-port.test.ts,
 * spawned through test/support/mpmc-workers.ts
 * (multi-producer, and for mutex multi-consumer, across real Workers). Producer: pushes pattern records (producerIndex,
 * 0..count-1) in seeded random batch sizes, then closes. Consumer: pops in
 * seeded random batch sizes until END_OF_STREAM, checks each record's payload
 * and that, for each producer, the sequences it sees only increase (a FIFO
 * popped by one thread keeps each producer's order), and counts every id it
 * receives in the shared `seen` array so the test can find loss/duplication
 * across consumers.
 */
import "../impl/index.ts";
import {
  checkPatternRecord,
  END_OF_STREAM,
  openConsumer,
  openProducer,
  type QueueEndHandle,
  RecordWords,
  Rng,
  writePatternRecord,
} from "../impl/core/index.ts";

declare const self: Worker;

export interface MpmcWorkerInit {
  handle: QueueEndHandle;
  seed: number;
  eventsPerProducer: number;
  batchMax: number;
  /** Uint8 per (producer, sequence): how many times a consumer received it. */
  seen: SharedArrayBuffer;
  /** A hung run ends here instead of blocking the test run forever. */
  timeoutMs: number;
}

export interface MpmcWorkerReport {
  role: "producer" | "consumer";
  records: number;
  errors: string[];
}

const MAX_ERRORS = 10;

function produce(init: MpmcWorkerInit): MpmcWorkerReport {
  const h = init.handle;
  const rb = h.config.recordBytes;
  const p = openProducer(h);
  const rng = new Rng(init.seed);
  const buf = new Uint8Array(init.batchMax * rb);
  const words = new RecordWords(buf.buffer);
  const errors: string[] = [];
  const deadlineMs = performance.now() + init.timeoutMs;
  let seq = 0;
  while (seq < init.eventsPerProducer) {
    const n = Math.min(rng.intBetween(1, init.batchMax), init.eventsPerProducer - seq);
    for (let i = 0; i < n; i++) writePatternRecord(words, i * rb, rb, h.producerIndex, seq + i, 0);
    // Half the pushes block, half try (and retry from where they stopped).
    let done = 0;
    while (done < n) {
      done += rng.chance(0.5)
        ? p.pushBatch(buf, done * rb, n - done, init.timeoutMs)
        : p.tryPushBatch(buf, done * rb, n - done);
      if (done < n && performance.now() > deadlineMs) {
        errors.push(`producer ${h.producerIndex} timed out after ${seq + done} records`);
        return { role: "producer", records: seq + done, errors };
      }
    }
    seq += n;
  }
  p.close();
  return { role: "producer", records: seq, errors };
}

function consume(init: MpmcWorkerInit): MpmcWorkerReport {
  const h = init.handle;
  const rb = h.config.recordBytes;
  const c = openConsumer(h);
  const rng = new Rng(init.seed);
  const buf = new Uint8Array(init.batchMax * rb);
  const words = new RecordWords(buf.buffer);
  const seen = new Uint8Array(init.seen);
  const producers = h.config.producers;
  const lastSeq = new Float64Array(producers).fill(-1);
  const errors: string[] = [];
  const deadlineMs = performance.now() + init.timeoutMs;
  let records = 0;
  for (;;) {
    const n = c.popBatch(buf, 0, rng.intBetween(1, init.batchMax), 100);
    if (n === END_OF_STREAM) break;
    if (n === 0 && performance.now() > deadlineMs) {
      errors.push(`consumer timed out after ${records} records`);
      break;
    }
    for (let i = 0; i < n; i++) {
      const off = i * rb;
      const bad = checkPatternRecord(words, off, rb);
      const pid = words.producerId(off);
      const s = words.sequence(off);
      if (bad) errors.push(bad);
      else if (pid >= producers || s >= init.eventsPerProducer) errors.push(`bad id ${pid}/${s}`);
      else {
        if (s <= lastSeq[pid]!) errors.push(`producer ${pid}: ${s} after ${lastSeq[pid]}`);
        lastSeq[pid] = s;
        Atomics.add(seen, pid * init.eventsPerProducer + s, 1);
      }
      if (errors.length > MAX_ERRORS) return { role: "consumer", records, errors };
    }
    records += n;
  }
  return { role: "consumer", records, errors };
}

self.onmessage = (e: MessageEvent<MpmcWorkerInit>) => {
  const init = e.data;
  try {
    self.postMessage(init.handle.role === "producer" ? produce(init) : consume(init));
  } catch (err) {
    self.postMessage({ role: init.handle.role, records: 0, errors: [String(err)] });
  }
};
