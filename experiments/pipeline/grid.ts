/**
 * The sweep of the `pipeline` experiment, as data (experiments/pipeline/experiment.ts
 * registers it with the runner): blocks whose cartesian products are unioned.
 * quick: 3 queues x 5 loads + the Redis baseline, 2 rounds (~1.5 min); full: 5 queues x 6
 * loads, allocators x Worker counts, record sizes x lane mixes at saturation
 * and 80%, and the Redis baseline (~5 min).
 */
import "../../impl/index.ts";
import { listImplementations } from "../../impl/core/registry.ts";
import { type PipelinePoint, REDIS_QUEUE } from "./point.ts";

/**
 * Every registered queue: the full sweep names none, so a new queue is swept
 * and the experiment's include() (checkWiring: the queue's capabilities
 * against the wiring) drops a combination it cannot run, with the reason.
 */
const ALL_QUEUES = listImplementations("queue").map((r) => r.name);

type Block = { [K in keyof PipelinePoint]: PipelinePoint[K][] };

const FRACTIONS_QUICK = [0, 0.2, 0.5, 0.8, 1.0];
const FRACTIONS_FULL = [0, 0.2, 0.4, 0.6, 0.8, 1.0];
const fixed = { connections: [4], batch: [64] };
const redis: Pick<Block, "target" | "alloc" | "queue" | "ingestWorkers" | "consumers"> = {
  target: ["resp"],
  alloc: ["-"],
  queue: [REDIS_QUEUE],
  ingestWorkers: [0],
  consumers: [0],
};

export const PIPELINE_GRIDS: { quick: Block[]; full: Block[] } = {
  quick: [
    {
      target: ["eventlab"],
      alloc: ["naive"],
      queue: ["fan-in", "mutex", "message-port"],
      ingestWorkers: [1],
      consumers: [1],
      laneMix: ["1:1:1"],
      recordBytes: [64],
      ...fixed,
      durationS: [1.5],
      offeredFraction: FRACTIONS_QUICK,
    },
    {
      ...redis,
      laneMix: ["1:1:1"],
      recordBytes: [64],
      ...fixed,
      durationS: [1.5],
      offeredFraction: FRACTIONS_QUICK,
    },
  ],
  full: [
    // Queues: the hockey stick per queue kind.
    {
      target: ["eventlab"],
      alloc: ["naive"],
      queue: ALL_QUEUES,
      ingestWorkers: [1],
      consumers: [1],
      laneMix: ["1:1:1"],
      recordBytes: [64],
      ...fixed,
      durationS: [2],
      offeredFraction: FRACTIONS_FULL,
    },
    // Allocators and Worker counts: saturation and 80% load.
    {
      target: ["eventlab"],
      alloc: ["naive", "array-pool", "slab"],
      queue: ["fan-in"],
      ingestWorkers: [1, 2],
      consumers: [1, 2],
      laneMix: ["1:1:1"],
      recordBytes: [64],
      ...fixed,
      durationS: [2],
      offeredFraction: [0, 0.8],
    },
    // Record size and lane mix.
    {
      target: ["eventlab"],
      alloc: ["naive"],
      queue: ["fan-in"],
      ingestWorkers: [1],
      consumers: [1],
      laneMix: ["1:1:1", "8:1:1"],
      recordBytes: [32, 64, 256],
      ...fixed,
      durationS: [2],
      offeredFraction: [0, 0.8],
    },
    {
      ...redis,
      laneMix: ["1:1:1"],
      recordBytes: [64],
      ...fixed,
      durationS: [2],
      offeredFraction: FRACTIONS_FULL,
    },
    {
      ...redis,
      laneMix: ["1:1:1"],
      recordBytes: [32, 256],
      ...fixed,
      durationS: [2],
      offeredFraction: [0, 0.8],
    },
  ],
};
