/**
 * The byte map of the slab's SharedArrayBuffer (impl/alloc/slab.ts). Every
 * offset the slab touches comes from here.
 *
 *   0      64     64+P*128                  R = records end
 *   +------+------------------+-------------------------+------------------+--------------+
 *   |header| producer control | records                 | return rings     | slot states  |
 *   | 64 B | 128 B each       | totalSlots * recordBytes| P * ringSlots u32| totalSlots u8|
 *   +------+------------------+-------------------------+------------------+--------------+
 *
 * Header (i32 words, written once by createSlab before the buffer is shared):
 *   [0] magic  [1] version  [2] recordBytes  [3] producers  [4] slotsPerProducer
 *   [5] ringSlots  [6] consumer claimed (0/1, compareExchange by openSlabConsumer)
 *
 * Producer control, 128 B per producer p at CONTROL_BASE + p * CONTROL_STRIDE,
 * two cache lines so the two sides never write the same line:
 *   +0  line A, written by the consumer: returnHead (i32, free-running)
 *   +64 line B, written by producer p:   returnTail (i32, free-running),
 *                                        parked (i32, 1 while p waits on returnHead),
 *                                        claimed (i32, 0/1, by openSlabProducer)
 *
 * Records: slot s of producer p is global slot g = p * slotsPerProducer + s, at
 * byte recordsBase + g * recordBytes (64-byte aligned start; records are 32..256 B).
 *
 * Return ring of producer p: ringSlots u32 handles at ringsBase + p * ringSlots * 4.
 * ringSlots is slotsPerProducer rounded up to a power of two, so a ring can hold
 * every slot its producer owns and can never overflow.
 *
 * Slot states: one byte per global slot, SLOT_FREE or SLOT_LIVE, at statesBase + g.
 */

export const SLAB_MAGIC = 0x534c4142; // "SLAB"
export const SLAB_VERSION = 1;

export const CACHE_LINE_BYTES = 64;
export const HEADER_BYTES = 64;

/** i32 word indices in the header. */
export const HDR_MAGIC = 0;
export const HDR_VERSION = 1;
export const HDR_RECORD_BYTES = 2;
export const HDR_PRODUCERS = 3;
export const HDR_SLOTS_PER_PRODUCER = 4;
export const HDR_RING_SLOTS = 5;
export const HDR_CONSUMER_CLAIMED = 6;

export const CONTROL_BASE = HEADER_BYTES;
export const CONTROL_STRIDE = 2 * CACHE_LINE_BYTES;
/** Byte offsets within one producer's control block. */
export const CTL_RETURN_HEAD = 0;
export const CTL_RETURN_TAIL = CACHE_LINE_BYTES;
export const CTL_PARKED = CACHE_LINE_BYTES + 4;
export const CTL_CLAIMED = CACHE_LINE_BYTES + 8;

export const SLOT_FREE = 0;
export const SLOT_LIVE = 1;

/** Handles: producer index in the top bits, slot within the producer's share in the low bits. */
export const HANDLE_SLOT_BITS = 24;
export const HANDLE_SLOT_MASK = (1 << HANDLE_SLOT_BITS) - 1;
/** The most producers a handle can name (6 bits above the slot). */
export const SLAB_MAX_PRODUCERS = 64;
/** What tryAcquire returns when no slot is free; never a valid handle (producer 255). */
export const NO_HANDLE = 0xffffffff;

/** Where each region starts, for one slab's parameters. */
export interface SlabOffsets {
  readonly recordsBase: number;
  readonly ringsBase: number;
  readonly statesBase: number;
  readonly totalBytes: number;
}

export function nextPow2(n: number): number {
  let p = 1;
  while (p < n) p *= 2;
  return p;
}

export function slabOffsets(
  producers: number,
  slotsPerProducer: number,
  recordBytes: number,
  ringSlots: number,
): SlabOffsets {
  const totalSlots = producers * slotsPerProducer;
  const recordsBase = alignUp(CONTROL_BASE + producers * CONTROL_STRIDE, CACHE_LINE_BYTES);
  const ringsBase = alignUp(recordsBase + totalSlots * recordBytes, CACHE_LINE_BYTES);
  const statesBase = alignUp(ringsBase + producers * ringSlots * 4, CACHE_LINE_BYTES);
  const totalBytes = alignUp(statesBase + totalSlots, CACHE_LINE_BYTES);
  return { recordsBase, ringsBase, statesBase, totalBytes };
}

/** The i32 word index of a producer's control field (`ctl` is a CTL_* byte offset). */
export function controlWord(producer: number, ctl: number): number {
  return (CONTROL_BASE + producer * CONTROL_STRIDE + ctl) >>> 2;
}

function alignUp(n: number, to: number): number {
  return Math.ceil(n / to) * to;
}
