/**
 * What the two MessagePort baselines share (impl/queue/message-port.ts moves
 * transferred batches, impl/queue/message-port-object.ts one cloned object per
 * event): one MessageChannel per producer, credit-based flow control, a
 * consumer that drains the producers' ports fairly and synchronously, the
 * blocking pushBatch/popBatch loops over each end's try-calls, and the
 * registration (same capabilities).
 *
 * Synchronous receive: the consumer calls `receiveMessageOnPort` from
 * node:worker_threads, which Bun supports for MessageChannel ports (checked:
 * same-thread and across Workers, ports transferred inside the handle's state,
 * messages posted just before the sender's port.close() still arrive). That is
 * what lets popBatch work inside a Worker busy in a loop, like every other
 * queue. To wait without burning a core, the consumer parks on a doorbell
 * cell in a SharedArrayBuffer that producers ring after posting, only when the
 * consumer registered as a sleeper (impl/queue/wait.ts). A user who wanted the
 * strongest MessagePort pipeline in a blocking Worker would do exactly this;
 * the alternative (returning to the event loop and reacting to `onmessage`)
 * cannot serve a synchronous pop at all.
 *
 * Bound: capacitySlots credits per producer (impl/queue/message-port-layout.ts),
 * so a fast producer cannot grow the consumer's port queue without limit.
 * tryPush fails, and pushBatch waits, when a producer has no credit; a
 * producer that runs out of credit first posts its partial batch, so the
 * records holding the credit can reach the consumer and earn it back.
 *
 * Handles: each end's handle carries MessagePorts, which can be transferred
 * once, so each producerHandle(i) and the consumerHandle() may be taken once.
 */
import { receiveMessageOnPort } from "node:worker_threads";
import { assert, assertIntInRange } from "../core/assert.ts";
import {
  END_OF_STREAM,
  type QueueConfig,
  type QueueConsumer,
  type QueueEndHandle,
  type QueueEnds,
  type QueueProducer,
} from "../core/contracts.ts";
import type { QueueRegistration } from "../core/registry.ts";
import * as L from "./message-port-layout.ts";
import { notifySleepers, ringDoorbell, Waiter } from "./wait.ts";

/** Creates the channels and flow-control buffer of a MessagePort queue named `kind`. */
export function createPortQueue(kind: string, config: QueueConfig): QueueEnds {
  const flow = new SharedArrayBuffer(L.flowControlBytes(config.producers));
  const cells = new Int32Array(flow);
  const channels = Array.from({ length: config.producers }, () => new MessageChannel());
  for (let p = 0; p < config.producers; p++)
    Atomics.store(cells, L.creditsIdx(p), config.capacitySlots);
  const producerTaken = new Array<boolean>(config.producers).fill(false);
  let consumerTaken = false;
  return {
    config,
    producerHandle(producerIndex: number): QueueEndHandle {
      assertIntInRange("producerIndex", producerIndex, 0, config.producers - 1);
      assert(
        !producerTaken[producerIndex],
        () =>
          `${kind}: producerHandle(${producerIndex}) was already taken (its MessagePort transfers once)`,
      );
      producerTaken[producerIndex] = true;
      const port = channels[producerIndex]!.port1;
      return { kind, role: "producer", producerIndex, config, state: { flow, port } };
    },
    consumerHandle(): QueueEndHandle {
      assert(
        !consumerTaken,
        () =>
          `${kind}: consumerHandle() was already taken (its MessagePorts transfer once; multiConsumer is false)`,
      );
      consumerTaken = true;
      const ports = channels.map((ch) => ch.port2);
      return { kind, role: "consumer", producerIndex: 0, config, state: { flow, ports } };
    },
  };
}

function flowOf(h: QueueEndHandle): Int32Array {
  const flow = h.state.flow;
  assert(
    flow instanceof SharedArrayBuffer,
    `${h.kind}: handle.state.flow is not a SharedArrayBuffer`,
  );
  assert(
    flow.byteLength === L.flowControlBytes(h.config.producers),
    `${h.kind}: flow buffer size does not match config.producers`,
  );
  return new Int32Array(flow);
}

