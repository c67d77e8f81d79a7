/**
 * The decision rules every comparison eventlab prints goes through. An
 * interval, never a point estimate, decides: a difference is claimed only
 * when the whole 95% interval lies beyond the stated margin, and everything
 * else is reported as "no change established" with the interval shown. So a
 * noisy run widens the interval and yields no claim, instead of a false one.
 */
import type { RatioInterval } from "./estimate.ts";

/** Head/base verdict of `compare --base`. */
export type ChangeVerdict = "regression" | "improvement" | "no change established";

/**
 * Regression when the whole interval of (head better than base) lies below
 * 1 - threshold; improvement, symmetrically, when it lies above 1 + threshold.
 */
export function decideChange(
  i: Pick<RatioInterval, "lo" | "hi">,
  threshold: number,
): ChangeVerdict {
  if (!(threshold >= 0 && threshold < 1))
    throw new RangeError(`threshold must be in [0, 1), got ${threshold}`);
  if (!(i.lo <= i.hi)) throw new RangeError(`interval [${i.lo}, ${i.hi}] is not ordered`);
  if (i.hi < 1 - threshold) return "regression";
  if (i.lo > 1 + threshold) return "improvement";
  return "no change established";
}

/** Verdict of an implementation-vs-baseline claim ("spsc is at least 0.9x message-port"). */
export type ClaimVerdict = "holds" | "fails" | "not established";

/**
 * A claim "ratio >= minRatio" holds when the interval's lower bound is at or
 * above minRatio, fails when the whole interval lies below it, and is not
 * established when the interval straddles it. A gate passes only on "holds".
 */
export function decideClaim(i: Pick<RatioInterval, "lo" | "hi">, minRatio: number): ClaimVerdict {
  if (!(minRatio > 0)) throw new RangeError(`minRatio must be positive, got ${minRatio}`);
  if (!(i.lo <= i.hi)) throw new RangeError(`interval [${i.lo}, ${i.hi}] is not ordered`);
  if (i.lo >= minRatio) return "holds";
  if (i.hi < minRatio) return "fails";
  return "not established";
}

/**
 * The mirror rule for a claim "ratio <= maxRatio" (a latency or cost ratio,
 * lower is better): holds when the interval's upper bound is at or below
 * maxRatio, fails when the whole interval lies above it.
 */
export function decideClaimAtMost(
  i: Pick<RatioInterval, "lo" | "hi">,
  maxRatio: number,
): ClaimVerdict {
  if (!(maxRatio > 0)) throw new RangeError(`maxRatio must be positive, got ${maxRatio}`);
  if (!(i.lo <= i.hi)) throw new RangeError(`interval [${i.lo}, ${i.hi}] is not ordered`);
  if (i.hi <= maxRatio) return "holds";
  if (i.lo > maxRatio) return "fails";
  return "not established";
}
