/**
 * The `pipeline` experiment's point function (experiments/pipeline/point.ts),
 * run for real at tiny durations: a closed-loop eventlab point yields a row
 * that matches the measured schema, conserves every event, carries its
 * per-stage p99s and sets the saturation figure that the next open-loop point
 * of the same configuration reuses; a Redis point (where redis-server is
 * installed) yields a row without stage columns; unsupported wirings are
 * refused with a reason. No speed is asserted.
 */
import "../impl/index.ts";
import { afterAll, describe, expect, test } from "bun:test";
import { z } from "zod";
import {
  type PipelinePoint,
  pipelineMeasured,
  pipelinePointSupported,
  REDIS_QUEUE,
  runPipelinePoint,
  stopPointRedis,
} from "../experiments/pipeline/point.ts";
import { redisServerBinary } from "../impl/pipeline/resp-server.ts";

const measuredSchema = z.object(pipelineMeasured).strict();
const base = {
  laneMix: "1:1:1",
  recordBytes: 64 as const,
  connections: 2,
  batch: 16,
  durationS: 0.3,
};
const eventlab: PipelinePoint = {
  target: "eventlab",
  alloc: "naive",
  queue: "fan-in",
  ingestWorkers: 1,
  consumers: 1,
  offeredFraction: 0,
  ...base,
};

test("closed-loop eventlab point: a valid, conserved row; the next open-loop point reuses its saturation", async () => {
  const closed = measuredSchema.parse(await runPipelinePoint(eventlab, 5));
  expect(closed.conservationErrors).toBe(0);
  expect(closed.sent).toBeGreaterThan(0);
  expect(closed.acked + closed.rejected).toBe(closed.sent);
  expect(closed.unresolved).toBe(0);
  expect(closed.saturationEventsPerS).toBe(closed.achievedEventsPerS);
  expect(closed.stageIngestParseToQueuedNsP99).not.toBeNull();
  expect(closed.stageProcessLocalNsP99).not.toBeNull();
  expect(closed.latencyNsP99).toBeGreaterThanOrEqual(closed.latencyNsP50);

  const open = measuredSchema.parse(
    await runPipelinePoint({ ...eventlab, offeredFraction: 0.3 }, 6),
  );
  expect(open.saturationEventsPerS).toBe(closed.achievedEventsPerS);
  expect(open.conservationErrors).toBe(0);
  expect(open.acked + open.rejected).toBe(open.sent);
}, 60_000);

test("unsupported wirings are refused with a reason", () => {
  expect(pipelinePointSupported(eventlab)).toBe(true);
  expect(pipelinePointSupported({ ...eventlab, queue: "spsc", ingestWorkers: 2 })).toMatch(
    /producer/i,
  );
  expect(pipelinePointSupported({ ...eventlab, queue: "no-such-queue" })).toMatch(/no-such-queue/);
  const resp = { ...eventlab, target: "resp" as const };
  expect(pipelinePointSupported(resp)).toMatch(/resp rows use alloc "-"/);
});

describe.skipIf(redisServerBinary() === null)("Redis point", () => {
  afterAll(stopPointRedis);
  test("a closed-loop XADD point: a valid, conserved row without stage columns", async () => {
    const row = measuredSchema.parse(
      await runPipelinePoint(
        {
          ...base,
          target: "resp",
          alloc: "-",
          queue: REDIS_QUEUE,
          ingestWorkers: 0,
          consumers: 0,
          offeredFraction: 0,
        },
        7,
      ),
    );
    expect(row.conservationErrors).toBe(0);
    expect(row.acked).toBe(row.sent);
    expect(row.stageDispatchSinceIngestNsP99).toBeNull();
    expect(row.cpuSPerMillionEvents).not.toBeNull();
  }, 60_000);
});
