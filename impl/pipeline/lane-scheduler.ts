/**
 * Bus scheduling in a process manager: which lane to pop next.
 *
 * REALTIME has strict priority, with a starvation guard: after `burst`
 * REALTIME batches in a row while another lane had records waiting, one turn
 * goes to the waiting lanes. Turns between TRANSACTIONAL and BATCH follow
 * smooth weighted round robin with weights T:B (a weight 0 lane is served
 * only when the other one is empty). Pure and single-threaded: the caller
 * says which lanes have records, the scheduler answers a lane or -1.
 */
import { Lane } from "../core/record.ts";

export class LaneScheduler {
  private realtimeStreak = 0;
  private creditTx = 0;
  private creditBatch = 0;

  constructor(
    readonly burst: number,
    readonly weightTx: number,
    readonly weightBatch: number,
  ) {}

  /** The lane to serve next given which lanes hold records, or -1 when none does. */
  pick(hasRealtime: boolean, hasTx: boolean, hasBatch: boolean): number {
    const othersWaiting = hasTx || hasBatch;
    if (hasRealtime && (!othersWaiting || this.realtimeStreak < this.burst)) {
      this.realtimeStreak = othersWaiting ? this.realtimeStreak + 1 : 0;
      return Lane.REALTIME;
    }
    this.realtimeStreak = 0;
    if (!othersWaiting) return -1;
    if (!hasBatch) return Lane.TRANSACTIONAL;
    if (!hasTx) return Lane.BATCH;
    return this.weightedTurn();
  }

  /** Smooth weighted round robin between TRANSACTIONAL and BATCH, both waiting. */
  private weightedTurn(): number {
    if (this.weightBatch === 0) return Lane.TRANSACTIONAL;
    if (this.weightTx === 0) return Lane.BATCH;
    const total = this.weightTx + this.weightBatch;
    this.creditTx += this.weightTx;
    this.creditBatch += this.weightBatch;
    if (this.creditTx >= this.creditBatch) {
      this.creditTx -= total;
      return Lane.TRANSACTIONAL;
    }
    this.creditBatch -= total;
    return Lane.BATCH;
  }
}