/** Producer side: the port, the credit cell, the doorbell. Owner: the producer's thread. */
export class PortSender {
  readonly port: MessagePort;
  private readonly cells: Int32Array;
  private readonly creditsIdx: number;
  private readonly sleepersIdx: number;
  private readonly waiter: Waiter;
  /** Credit taken from the shared cell and not yet spent. */
  private credit = 0;
  private readonly hasCredit = (): boolean => Atomics.load(this.cells, this.creditsIdx) > 0;
  closed = false;

  constructor(h: QueueEndHandle) {
    const port = h.state.port;
    assert(
      port instanceof MessagePort,
      `${h.kind}: producer handle.state.port is not a MessagePort`,
    );
    this.port = port;
    this.cells = flowOf(h);
    this.creditsIdx = L.creditsIdx(h.producerIndex);
    this.sleepersIdx = L.creditSleepersIdx(h.producerIndex);
    this.waiter = new Waiter(h.config.waitStrategy, h.config.spinUs);
  }

  /** Takes up to `want` credits; returns how many (0 when none are left). */
  take(want: number): number {
    if (this.credit === 0) this.credit = Atomics.exchange(this.cells, this.creditsIdx, 0);
    const n = Math.min(want, this.credit);
    this.credit -= n;
    return n;
  }

  /** Waits per the wait strategy until the consumer returned some credit or `timeoutMs` passed. */
  waitForCredit(timeoutMs: number): boolean {
    if (this.credit > 0) return true;
    return this.waiter.waitFor(
      this.cells,
      this.creditsIdx,
      this.sleepersIdx,
      this.hasCredit,
      timeoutMs,
    );
  }

  /** Posts `message` (transferring `transfer`) and rings the consumer's doorbell. */
  post(message: unknown, transfer: ArrayBuffer[] | null): void {
    if (transfer) this.port.postMessage(message, transfer);
    else this.port.postMessage(message);
    ringDoorbell(this.cells, L.DOORBELL, L.DOORBELL_SLEEPERS);
  }

  /** Posts the end marker and closes the port (messages already posted still arrive). */
  end(): void {
    this.closed = true;
    this.post(L.END_MARKER, null);
    this.port.close();
  }
}

/**
 * Consumer side: polls the producers' ports round robin (one message per
 * producer per turn, so no producer starves another), returns credits, counts
 * end markers, and waits on the doorbell. Owner: the consumer's thread.
 */
export class PortInbox {
  private readonly ports: MessagePort[];
  private readonly live: boolean[];
  private readonly cells: Int32Array;
  private readonly waiter: Waiter;
  private liveCount: number;
  private next = 0;
  /** The last message received and the producer that sent it (set by receive()). */
  message: unknown = null;
  producer = -1;

  constructor(h: QueueEndHandle) {
    const ports = h.state.ports;
    assert(
      Array.isArray(ports) &&
        ports.length === h.config.producers &&
        ports.every((p) => p instanceof MessagePort),
      `${h.kind}: consumer handle.state.ports is not one MessagePort per producer`,
    );
    this.ports = ports as MessagePort[];
    this.live = this.ports.map(() => true);
    this.liveCount = this.ports.length;
    this.cells = flowOf(h);
    this.waiter = new Waiter(h.config.waitStrategy, h.config.spinUs);
  }

  /** Every producer has sent its end marker. */
  allEnded(): boolean {
    return this.liveCount === 0;
  }

