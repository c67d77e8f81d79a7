/**
 * `selftest`: a tiny, dependency-free experiment that exercises the runner
 * (grid with two blocks and a filter, worker isolation, seeds, CSV types:
 * number, string, boolean, nullable). Not part of the default set; run it with
 * `bun run experiments selftest`. The figure it measures (time to sum `n`
 * seeded random numbers) means nothing beyond proving the plumbing.
 */
import { z } from "zod";
import { Rng } from "../../impl/core/rng.ts";
import { defineExperiment } from "../runner/types.ts";

export default defineExperiment({
  name: "selftest",
  description: "Runner self-test: sums n seeded random numbers (plumbing only, not a benchmark).",
  module: import.meta.url,
  params: {
    n: z.number().int().min(1).max(1_000_000),
    flavor: z.enum(["plain", "squared"]),
  },
  measured: {
    sum: z.number(),
    firstU32: z.number().int(),
    evenSeed: z.boolean(),
    /** null for "plain": exercises nullable columns. */
    sumOfSquares: z.number().nullable(),
    elapsedNs: z.number().min(0),
  },
  grids: {
    quick: [
      { n: [100, 1000], flavor: ["plain", "squared"] },
      { n: [7], flavor: ["plain"] },
    ],
    full: { n: [1000, 10_000, 100_000], flavor: ["plain", "squared"] },
  },
  include: (p) => (p.n === 7 && p.flavor === "squared" ? "never reached: 7 is only plain" : true),
  isolation: "worker",
  repeats: { quick: 2 },
  claims: [],
  async run(point, ctx) {
    const rng = new Rng(ctx.seed);
    const t0 = process.hrtime.bigint();
    const first = rng.nextU32();
    let sum = first / 4294967296;
    let squares = sum * sum;
    for (let i = 1; i < point.n; i++) {
      const x = rng.next();
      sum += x;
      squares += x * x;
    }
    return {
      sum,
      firstU32: first,
      evenSeed: ctx.seed % 2 === 0,
      sumOfSquares: point.flavor === "squared" ? squares : null,
      elapsedNs: Number(process.hrtime.bigint() - t0),
    };
  },
});
