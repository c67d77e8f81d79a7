/**
 * 2^32: a nanosecond count (up to 2^53) travels as two u32 words, lo =
 * ns % TWO_POW_32 and hi = floor(ns / TWO_POW_32), so hot paths write it
 * through a Uint32Array without BigInt (record.ts ingestNs, clock.ts timespec).
 */
export const TWO_POW_32 = 4294967296;
