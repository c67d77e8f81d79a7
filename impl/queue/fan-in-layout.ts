/**
 * Byte map of a `fan-in` queue's SharedArrayBuffer: one shared header, then one
 * SPSC ring per producer (each laid out as in spsc-layout.ts).
 *
 *   0      line 0: [0] MAGIC  [1] PRODUCERS  [2] RING_STRIDE_BYTES
 *   64     line 1: [16] CONSUMER_BELL  [17] CONSUMER_SLEEPERS  [18] CONSUMER_ARMED
 *          (the one cell the consumer sleeps on; any producer rings it after
 *          publishing, only when a sleeper is registered)
 *   128    ring 0, ring 1, ... each RING_STRIDE_BYTES (a multiple of 64) long
 *
 * Every ring is written by exactly one producer, so each keeps the SPSC
 * guarantees; the consumer drains them round-robin.
 */
import { initRing, ringBytes } from "./spsc-layout.ts";

export const FAN_IN_MAGIC = 0x46414e49; // "FANI"
export const FI_MAGIC = 0;
export const FI_PRODUCERS = 1;
export const FI_RING_STRIDE_BYTES = 2;
export const FI_CONSUMER_BELL = 16;
export const FI_CONSUMER_SLEEPERS = 17;
export const FI_CONSUMER_ARMED = 18;
export const FAN_IN_HEADER_BYTES = 128;

/** Byte offset of producer `i`'s ring. */
export function fanInRingBase(i: number, strideBytes: number): number {
  return FAN_IN_HEADER_BYTES + i * strideBytes;
}

/** A fresh fan-in buffer: header plus `producers` rings of `capacitySlots` each. */
export function createFanInBuffer(
  producers: number,
  capacitySlots: number,
  recordBytes: number,
  initialSequence: number,
): SharedArrayBuffer {
  const stride = ringBytes(capacitySlots, recordBytes);
  const sab = new SharedArrayBuffer(FAN_IN_HEADER_BYTES + producers * stride);
  for (let i = 0; i < producers; i++)
    initRing(sab, fanInRingBase(i, stride), capacitySlots, recordBytes, 1, initialSequence);
  const h = new Int32Array(sab, 0, FAN_IN_HEADER_BYTES / 4);
  h[FI_PRODUCERS] = producers;
  h[FI_RING_STRIDE_BYTES] = stride;
  Atomics.store(h, FI_MAGIC, FAN_IN_MAGIC); // publishes the header to whoever opens the queue
  return sab;
}
