/**
 * The blocking pop shared by the lock-free ring consumers (spsc-ring.ts's
 * RingConsumer, fan-in.ts's FanInConsumer): both try, wait once on their bell,
 * and try again, with the same END_OF_STREAM rule.
 */
import { END_OF_STREAM } from "../core/contracts.ts";

/** What popBatchOrWait needs of a ring consumer end (one ring's, or fan-in's over many). */
export interface WaitingConsumer {
  tryPopBatch(dst: Uint8Array, dstOffset: number, max: number): number;
  ended(): boolean;
  waitForData(timeoutMs: number): boolean;
}

/**
 * popBatch of the ring consumers (RingConsumer, FanInConsumer): pops what is
 * ready; else END_OF_STREAM if ended, else one wait of up to `timeoutMs` and
 * one more try. A plain function called once per popBatch, not per record.
 */
export function popBatchOrWait(
  end: WaitingConsumer,
  dst: Uint8Array,
  dstOffset: number,
  max: number,
  timeoutMs: number,
): number {
  const n = end.tryPopBatch(dst, dstOffset, max);
  if (n > 0) return n;
  if (end.ended()) return END_OF_STREAM;
  if (!end.waitForData(timeoutMs)) return 0;
  const m = end.tryPopBatch(dst, dstOffset, max);
  return m > 0 ? m : end.ended() ? END_OF_STREAM : 0;
}
