/**
 * The `compare --base` core (experiments/measure/base-head.ts) on synthetic
 * sides whose figures come from a seeded generator (no timing): a head 20%
 * slower than its base is a regression, an unchanged head is "no change
 * established", a head 20% faster an improvement, for a figure where higher
 * is better and one where lower is better; a side whose trials throw leaves
 * its row "not measured" with the errors listed, and the gate fails; the
 * Markdown states the method, the load and every row's interval and verdict.
 * A row offered as a duet runs in two Workers (test/workers/duet-spin.ts)
 * and is reported with mode "duet", as independent sessions (fresh Workers
 * each) whose first Worker's side is balanced; a duet that cannot start is
 * "not measured". The flags: sessions and pairs bounded, --only a kind or a row id,
 * --design swap (default) or split.
 */
import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import { parseBaseArgs } from "../experiments/compare/base-main.ts";
import {
  type BaseHeadRow,
  type BaseHeadSides,
  baseHeadFailed,
  runBaseHead,
  type Side,
} from "../experiments/measure/base-head.ts";
import { baseHeadJson, baseHeadMarkdown } from "../experiments/measure/base-head-format.ts";
import { Rng } from "../impl/core/rng.ts";

const who = { baseRef: "main", baseCommit: "a".repeat(40), headCommit: "b".repeat(40) };

/** Sides where head's figure is base's times `headFactor` (in the "better" sense), with 10% noise. */
function syntheticSides(
  headFactor: Record<string, number>,
  seed: number,
  failing?: Side,
): BaseHeadSides {
  const rng = new Rng(seed);
  return {
    warmupChunk: () => 1000,
    trial: (side, row) => {
      if (side === failing) throw new Error(`${side} crashed`);
      const noise = Math.exp(0.1 * (rng.next() - 0.5) * 3.46); // uniform, sd 0.1 on the log scale
      const better = side === "head" ? headFactor[row.id]! : 1;
      const base = row.higherIsBetter ? 1e6 : 50;
      return row.higherIsBetter ? base * better * noise : (base / better) * noise;
    },
  };
}

const rows: BaseHeadRow[] = [
  { id: "q slower", figureName: "throughput", figureUnit: "events/s", higherIsBetter: true },
  { id: "q same", figureName: "throughput", figureUnit: "events/s", higherIsBetter: true },
  { id: "a slower", figureName: "time per op", figureUnit: "ns/op", higherIsBetter: false },
  { id: "a faster", figureName: "time per op", figureUnit: "ns/op", higherIsBetter: false },
];
const factors = { "q slower": 0.8, "q same": 1, "a slower": 0.8, "a faster": 1.25 };

