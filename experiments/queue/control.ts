/**
 * The queue section's view of the control (null-conduit.ts): each queue
 * point's events/s as a fraction of the null conduit's at the same point
 * (same producers, capacity, mode, batch, record size, wait strategy and
 * events), paired by repetition (the two ran in the same sweep) and shown as
 * the geometric mean of the per-pair fractions with its 95% bootstrap
 * interval (report/ratio.ts). Points with no control (more than one
 * producer, span mode) say so.
 */
import { fmt } from "../report/format.ts";
import { fmtPairedRatio, pairedRatioInterval } from "../report/ratio.ts";
import type { Row, Table } from "../report/section.ts";
import { column, groupBy, spread } from "../report/stats.ts";
import { NULL_CONDUIT_NAME } from "./null-conduit.ts";

/** The params that make a queue point (every param but the queue); one list for the queue section. */
export const POINT = [
  "producers",
  "capacitySlots",
  "mode",
  "batchRecords",
  "recordBytes",
  "waitStrategy",
  "eventsTotal",
];

function perRepeat(rows: readonly Row[]): Map<number, number> {
  return new Map(rows.map((r) => [Number(r.repeat), Number(r.throughputEventsPerS)]));
}

const keyOf = (r: Row) => JSON.stringify(POINT.map((k) => r[k]));

/** One row per queue point: its events/s, the control's, and the paired fraction. */
export function controlTable(rows: readonly Row[]): Table {
  const control = new Map(
    groupBy(
      rows.filter((r) => r.queue === NULL_CONDUIT_NAME),
      POINT,
    ).map((g) => [keyOf(g.rows[0]!), g.rows]),
  );
  const groups = groupBy(
    rows.filter((r) => r.queue !== NULL_CONDUIT_NAME),
    ["queue", ...POINT],
  );
  return {
    caption: `queue vs the harness ceiling: events/s as a fraction of the control (${NULL_CONDUIT_NAME}: the same driver, Workers, records and checks through a conduit that only copies each batch across) at the same point, paired by repetition. 1 = as fast as the control; above 1 can happen where waiting rather than moving records sets the pace (the control waits by the point's wait strategy too)`,
    header: [
      "queue",
      "producers",
      "mode",
      "capacitySlots",
      "batchRecords",
      "recordBytes",
      "waitStrategy",
      "events/s (median)",
      "control events/s (median)",
      "fraction of control (95% CI)",
    ],
    rows: groups.map((g) => {
      const k = g.key;
      const c = control.get(keyOf(g.rows[0]!));
      return [
        String(k.queue),
        String(k.producers),
        String(k.mode),
        String(k.capacitySlots),
        String(k.batchRecords),
        String(k.recordBytes),
        String(k.waitStrategy),
        fmt(spread(column(g.rows, "throughputEventsPerS")).median),
        c ? fmt(spread(column(c, "throughputEventsPerS")).median) : "—",
        c
          ? fmtPairedRatio(pairedRatioInterval(perRepeat(g.rows), perRepeat(c)))
          : k.producers !== 1 || k.mode === "span"
            ? "no control (it runs only at one-producer points without spans)"
            : "no control row at this point",
      ];
    }),
  };
}

/** A finding on the control, or why there is none. */
export function controlFinding(rows: readonly Row[]): string {
  const c = rows.filter((r) => r.queue === NULL_CONDUIT_NAME);
  if (c.length === 0)
    return `No control rows (${NULL_CONDUIT_NAME}): these results predate the harness-ceiling control, so no figure says how far it is from the harness's limit.`;
  const best = spread(column(c, "throughputEventsPerS"));
  return `Harness ceiling: the control (${NULL_CONDUIT_NAME}) moved up to ${fmt(best.max)} events/s (median over its points and repetitions ${fmt(best.median)}); the "queue vs the harness ceiling" table gives each queue point as a fraction of the control at the same point.`;
}
