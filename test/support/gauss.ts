/** A standard normal draw (Box-Muller) from the project's seeded Rng, for synthetic data in the measurement tests. */
import type { Rng } from "../../impl/core/rng.ts";

export function gauss(rng: Rng): number {
  const u = 1 - rng.next();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng.next());
}
