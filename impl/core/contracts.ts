/**
 * The two swappable contracts: Allocator and Queue. Every implementation is
 * registered by name (registry.ts) and passes one contract test suite.
 *
 * Threads: "owner" below is the thread (main or Worker) that created or opened
 * an object. Nothing here is safe to call from two threads at once unless it
 * says so; cross-thread sharing happens only through the transferable handles.
 */
import { z } from "zod";
import type { EventFields } from "./record.ts";
import { DEFAULT_RECORD_BYTES, RECORD_SIZES } from "./record.ts";

// ---------------------------------------------------------------- allocator

/** What to do when a bounded pool has no free object. */
export type ExhaustionPolicy = "throw" | "grow";

/** One record size of RECORD_SIZES: the one schema every option, flag and CSV column uses. */
export const RecordBytesSchema = z.union(RECORD_SIZES.map((n) => z.literal(n)));

export const AllocatorOptionsSchema = z.object({
  /** Objects the pool holds (ignored by `naive`). Named maximum: MAX_POOL_OBJECTS. */
  capacity: z
    .number()
    .int()
    .min(1)
    .max(1 << 24)
    .default(65536),
  recordBytes: RecordBytesSchema.default(DEFAULT_RECORD_BYTES),
  /** `throw` (default) raises PoolExhaustedError; `grow` doubles the pool up to the maximum. */
  onExhausted: z.enum(["throw", "grow"]).default("throw"),
  /** For `slab`: producers that own a share of the slab, each with its own return ring. */
  producers: z.number().int().min(1).max(64).default(1),
});
export type AllocatorOptions = z.input<typeof AllocatorOptionsSchema>;
export type AllocatorConfig = z.output<typeof AllocatorOptionsSchema>;

/**
 * How a thread materialises events. `Ref` is what `acquire` hands out: an
 * object for `naive`/`array-pool`, a u32 handle for `slab`.
 *
 * Owner: the thread that created it; single-threaded unless the implementation
 * documents otherwise (slab handles may cross threads; see impl/alloc/slab.ts).
 */
export interface Allocator<Ref = unknown> {
  readonly name: string;
  readonly recordBytes: number;
  /** Objects this allocator can have live at once (Infinity when unbounded). */
  readonly capacity: number;
  /** A free event; its fields hold garbage from its last use. Throws PoolExhaustedError per policy. */
  acquire(): Ref;
  /** Gives `ref` back. Throws AllocatorMisuseError on a double release or a ref it did not hand out. */
  release(ref: Ref): void;
  /** Copies `ev` into the event behind `ref`. */
  write(ref: Ref, ev: EventFields): void;
  /** Copies the event behind `ref` into `out` and returns it. */
  read(ref: Ref, out: EventFields): EventFields;
  /** Events acquired and not yet released. Exact on the owner thread. */
  live(): number;
}

export class AllocatorMisuseError extends Error {
  override name = "AllocatorMisuseError";
}
export class PoolExhaustedError extends Error {
  override name = "PoolExhaustedError";
}

// ---------------------------------------------------------------- queue

export const WAIT_STRATEGIES = ["spin", "spin-then-park", "park"] as const;
export type WaitStrategy = (typeof WAIT_STRATEGIES)[number];

/** Named maxima (house style 3). */
export const MAX_QUEUE_CAPACITY_SLOTS = 1 << 22;
export const MAX_QUEUE_PRODUCERS = 64;
export const MAX_SPIN_US = 1_000_000;

export const QueueOptionsSchema = z.object({
  /** Records the queue holds; any integer >= 1 (rings round up internally where they need to). */
  capacitySlots: z.number().int().min(1).max(MAX_QUEUE_CAPACITY_SLOTS),
  recordBytes: RecordBytesSchema.default(DEFAULT_RECORD_BYTES),
  /** Producer ends that will be opened (indices 0..producers-1). */
  producers: z.number().int().min(1).max(MAX_QUEUE_PRODUCERS).default(1),
  waitStrategy: z.enum(WAIT_STRATEGIES).default("spin-then-park"),
  /** For spin-then-park: how long to spin, in microseconds of wall time, before parking. */
  spinUs: z.number().min(0).max(MAX_SPIN_US).default(50),
  /** Allows a wiring the queue does not support (spsc with producers > 1), to measure what it loses. */
  unsafe: z.boolean().default(false),
  /** Start value of the ring's free-running indices; tests set it near 2^32 to exercise wraparound. */
  initialSequence: z.number().int().min(0).max(0xffffffff).default(0),
  /**
   * For spsc/fan-in: tryPush publishes the ring index once every this many
   * records (flush(), close(), a full ring and every batch/commit publish
   * too). 1 (default) publishes every record at once.
   */
  publishEveryRecords: z.number().int().min(1).max(65536).default(1),
  /** For message-port: records per transferred ArrayBuffer (the strongest baseline batches). */
  batchRecords: z.number().int().min(1).max(65536).default(256),
});
export type QueueOptions = z.input<typeof QueueOptionsSchema>;
export type QueueConfig = z.output<typeof QueueOptionsSchema>;