describe("runBaseHead", () => {
  test("a row the sides offer as a duet runs in two Workers and says so", async () => {
    const modulePath = join(import.meta.dir, "workers", "duet-spin.ts");
    const sides: BaseHeadSides = {
      duet: (row) =>
        row.id === "spin"
          ? [
              { name: "base", modulePath, exportName: "single" },
              { name: "head", modulePath, exportName: "single" },
            ]
          : null,
      warmupChunk: () => {
        throw new Error("a duet row is never warmed up here");
      },
      trial: () => {
        throw new Error("a duet row never runs interleaved");
      },
    };
    const row = {
      id: "spin",
      figureName: "time per op",
      figureUnit: "ns/op",
      higherIsBetter: false,
    };
    const r = await runBaseHead(
      [row],
      sides,
      { sessions: 4, pairsPerSession: 2, seed: 1, threshold: 0.05, warmup: { maxChunks: 20 } },
      who,
    );
    expect(r.rows[0]!.mode).toBe("duet");
    expect(r.rows[0]!.interval).not.toBeNull();
    expect(r.rows[0]!.head.every((v) => v > 0)).toBe(true);
    // 4 sessions of fresh Workers, 2 pairs each; each side runs in the first Worker twice
    expect(r.rows[0]!.session).toEqual([0, 0, 1, 1, 2, 2, 3, 3]);
    expect(r.rows[0]!.interval!.sessions).toBe(4);
    const firsts = r.rows[0]!.firstWorker!;
    expect(firsts.filter((s) => s === "base")).toHaveLength(2);
    expect(firsts.filter((s) => s === "head")).toHaveLength(2);
    expect(baseHeadMarkdown(r)).toContain(
      "| spin | time per op (ns/op, lower is better) | duet, split |",
    );
  });

  test("a duet that cannot start leaves the row not measured with the reason", async () => {
    const sides: BaseHeadSides = {
      duet: () => [
        { name: "base", modulePath: "/no/such/module.ts", exportName: "x" },
        { name: "head", modulePath: "/no/such/module.ts", exportName: "x" },
      ],
      warmupChunk: () => 1,
      trial: () => 1,
    };
    const row = { id: "broken", figureName: "t", figureUnit: "ns/op", higherIsBetter: false };
    const r = await runBaseHead(
      [row],
      sides,
      { sessions: 3, pairsPerSession: 1, seed: 1, threshold: 0.05 },
      who,
    );
    expect(r.rows[0]!.verdict).toBe("not measured");
    expect(r.rows[0]!.notes[0]).toMatch(/^duet run failed: session 0: duet failed: duet base:/);
    expect(baseHeadFailed(r)).toBe(true);
  });

  test("decides each row on its interval, whichever way the figure points", async () => {
    const r = await runBaseHead(
      rows,
      syntheticSides(factors, 1),
      { sessions: 20, pairsPerSession: 1, seed: 7, threshold: 0.05 },
      who,
    );
    expect(r.rows.map((x) => x.verdict)).toEqual([
      "regression",
      "no change established",
      "regression",
      "improvement",
    ]);
    const slower = r.rows[0]!.interval!;
    expect(slower.lo).toBeLessThan(0.8);
    expect(slower.hi).toBeGreaterThan(0.8);
    expect(r.rows.every((x) => x.base.length === 20 && x.head.length === 20)).toBe(true);
    expect(baseHeadFailed(r)).toBe(true);
    expect(r.rows.every((x) => x.mode === "interleaved")).toBe(true);
  });

  test("no regression passes the gate", async () => {
    const r = await runBaseHead(
      rows.slice(1, 2),
      syntheticSides(factors, 2),
      { sessions: 12, pairsPerSession: 1, seed: 3, threshold: 0.05 },
      who,
    );
    expect(r.rows[0]!.verdict).toBe("no change established");
    expect(baseHeadFailed(r)).toBe(false);
  });

  test("a side whose trials throw leaves the row not measured, errors listed, gate failed", async () => {
    const r = await runBaseHead(
      rows.slice(0, 1),
      syntheticSides(factors, 3, "base"),
      { sessions: 5, pairsPerSession: 1, seed: 1, threshold: 0.05 },
      who,
    );
    expect(r.rows[0]!.verdict).toBe("not measured");
    expect(r.rows[0]!.notes.filter((n) => n.includes("base crashed"))).toHaveLength(5);
    expect(baseHeadFailed(r)).toBe(true);
  });

  test("the Markdown states method, load and each row's interval and verdict; JSON round-trips", async () => {
    const r = await runBaseHead(
      rows,
      syntheticSides(factors, 4),
      { sessions: 10, pairsPerSession: 1, seed: 5, threshold: 0.05 },
      who,
    );
    const md = baseHeadMarkdown(r);
    expect(md).toContain("## eventlab compare --base main");
    expect(md).toContain("95% interval from a two-stage bootstrap (sessions, then pairs within");
    expect(md).toContain(
      "| q slower | throughput (events/s, higher is better) | interleaved | 10 x 1 |",
    );
    expect(md).toContain("Load average (1 min)");
    expect(md).toContain("whole interval lies below 0.95");
    const qs = r.rows[0]!.interval!;
    expect(md).toContain(`| q slower | throughput (events/s, higher is better) | interleaved |`);
    expect(md).toContain(
      `${qs.estimate.toFixed(3)} (${qs.lo.toFixed(3)}–${qs.hi.toFixed(3)}) | **REGRESSION** |`,
    );
    expect(md).toContain("**FAILED**: q slower (regression), a slower (regression)");
    const json = JSON.parse(baseHeadJson(r));
    expect(json.rows[0].head).toEqual(r.rows[0]!.head);
    expect(json.baseCommit).toBe(who.baseCommit);
  });
});

describe("compare --base flags", () => {
  test("sessions and pairs are bounded integers; --only takes a kind or a row id", () => {
    expect(parseBaseArgs(["--base", "main"])).toMatchObject({
      sessions: null,
      pairs: 3,
      only: null,
    });
    expect(
      parseBaseArgs(["--base", "main", "--sessions", "12", "--pairs", "2", "--only", "spsc p=1"]),
    ).toMatchObject({ sessions: 12, pairs: 2, only: "spsc p=1" });
    expect(() => parseBaseArgs(["--base", "main", "--sessions", "2"])).toThrow(/--sessions/);
    expect(() => parseBaseArgs(["--base", "main", "--pairs", "0"])).toThrow(/--pairs/);
    expect(() => parseBaseArgs(["--base", "main", "--only", ""])).toThrow(/--only/);
    expect(() => parseBaseArgs(["--base", "main", "--blocks", "5"])).toThrow(/blocks/);
    expect(parseBaseArgs(["--base", "main"]).design).toBe("swap");
    expect(parseBaseArgs(["--base", "main", "--design", "split"]).design).toBe("split");
    expect(() => parseBaseArgs(["--base", "main", "--design", "both"])).toThrow(
      /--design: expected "swap" or "split", got "both"/,
    );
  });
});
