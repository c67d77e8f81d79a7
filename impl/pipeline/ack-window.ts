/**
 * Per-connection cumulative ack tracking. Events of one connection finish out
 * of order (lanes, consumers); the window remembers each unresolved event's
 * outcome and advances `resolvedThrough` over the contiguous prefix, collecting
 * the rejected sequences it passes, so an ACK frame can say "everything before
 * N is resolved, and these of them were rejected".
 *
 * Sequences are u32 and wrap; the window holds at most `slots` (a power of
 * two >= the max unacked events per connection) unresolved events.
 * Owner: the ingest Worker of the connection; single-threaded.
 */
import { assert } from "../core/assert.ts";

/** Outcome bytes: REJECTED + r is a reject with protocol.ts RejectReason r (messages.ts codes). */
export const Outcome = { PENDING: 0, ACKED: 1, REJECTED: 2 } as const;

/** Named maximum: rejects carried in one ACK frame; more are sent in later frames. */
export const MAX_REJECTS_PER_ACK = 4096;

export class AckWindow {
  private readonly outcomes: Uint8Array;
  private readonly mask: number;
  /** Sequences before this are resolved (acked or rejected) and reported or pending report. */
  resolvedThrough = 0;
  /** Sequences before this were admitted into the pipeline. */
  admittedThrough = 0;
  /** resolvedThrough as last sent in an ACK frame. */
  reportedThrough = 0;
  /** Rejected sequences resolved but not yet reported. */
  readonly rejects: Uint32Array;
  rejectCount = 0;
  /** RejectReason of the rejects collected (one reason per ACK frame). */
  rejectReason = 0;

  constructor(readonly maxUnacked: number) {
    let slots = 1;
    while (slots < maxUnacked) slots *= 2;
    this.outcomes = new Uint8Array(slots);
    this.mask = slots - 1;
    this.rejects = new Uint32Array(MAX_REJECTS_PER_ACK);
  }

  /** Events admitted and not yet resolved. */
  unresolved(): number {
    return (this.admittedThrough - this.resolvedThrough) >>> 0;
  }

  /** Room for more admitted events under the max-unacked limit. */
  room(): number {
    return this.maxUnacked - this.unresolved();
  }

  admit(count: number): void {
    assert(count <= this.room(), () => `AckWindow: admit ${count} > room ${this.room()}`);
    this.admittedThrough = (this.admittedThrough + count) >>> 0;
  }

  /** Records the outcome of `sequence`; returns false if it was not pending (a duplicate or foreign ack). */
  resolve(sequence: number, outcome: number): boolean {
    const ahead = (sequence - this.resolvedThrough) >>> 0;
    if (ahead >= this.unresolved()) return false;
    const slot = sequence & this.mask;
    if (this.outcomes[slot] !== Outcome.PENDING) return false;
    this.outcomes[slot] = outcome;
    return true;
  }

  /**
   * Advances over the resolved prefix. Stops early when the reject list is
   * full or a reject of another reason comes (the caller reports and calls again). Returns how many it passed.
   */
  advance(): number {
    let passed = 0;
    while (this.resolvedThrough !== this.admittedThrough) {
      const slot = this.resolvedThrough & this.mask;
      const outcome = this.outcomes[slot]!;
      if (outcome === Outcome.PENDING) break;
      if (outcome >= Outcome.REJECTED) {
        const reason = outcome - Outcome.REJECTED;
        if (this.rejectCount === MAX_REJECTS_PER_ACK) break;
        // A frame carries one reject reason: report what we have, then continue.
        if (this.rejectCount > 0 && reason !== this.rejectReason) break;
        this.rejectReason = reason;
        this.rejects[this.rejectCount++] = this.resolvedThrough;
      }
      this.outcomes[slot] = Outcome.PENDING;
      this.resolvedThrough = (this.resolvedThrough + 1) >>> 0;
      passed++;
    }
    return passed;
  }

  /** True when resolvedThrough moved since the last report. */
  hasNews(): boolean {
    return this.resolvedThrough !== this.reportedThrough;
  }

  /** Call after sending an ACK frame for the current state. */
  reported(): void {
    this.reportedThrough = this.resolvedThrough;
    this.rejectCount = 0;
  }
}
