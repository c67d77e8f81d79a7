/**
 * A running fingerprint of a simulation: every delivered message (virtual
 * time, sender, receiver, type, term, log position, commit, entry terms and
 * a hash of the payload bytes) is folded into a 32-bit FNV-1a-style hash. Two runs from the same
 * seed must end with the same hash; tests compare it to prove the simulator
 * is deterministic byte for byte.
 *
 * The running value is kept as a signed 32-bit integer (the same bits) and
 * read out unsigned: an unsigned value above 2^31 is a double to the JIT, and
 * each of the ~12 folds per message converted it back.
 */
import type { Message } from "../types.ts";
import { payloadHash } from "./payload-hash.ts";

/** FNV-1a step over one 32-bit word, with a shift so high bits reach low ones; int32 in and out. */
function mix(hash: number, x: number): number {
  const h = Math.imul(hash ^ x, 0x01000193);
  return h ^ (h >>> 15);
}

/** 2^32: splits a number into its low and high 32-bit words. */
const TWO_32 = 4294967296;

/** Folds a number (time in ns resolution, or a field) in as two 32-bit words. */
function mixNumber(hash: number, x: number): number {
  return mix(mix(hash, x | 0), Math.floor(x / TWO_32) | 0);
}

export class Trace {
  /** The fingerprint so far, as a signed 32-bit integer (see `hash`). */
  private h = 0x811c9dc5 | 0;
  deliveries = 0;

  /** The fingerprint so far, unsigned 32-bit. */
  get hash(): number {
    return this.h >>> 0;
  }

  recordDelivery(nowMs: number, m: Message): void {
    this.deliveries++;
    // The hash lives in a local while one message is folded in (one store, not ~12).
    let h = mixNumber(this.h, Math.round(nowMs * 1e6));
    h = mix(h, m.from);
    h = mix(h, m.to);
    h = mix(h, m.type);
    h = mix(h, m.term);
    h = mix(h, m.index ?? -1);
    h = mix(h, m.logTerm ?? -1);
    h = mix(h, m.commit ?? -1);
    h = mix(h, m.reject ? 1 : 0);
    const es = m.entries;
    if (es !== undefined) {
      for (let k = 0; k < es.length; k++) {
        const e = es[k]!;
        h = mix(h, e.index);
        h = mix(h, e.term);
        h = mix(h, payloadHash(e.data)); // the bytes, hashed once per payload
      }
    }
    if (m.snapshot) h = mix(h, m.snapshot.index);
    this.h = h;
  }

  /** Folds any extra observation (e.g. a client result) into the hash. */
  recordValue(x: number): void {
    this.h = mixNumber(this.h, x);
  }
}
