/**
 * A running fingerprint of a simulation: every delivered message (virtual
 * time, sender, receiver, type, term, log position, commit, entry terms and
 * a hash of the payload bytes) is folded into a 32-bit FNV-1a-style hash. Two runs from the same
 * seed must end with the same hash; tests compare it to prove the simulator
 * is deterministic byte for byte.
 */
import type { Message } from "../types.ts";
import { payloadHash } from "./payload-hash.ts";

export class Trace {
  hash = 0x811c9dc5;
  deliveries = 0;

  /** FNV-1a step over one 32-bit word, with a shift so high bits reach low ones. */
  private mix(x: number): void {
    const h = Math.imul(this.hash ^ x, 0x01000193);
    this.hash = (h ^ (h >>> 15)) >>> 0;
  }

  /** Folds a number (time in ns resolution, or a field) into the hash. */
  private mixNumber(x: number): void {
    this.mix(x | 0);
    this.mix(Math.floor(x / 4294967296) | 0);
  }

  recordDelivery(nowMs: number, m: Message): void {
    this.deliveries++;
    this.mixNumber(Math.round(nowMs * 1e6));
    this.mix(m.from);
    this.mix(m.to);
    this.mix(m.type);
    this.mix(m.term);
    this.mix(m.index ?? -1);
    this.mix(m.logTerm ?? -1);
    this.mix(m.commit ?? -1);
    this.mix(m.reject ? 1 : 0);
    const es = m.entries;
    if (es !== undefined) {
      for (let k = 0; k < es.length; k++) {
        const e = es[k]!;
        this.mix(e.index);
        this.mix(e.term);
        this.mix(payloadHash(e.data)); // the bytes, hashed once per payload
      }
    }
    if (m.snapshot) this.mix(m.snapshot.index);
  }

  /** Folds any extra observation (e.g. a client result) into the hash. */
  recordValue(x: number): void {
    this.mixNumber(x);
  }
}
