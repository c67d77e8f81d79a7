/**
 * The simulated network: decides, from a seeded RNG, whether a message is
 * delivered, how many copies arrive and after how long. Links are cut by
 * disconnecting a node (all its links) or by partitioning the nodes into
 * groups (links only inside a group), or one direction of one link (A hears
 * B, B does not hear A). A cut is checked both when a message is
 * sent and when it would arrive, so messages in flight across a new cut are
 * lost, as on a real network whose cable was pulled.
 *
 * Faults: drop (per message), duplicate (a second copy with its own delay),
 * reorder (an extra delay so the copy overtakes later ones), long delay (rare
 * large delays, as under a GC pause or a congested switch).
 */
import type { Rng } from "../../core/rng.ts";

export interface NetworkOptions {
  /** One-way delay, uniform in [min, max] ms. */
  delayMs: [number, number];
  /** Probability that a message is lost. */
  dropRate: number;
  /** Probability that a message arrives twice. */
  duplicateRate: number;
  /** Probability that a message gets an extra delay of up to reorderExtraMs, so later ones overtake it. */
  reorderRate: number;
  /** Upper bound of the reorder extra delay, ms. */
  reorderExtraMs?: number;
  /** Probability of a long delay of up to longDelayMs. */
  longDelayRate?: number;
  /** Upper bound of a long delay, ms. */
  longDelayMs?: number;
}

export const DEFAULT_NETWORK: Required<NetworkOptions> = {
  delayMs: [0, 26],
  dropRate: 0,
  duplicateRate: 0,
  reorderRate: 0,
  reorderExtraMs: 100,
  longDelayRate: 0,
  longDelayMs: 2000,
};

/** Named limit: at most this many copies of one message (original + duplicates). */
export const MAX_COPIES_PER_MESSAGE = 2;

export class SimNetwork {
  private opts: Required<NetworkOptions>;
  private readonly disconnected = new Set<number>();
  /** Group number per node; undefined = no partition. */
  private groupOf: Map<number, number> | undefined;
  /** One-way cuts: key from * 64 + to (node ids are < 64). */
  private readonly cut = new Set<number>();

  constructor(
    options: Partial<NetworkOptions>,
    private readonly rng: Rng,
  ) {
    this.opts = validate({ ...DEFAULT_NETWORK, ...options });
  }

  get options(): Readonly<Required<NetworkOptions>> {
    return this.opts;
  }

  set(partial: Partial<NetworkOptions>): void {
    this.opts = validate({ ...this.opts, ...partial });
  }

  disconnect(id: number): void {
    this.disconnected.add(id);
  }

  connect(id: number): void {
    this.disconnected.delete(id);
  }

  isConnected(id: number): boolean {
    return !this.disconnected.has(id);
  }

  /** Splits the nodes into groups; a node in no group is cut off from everyone. */
  partition(groups: number[][]): void {
    const groupOf = new Map<number, number>();
    groups.forEach((g, i) => {
      for (const id of g) {
        if (groupOf.has(id)) throw new RangeError(`node ${id} is in two partition groups`);
        groupOf.set(id, i);
      }
    });
    this.groupOf = groupOf;
  }

  /** Cuts the link from `from` to `to` only: `to` stops hearing `from`, `from` still hears `to`. */
  cutLink(from: number, to: number): void {
    this.cut.add(from * 64 + to);
  }

  restoreLink(from: number, to: number): void {
    this.cut.delete(from * 64 + to);
  }

  /** Removes the partition and every one-way cut (disconnected nodes stay disconnected). */
  heal(): void {
    this.groupOf = undefined;
    this.cut.clear();
  }

  /** Whether a message from `from` to `to` can pass right now. */
  linked(from: number, to: number): boolean {
    const off = this.disconnected;
    if (off.size > 0 && (off.has(from) || off.has(to))) return false;
    if (this.cut.size > 0 && this.cut.has(from * 64 + to)) return false;
    if (this.groupOf === undefined) return true;
    const a = this.groupOf.get(from);
    return a !== undefined && a === this.groupOf.get(to);
  }

  /**
   * Plans the delivery of one message: the delays (ms) of each copy that will
   * arrive, or an empty array when it is lost. Draws from the RNG in a fixed
   * order so the plan is a pure function of the RNG state.
   */
  plan(from: number, to: number): number[] {
    const delays: number[] = [];
    delays.length = this.planInto(from, to, delays);
    return delays;
  }

  /**
   * plan() without a new array per message: writes the delays into
   * `out[0..n)` and returns n (0 when lost). The same RNG draws as plan().
   */
  planInto(from: number, to: number, out: number[]): number {
    if (!this.linked(from, to)) return 0;
    const o = this.opts;
    if (o.dropRate > 0 && this.rng.next() < o.dropRate) return 0;
    const copies = o.duplicateRate > 0 && this.rng.next() < o.duplicateRate ? 2 : 1;
    let n = 0;
    for (; n < copies && n < MAX_COPIES_PER_MESSAGE; n++) out[n] = this.oneDelay();
    return n;
  }

  private oneDelay(): number {
    const o = this.opts;
    const lo = o.delayMs[0];
    const hi = o.delayMs[1];
    let d = lo + this.rng.next() * (hi - lo);
    if (o.reorderRate > 0 && this.rng.next() < o.reorderRate)
      d += this.rng.next() * o.reorderExtraMs;
    if (o.longDelayRate > 0 && this.rng.next() < o.longDelayRate)
      d += this.rng.next() * o.longDelayMs;
    return d;
  }
}

function validate(o: Required<NetworkOptions>): Required<NetworkOptions> {
  const [lo, hi] = o.delayMs;
  if (!(lo >= 0 && hi >= lo))
    throw new RangeError(
      `network.delayMs must be [min, max] with 0 <= min <= max, got [${lo}, ${hi}]`,
    );
  for (const k of ["dropRate", "duplicateRate", "reorderRate", "longDelayRate"] as const) {
    const v = o[k];
    if (!(v >= 0 && v <= 1)) throw new RangeError(`network.${k} must be in [0, 1], got ${v}`);
  }
  if (!(o.reorderExtraMs >= 0))
    throw new RangeError(`network.reorderExtraMs must be >= 0, got ${o.reorderExtraMs}`);
  if (!(o.longDelayMs >= 0))
    throw new RangeError(`network.longDelayMs must be >= 0, got ${o.longDelayMs}`);
  return o;
}