  /** Receives the next data message from the next producer in turn into message/producer; false when no port has one. */
  receive(): boolean {
    const n = this.ports.length;
    for (let i = 0; i < n && this.liveCount > 0; i++) {
      const p = this.next;
      this.next = p + 1 === n ? 0 : p + 1;
      if (!this.live[p]) continue;
      const got = receiveMessageOnPort(this.ports[p]!);
      if (got === undefined) continue;
      if (got.message === L.END_MARKER) {
        this.live[p] = false;
        this.liveCount--;
        this.ports[p]!.close();
        i = -1; // an end marker is not data: go round again
        continue;
      }
      this.message = got.message;
      this.producer = p;
      return true;
    }
    return false;
  }

  /** Gives `n` credits back to `producer` (the publishing store of freed capacity) and wakes it if it parked. */
  returnCredits(producer: number, n: number): void {
    const idx = L.creditsIdx(producer);
    Atomics.add(this.cells, idx, n);
    notifySleepers(this.cells, idx, L.creditSleepersIdx(producer));
  }

  /** Parks on the doorbell per the wait strategy until `ready()` (made once by the caller) holds or `timeoutMs` passes. */
  waitUntil(ready: () => boolean, timeoutMs: number): boolean {
    return this.waiter.waitFor(this.cells, L.DOORBELL, L.DOORBELL_SLEEPERS, ready, timeoutMs);
  }
}

/** What pushBatchWithCredit needs of a port producer end. */
export interface PortTryPusher {
  readonly recordBytes: number;
  tryPushBatch(src: Uint8Array, srcOffset: number, count: number): number;
}

/**
 * pushBatch of both port producers: pushes what its credit allows, then waits
 * for credit and pushes more until all `count` records are in or `timeoutMs`
 * passed (the deadline bounds the loop). Runs once per pushBatch call, not per record.
 */
export function pushBatchWithCredit(
  end: PortTryPusher,
  sender: PortSender,
  src: Uint8Array,
  srcOffset: number,
  count: number,
  timeoutMs: number,
): number {
  const deadlineMs = performance.now() + timeoutMs;
  let pushed = end.tryPushBatch(src, srcOffset, count);
  while (pushed < count) {
    const remainingMs = deadlineMs - performance.now();
    if (!(remainingMs > 0) || !sender.waitForCredit(remainingMs)) break;
    pushed += end.tryPushBatch(src, srcOffset + pushed * end.recordBytes, count - pushed);
  }
  return pushed;
}

/** What popBatchOrPark needs of a port consumer end. */
export interface PortTryPopper {
  tryPopBatch(dst: Uint8Array, dstOffset: number, max: number): number;
}

/**
 * popBatch of both port consumers: pops what has arrived, else parks on the
 * doorbell until `ready` (the end's made-once predicate) holds, and tries
 * again; END_OF_STREAM once every producer ended, 0 once `timeoutMs` passed.
 * Runs once per popBatch call, not per record.
 */
export function popBatchOrPark(
  end: PortTryPopper,
  inbox: PortInbox,
  ready: () => boolean,
  dst: Uint8Array,
  dstOffset: number,
  max: number,
  timeoutMs: number,
): number {
  const deadlineMs = performance.now() + timeoutMs;
  for (;;) {
    const n = end.tryPopBatch(dst, dstOffset, max);
    if (n > 0) return n;
    if (inbox.allEnded()) return END_OF_STREAM;
    const remainingMs = deadlineMs - performance.now();
    if (!(remainingMs > 0) || !inbox.waitUntil(ready, remainingMs)) return 0;
  }
}

/** The registration of a MessagePort queue kind: both share channels, credits and capabilities. */
export function portQueueRegistration(
  name: string,
  description: string,
  openProducer: (h: QueueEndHandle) => QueueProducer,
  openConsumer: (h: QueueEndHandle) => QueueConsumer,
): QueueRegistration {
  return {
    kind: "queue",
    name,
    description,
    capabilities: {
      multiProducer: true,
      multiConsumer: false,
      blocking: true,
      spans: false,
      deferredPublish: false,
    },
    create: (config: QueueConfig) => createPortQueue(name, config),
    openProducer,
    openConsumer,
  };
}
