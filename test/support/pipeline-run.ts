/**
 * One in-process pipeline, one load run against it, a graceful stop, then the
 * conservation checks every such test makes (nothing lost, rejected or acked
 * twice) and the caller's own checks on the server's final stats. The stop
 * runs even when the load throws, so no Worker outlives a failed test.
 */
import { expect } from "bun:test";
import type { PipelineOptions } from "../../impl/pipeline/config.ts";
import { type LoadOptions, type LoadResult, runLoad } from "../../impl/pipeline/load.ts";
import { type PipelineStats, startPipeline } from "../../impl/pipeline/server.ts";

export async function runConserved(
  server: PipelineOptions,
  load: Omit<LoadOptions, "port">,
  checkStats: (stats: PipelineStats, load: LoadResult) => void,
): Promise<void> {
  const s = await startPipeline({ port: 0, ...server });
  let r: LoadResult | undefined;
  try {
    r = await runLoad({ port: s.port, ...load });
  } finally {
    const stats = await s.stop();
    if (r) {
      expect(r.errors).toEqual([]);
      expect(r.sent).toBeGreaterThan(0);
      expect(r.acked).toBe(r.sent);
      expect(r.rejected).toBe(0);
      expect(stats.counters["ingest.duplicateAcks"]).toBe(0);
      checkStats(stats, r);
    }
  }
}
