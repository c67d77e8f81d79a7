/**
 * Payload fingerprints, computed once per payload. The trace and the safety
 * checker fingerprint every entry each time they see it (on each of n nodes,
 * in each message); hashing the bytes every time was the simulator's largest
 * single cost. Entries' payloads are never written after they are proposed
 * (the node, the simulator and the codec only read them), so a hash cached by
 * the Uint8Array's identity stays right; a payload decoded from the wire is a
 * new array and gets its own entry. WeakMap: the cache keeps no payload alive
 * but the last one asked for.
 */
import type { Entry } from "../types.ts";

const cache = new WeakMap<Uint8Array, number>();

/** FNV-1a over the bytes, folded with the length; cached per array. */
/** The last payload asked for and its hash: the same payload is often asked twice in a row (trace, then checker). */
let lastData: Uint8Array | null = null;
let lastHash = 0;

export function payloadHash(data: Uint8Array): number {
  if (data === lastData) return lastHash;
  let h = cache.get(data);
  if (h !== undefined) {
    lastData = data;
    lastHash = h;
    return h;
  }
  let x = 0x811c9dc5;
  for (let i = 0; i < data.length; i++) x = Math.imul(x ^ data[i]!, 0x01000193);
  h = (x ^ data.length) >>> 0;
  cache.set(data, h);
  lastData = data;
  lastHash = h;
  return h;
}

/** The entry's type and payload in one 32-bit fingerprint (term and index are compared separately). */
export function hashEntry(e: Entry): number {
  return (Math.imul(payloadHash(e.data) ^ (e.type + 1), 0x01000193) ^ e.type) >>> 0;
}
