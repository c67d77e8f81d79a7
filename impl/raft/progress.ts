/**
 * The leader's view of one follower (etcd-raft "Progress"): how much of the
 * log it is known to hold (match), what to send next (next), and how to send:
 * - probe: one App at a time until the follower's position is known;
 * - replicate: pipelined Apps, at most maxInflightMsgs unacknowledged;
 * - snapshot: a snapshot is on its way; send nothing else until it lands.
 */
import { assert } from "../core/assert.ts";

export type ProgressState = "probe" | "replicate" | "snapshot";

/** A ring of the last indexes of in-flight App messages (a bounded window). */
export class Inflights {
  private readonly buf: Float64Array;
  private start = 0;
  count = 0;

  constructor(readonly capacityMsgs: number) {
    assert(capacityMsgs >= 1, "maxInflightMsgs must be >= 1");
    this.buf = new Float64Array(capacityMsgs);
  }

  full(): boolean {
    return this.count === this.capacityMsgs;
  }

  add(lastIndex: number): void {
    assert(!this.full(), "inflights: add to a full window");
    this.buf[(this.start + this.count) % this.capacityMsgs] = lastIndex;
    this.count++;
  }

  /** Frees every in-flight message whose last index is <= index (acked). */
  freeLE(index: number): void {
    while (this.count > 0 && this.buf[this.start]! <= index) {
      this.start = (this.start + 1) % this.capacityMsgs;
      this.count--;
    }
  }

  freeFirst(): void {
    if (this.count === 0) return;
    this.start = (this.start + 1) % this.capacityMsgs;
    this.count--;
  }

  reset(): void {
    this.start = 0;
    this.count = 0;
  }
}

export class Progress {
  match = 0;
  next: number;
  state: ProgressState = "probe";
  /** In probe state: an App was sent and not yet answered (pause until a reply or heartbeat reply). */
  probeSent = false;
  /** Index of the snapshot in flight (snapshot state). */
  pendingSnapshot = 0;
  /** Ticks spent in snapshot state; the leader retries after an election timeout. */
  snapshotWaitTicks = 0;
  /** Heard from since the last check-quorum round. */
  recentActive = false;
  readonly inflights: Inflights;

  constructor(next: number, maxInflightMsgs: number) {
    this.next = next;
    this.inflights = new Inflights(maxInflightMsgs);
  }

  becomeProbe(): void {
    if (this.state === "snapshot") {
      this.next = Math.max(this.match + 1, this.pendingSnapshot + 1);
    } else {
      this.next = this.match + 1;
    }
    this.state = "probe";
    this.probeSent = false;
    this.pendingSnapshot = 0;
    this.inflights.reset();
  }

  becomeReplicate(): void {
    this.state = "replicate";
    this.next = this.match + 1;
    this.probeSent = false;
    this.pendingSnapshot = 0;
    this.inflights.reset();
  }

  becomeSnapshot(snapshotIndex: number): void {
    this.state = "snapshot";
    this.pendingSnapshot = snapshotIndex;
    this.snapshotWaitTicks = 0;
    this.probeSent = false;
    this.inflights.reset();
  }

  /** An acknowledgement up to n arrived; false if stale. */
  maybeUpdate(n: number): boolean {
    let updated = false;
    if (this.match < n) {
      this.match = n;
      updated = true;
      this.probeSent = false;
    }
    this.next = Math.max(this.next, n + 1);
    return updated;
  }

  /** Pipelining: entries up to n are on the wire. */
  optimisticUpdate(n: number): void {
    this.next = n + 1;
  }

  /**
   * A rejection of the App whose prev index was `rejected`, with the
   * follower's hint that its log can only match at or below `matchHint`.
   * False if the rejection is stale (answers an App we no longer care about).
   */
  maybeDecrTo(rejected: number, matchHint: number): boolean {
    if (this.state === "replicate") {
      if (rejected <= this.match) return false;
      this.next = this.match + 1;
      return true;
    }
    if (this.next - 1 !== rejected) return false;
    this.next = Math.max(Math.min(rejected, matchHint + 1), this.match + 1, 1);
    this.probeSent = false;
    return true;
  }

  isPaused(): boolean {
    switch (this.state) {
      case "probe":
        return this.probeSent;
      case "replicate":
        return this.inflights.full();
      case "snapshot":
        return true;
    }
  }
}

/**
 * The leader's Progress per voter, in the order added (voter order). Two
 * parallel arrays scanned by id instead of a Map: clusters are a handful of
 * nodes, this is read on every acknowledgement, and whole-cluster loops
 * (commit, broadcast) walk the array without a lookup.
 */
export class ProgressSet {
  /** ids[i] is the node whose progress is list[i]. */
  readonly ids: number[] = [];
  readonly list: Progress[] = [];

  get size(): number {
    return this.ids.length;
  }

  get(id: number): Progress | undefined {
    const ids = this.ids;
    for (let i = 0; i < ids.length; i++) if (ids[i] === id) return this.list[i];
    return undefined;
  }

  has(id: number): boolean {
    return this.ids.includes(id);
  }

  /** Adds the progress of a node not yet in the set. */
  add(id: number, pr: Progress): void {
    assert(!this.has(id), "progress: node added twice");
    this.ids.push(id);
    this.list.push(pr);
  }

  clear(): void {
    this.ids.length = 0;
    this.list.length = 0;
  }
}
