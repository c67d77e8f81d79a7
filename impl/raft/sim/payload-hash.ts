/**
 * Payload fingerprints, computed once per payload. The trace and the safety
 * checker fingerprint every entry each time they see it (on each of n nodes,
 * in each message); hashing the bytes every time was the simulator's largest
 * single cost. Entries' payloads are never written after they are proposed
 * (the node, the simulator and the codec only read them), so a hash cached on
 * the Uint8Array itself stays right; a payload decoded from the wire is a new
 * array and gets its own.
 *
 * The hash is kept on the array under a private symbol rather than in a
 * WeakMap: with every payload of a long run alive in the logs, a WeakMap of
 * hundreds of thousands of weak entries cost lookups and collector time.
 * An array that cannot take a property (frozen) is hashed each time.
 */
import type { Entry } from "../types.ts";

/** Where a payload's hash is kept; module-private, so nothing else reads or writes it. */
const HASH = Symbol("payloadHash");

type Hashed = Uint8Array & { [HASH]?: number };

/** FNV-1a over the bytes, folded with the length; cached per array. */
export function payloadHash(data: Uint8Array): number {
  const cached = (data as Hashed)[HASH];
  if (cached !== undefined) return cached;
  let x = 0x811c9dc5;
  for (let i = 0; i < data.length; i++) x = Math.imul(x ^ data[i]!, 0x01000193);
  const h = (x ^ data.length) >>> 0;
  if (Object.isExtensible(data)) (data as Hashed)[HASH] = h;
  return h;
}

/** The entry's type and payload in one 32-bit fingerprint (term and index are compared separately). */
export function hashEntry(e: Entry): number {
  return (Math.imul(payloadHash(e.data) ^ (e.type + 1), 0x01000193) ^ e.type) >>> 0;
}
