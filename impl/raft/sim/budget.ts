/**
 * Run budgets for a simulated cluster. Bun's test timeout cannot interrupt
 * synchronous code, so a livelocked simulation (a message storm at one
 * virtual instant, a retry loop that never lets time pass, a run that never
 * ends) must stop itself: the event loop counts events and watches virtual
 * time, and past either budget throws BudgetExceeded naming the seed.
 */

/** Named limit: events one cluster may run by default (about a minute of wall time). */
export const DEFAULT_MAX_EVENTS = 100_000_000;
/** Named limit: virtual ms one cluster may reach by default (one virtual hour). */
export const DEFAULT_MAX_VIRTUAL_MS = 3_600_000;

export type BudgetKind = "events" | "virtual-ms";

export class BudgetExceeded extends Error {
  override name = "BudgetExceeded";
  constructor(
    readonly kind: BudgetKind,
    readonly limit: number,
    readonly seed: number,
    readonly virtualMs: number,
  ) {
    super(
      kind === "events"
        ? `budget: event budget of ${limit} events exceeded at virtual ${virtualMs.toFixed(3)} ms (seed ${seed}): livelock or message storm`
        : `budget: virtual-time budget of ${limit} ms exceeded (seed ${seed})`,
    );
  }
}