export interface QueueCapabilities {
  /** More than one producer end may push concurrently. */
  multiProducer: boolean;
  /** More than one consumer end may pop concurrently. */
  multiConsumer: boolean;
  /** Offers blocking push/pop (wait strategies apply). */
  blocking: boolean;
  /** Offers in-place reserve/commit (producer) and peek/release (consumer) spans. */
  spans: boolean;
  /** Honours publishEveryRecords > 1: single pushes publish the tail once every N records. */
  deferredPublish: boolean;
}

/**
 * A plain structured-cloneable description of one end of a queue: post it to a
 * Worker (with `transfer: handleTransferables(handle)`) and open it there.
 */
export interface QueueEndHandle {
  readonly kind: string;
  readonly role: "producer" | "consumer";
  /** For producer ends: which producer (0-based). */
  readonly producerIndex: number;
  readonly config: QueueConfig;
  /** Implementation-specific shared state: SharedArrayBuffers, MessagePorts. */
  readonly state: Record<string, unknown>;
}

/** The MessagePorts inside a handle, which must go in postMessage's transfer list. */
export function handleTransferables(handle: QueueEndHandle): MessagePort[] {
  return Object.values(handle.state).flatMap((v) =>
    v instanceof MessagePort
      ? [v]
      : Array.isArray(v)
        ? v.filter((x) => x instanceof MessagePort)
        : [],
  );
}

/** A created queue: hand out each end once. */
export interface QueueEnds {
  readonly config: QueueConfig;
  producerHandle(producerIndex: number): QueueEndHandle;
  consumerHandle(): QueueEndHandle;
}

/** popBatch's answer when every producer has closed and the queue is drained. */
export const END_OF_STREAM = -1;

/**
 * The producer end. Owner: one thread; never share one producer end between
 * threads (open one per producer index instead).
 *
 * Records are copied from `src` at byte `srcOffset`, `recordBytes` each,
 * contiguous. A push is visible to the consumer once published: at once for
 * `tryPush`/`tryPushBatch` unless the implementation batches publication, in
 * which case `flush()` publishes.
 */
export interface QueueProducer {
  readonly recordBytes: number;
  /** Pushes one record; false when full (nothing written). */
  tryPush(src: Uint8Array, srcOffset: number): boolean;
  /** Pushes up to `count` records without waiting; returns how many it pushed (0 when full). */
  tryPushBatch(src: Uint8Array, srcOffset: number, count: number): number;
  /** Pushes all `count` records, waiting per the wait strategy; returns how many it pushed before `timeoutMs` ran out. */
  pushBatch(src: Uint8Array, srcOffset: number, count: number, timeoutMs: number): number;
  /** Publishes anything buffered locally. */
  flush(): void;
  /** This producer will push no more. Flushes first. Idempotent. */
  close(): void;
}

/**
 * The consumer end. Owner: one thread (several only if `multiConsumer`).
 * Records are copied to `dst` at byte `dstOffset`, contiguous.
 */
export interface QueueConsumer {
  readonly recordBytes: number;
  /** Pops one record; false when empty. */
  tryPop(dst: Uint8Array, dstOffset: number): boolean;
  /** Pops up to `max` records without waiting; returns how many (0 when empty). */
  tryPopBatch(dst: Uint8Array, dstOffset: number, max: number): number;
  /**
   * Pops 1..max records, waiting up to `timeoutMs` per the wait strategy.
   * Returns the count, 0 on timeout, END_OF_STREAM once every producer has
   * closed and the queue is drained.
   */
  popBatch(dst: Uint8Array, dstOffset: number, max: number, timeoutMs: number): number;
  /** True once every producer has closed and the queue is drained (may lag by one publication). */
  ended(): boolean;
}

/** In-place producer spans (capability `spans`). */
export interface SpanProducer extends QueueProducer {
  /** The buffer spans point into. */
  readonly spanBytes: Uint8Array;
  /** Reserves up to `max` contiguous free slots; returns the count (0 when full) and sets `spanOffset`. */
  reserve(max: number): number;
  /** Byte offset in `spanBytes` of the last reserved span. */
  readonly spanOffset: number;
  /** Publishes the first `count` records of the last reserved span. */
  commit(count: number): void;
}

/** In-place consumer spans (capability `spans`). */
export interface SpanConsumer extends QueueConsumer {
  readonly spanBytes: Uint8Array;
  /** Up to `max` contiguous filled slots; returns the count (0 when empty) and sets `spanOffset`. */
  peek(max: number): number;
  readonly spanOffset: number;
  /** Frees the first `count` records of the last peeked span. */
  release(count: number): void;
}

export function isSpanProducer(p: QueueProducer): p is SpanProducer {
  return typeof (p as Partial<SpanProducer>).reserve === "function";
}
export function isSpanConsumer(c: QueueConsumer): c is SpanConsumer {
  return typeof (c as Partial<SpanConsumer>).peek === "function";
}
