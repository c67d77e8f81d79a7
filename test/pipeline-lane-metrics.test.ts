/**
 * Live per-lane counts on the pipeline's GET /metrics (lane-counters.ts):
 * the counters themselves (slots, sums over threads, values past 2^32), then
 * a real `bun run pipeline --http-port 0` in both topologies, scraped after a
 * load run with a REALTIME / TRANSACTIONAL / BATCH mix: per lane, processed and
 * committed equal the events the client saw acked in that lane, nothing is
 * rejected or pending.
 */
import { describe, expect, test } from "bun:test";
import { LANE_NAMES } from "../impl/core/record.ts";
import { LaneTally, laneCounterBytes, readLaneCounts } from "../impl/pipeline/lane-counters.ts";
import { runLoad } from "../impl/pipeline/load.ts";
import { PipelineProcess } from "./support/pipeline-process.ts";

describe("lane counters", () => {
  test("each thread's line is summed; counts pass 2^32 without wrapping", () => {
    const buf = new SharedArrayBuffer(laneCounterBytes(2));
    const a = new LaneTally(buf, 0);
    const b = new LaneTally(buf, 1);
    a.processed(0);
    a.processed(2);
    a.rejectedInvalid(2);
    b.processed(2);
    expect(readLaneCounts(buf).processed).toEqual([0, 0, 0]); // nothing published yet
    a.publish();
    b.publish();
    expect(readLaneCounts(buf)).toEqual({ processed: [1, 0, 2], rejectedInvalid: [0, 0, 1] });
    // A line's word past 2^32 (a Uint32 counter would wrap here), set through the local count.
    const big = new LaneTally(buf, 1);
    const local = (big as unknown as { local: Float64Array }).local;
    local[1] = 2 ** 32 + 5;
    big.publish();
    expect(readLaneCounts(buf).processed[1]).toBe(2 ** 32 + 5);
  });

  test("a slot outside the buffer and a thread count below 1 are refused", () => {
    const buf = new SharedArrayBuffer(laneCounterBytes(1));
    expect(() => new LaneTally(buf, 1)).toThrow(/slot 1 outside 0..0/);
    expect(() => laneCounterBytes(0)).toThrow(/need an integer >= 1/);
  });
});

/** `name{lane="L"...} value` lines of a scrape, keyed by the label text. */
async function scrape(httpPort: number, name: string): Promise<Map<string, number>> {
  const text = await (await fetch(`http://127.0.0.1:${httpPort}/metrics`)).text();
  const out = new Map<string, number>();
  for (const line of text.split("\n")) {
    if (!line.startsWith(`${name}{`)) continue;
    const labels = line.slice(name.length, line.lastIndexOf("}") + 1);
    out.set(labels, Number(line.split(" ").pop()));
  }
  return out;
}

describe.each(["staged", "compact"])(
  "GET /metrics per lane, --topology %s (real process)",
  (topology) => {
    test("processed and committed per lane match the client's acks; none rejected or pending", async () => {
      const p = await PipelineProcess.start([
        "--topology",
        topology,
        "--http-port",
        "0",
        "--quiet",
      ]);
      try {
        expect(p.httpPort).toBeGreaterThan(0);
        const r = await runLoad({
          port: p.port,
          rate: 20000,
          durationS: 1,
          laneMix: [5, 3, 2],
          seed: 7,
        });
        expect(r.errors).toEqual([]);
        expect(r.acked).toBe(r.sent);
        const processed = await scrape(p.httpPort, "eventlab_pipeline_lane_processed_events_total");
        const committed = await scrape(p.httpPort, "eventlab_pipeline_lane_committed_events_total");
        const rejected = await scrape(p.httpPort, "eventlab_pipeline_lane_rejected_events_total");
        const pending = await scrape(p.httpPort, "eventlab_pipeline_lane_pending_events");
        let sum = 0;
        LANE_NAMES.forEach((lane, i) => {
          const acked = r.laneLatency![i]!.count;
          expect(acked).toBeGreaterThan(0);
          expect(processed.get(`{lane="${lane}"}`)).toBe(acked);
          expect(committed.get(`{lane="${lane}"}`)).toBe(acked);
          expect(rejected.get(`{lane="${lane}",reason="INVALID"}`)).toBe(0);
          expect(pending.get(`{lane="${lane}"}`)).toBe(0);
          sum += acked;
        });
        expect(sum).toBe(r.acked);
      } finally {
        expect(await p.stop()).toBe(0);
      }
    });
  },
);
