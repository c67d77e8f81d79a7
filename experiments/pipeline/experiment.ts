/**
 * `pipeline`: the whole event pipeline under load, per implementation, with
 * the Redis XADD baseline in the same sweep.
 *
 * Sweep: allocator x queue x ingest Workers x consumers x offered load x lane
 * mix x record size. Offered load goes up to saturation: offeredFraction 0 is
 * a closed-loop run (the saturation throughput); 0.2 .. 1.0 are open-loop runs
 * at that fraction of the configuration's saturation, found by a closed-loop
 * probe (experiments/pipeline/point.ts). Latency is end to end, from each
 * batch's intended send time to its ack (no coordinated omission), plus the
 * server's per-stage p99s; CPU per million events; rejects and conservation.
 *
 * Redis rows (target resp, queue "redis-xadd") run where a redis-server binary
 * exists (one is started on a free port) or EVENTLAB_REDIS=host:port points at
 * one; otherwise they are listed as skipped in the metadata.
 *
 * Isolation "inline": the pipeline runs its own Workers, and the saturation
 * cache and the Redis server live for the whole run. Each point starts a
 * fresh pipeline server and sends a short warm-up first (kept out of the e2e
 * latency figures). The grid is in experiments/pipeline/grid.ts.
 */
import "../../impl/index.ts";
import { defineExperiment } from "../runner/types.ts";
import { PIPELINE_GRIDS } from "./grid.ts";
import {
  conservationProblems,
  type PipelinePoint,
  pipelineMeasured,
  pipelineParams,
  pipelinePointSupported,
  runPipelinePoint,
} from "./point.ts";
import { pipelineSection } from "./section.ts";

export default defineExperiment({
  name: "pipeline",
  description:
    "the event pipeline end to end (TCP ingest -> dispatcher -> 3-lane bus -> process managers -> acks) per allocator x queue x Workers, offered load up to saturation, with the Redis XADD baseline",
  module: import.meta.url,
  section: pipelineSection,
  smoke: {
    // One closed-loop eventlab point of 0.3 s: every event acked or rejected.
    points: [
      {
        target: "eventlab",
        alloc: "naive",
        queue: "fan-in",
        ingestWorkers: 1,
        consumers: 1,
        offeredFraction: 0,
        laneMix: "1:1:1",
        recordBytes: 64,
        connections: 2,
        batch: 16,
        durationS: 0.3,
      },
    ],
    check: conservationProblems,
  },
  params: pipelineParams,
  measured: pipelineMeasured,
  grids: PIPELINE_GRIDS,
  // Two rounds in quick, so drift on a shared host spreads over eventlab and Redis rows alike (the runner runs round by round).
  repeats: { quick: 2, full: 1 },
  isolation: "inline",
  include: (p: PipelinePoint) => pipelinePointSupported(p),
  headline: {
    metrics: [{ column: "achievedEventsPerS", higherIsBetter: true }],
    // Its ratio claim is a target measured once per full run (1 repetition of minutes-long
    // points): no interval, so not a headline ratio of the reproducibility check.
    ratios: [],
  },
  claims: [
    {
      id: "pipeline-vs-redis-xadd",
      text: "Target: eventlab's pipeline reaches at least 2x the throughput of Redis XADD pipelined, 64-byte events, same machine, same run.",
      source: "docs/claims.md: the pipeline's acceptance targets",
      claimed: { value: 2, unit: "x (eventlab fan-in / Redis XADD events/s, closed loop)" },
      measured: {
        kind: "ratio",
        unit: "x (eventlab fan-in / Redis XADD events/s, closed loop)",
        numerator: {
          column: "achievedEventsPerS",
          where: {
            target: "eventlab",
            alloc: "naive",
            queue: "fan-in",
            ingestWorkers: 1,
            consumers: 1,
            recordBytes: 64,
            laneMix: "1:1:1",
            offeredFraction: 0,
          },
        },
        denominator: {
          column: "achievedEventsPerS",
          where: { target: "resp", recordBytes: 64, laneMix: "1:1:1", offeredFraction: 0 },
        },
      },
      interpretation:
        "At or above 2: target hit. Both sides closed loop with 4 connections x 4096 events in flight, batches of 64, on the same 2-core host.",
    },
    {
      id: "pipeline-p99-at-80pct",
      text: "Target: p99 end-to-end latency under 5 ms at 80% of saturation (64-byte events).",
      source: "docs/claims.md: the pipeline's acceptance targets",
      claimed: { value: 5e6, unit: "ns (p99 at 80% load)" },
      measured: {
        kind: "value",
        unit: "ns (p99 at 80% load, fan-in)",
        measure: {
          column: "latencyNsP99",
          where: {
            target: "eventlab",
            alloc: "naive",
            queue: "fan-in",
            ingestWorkers: 1,
            consumers: 1,
            recordBytes: 64,
            laneMix: "1:1:1",
            offeredFraction: 0.8,
          },
        },
      },
      interpretation:
        "Below 5e6 ns: target hit. Latency runs from the intended send time, open loop.",
    },
  ],
  async run(p, ctx) {
    if (ctx.signal.aborted) throw new Error("aborted");
    return runPipelinePoint(p, ctx.seed);
  },
});
