/**
 * `bun run compare`'s verdict logic on synthetic inputs (no timing): ratios
 * are taken per repetition against the baseline and summarised as geometric
 * mean with a 95% bootstrap interval; a threshold holds only when the whole
 * interval is at or above it (an interval wholly below fails as a regression,
 * one straddling it is "not established" and fails too); a broken invariant fails; a threshold naming no row fails; the
 * Markdown table shows figure, ratio, threshold and invariant status. Also:
 * the allocator contract check catches an allocator that hands out a live
 * object again (the C++ pool's out-of-order bug, built here as a fixture), the
 * config and flags are validated with errors naming the field or flag (a bad
 * --config file: one line naming file and key, exit 2, from the real CLI), and the
 * committed compare.config.json parses.
 */
import { describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { allocInvariants } from "../experiments/compare/alloc.ts";
import {
  ConfigError,
  loadCompareConfig,
  parseCompareConfig,
} from "../experiments/compare/config.ts";
import {
  type CompareRow,
  evaluate,
  failed,
  markdownForContract,
  markdownSummary,
  ratiosPerRepeat,
  unknownThresholds,
} from "../experiments/compare/eval.ts";
import { parseCompareArgs } from "../experiments/compare/main.ts";
import { longRunSentence, timedEvents } from "../experiments/compare/queue.ts";
import { checkAllocator } from "../impl/alloc/check.ts";
import {
  type Allocator,
  AllocatorMisuseError,
  type EventFields,
  newEventFields,
} from "../impl/core/index.ts";

const ok = [{ name: "lost=0", ok: true, detail: "lost=0" }];

function row(id: string, values: number[], extra: Partial<CompareRow> = {}): CompareRow {
  return {
    contract: "queue",
    id,
    implementation: id.split(" ")[0]!,
    setting: "1 producer",
    figureName: "throughput",
    figureUnit: "events/s",
    higherIsBetter: true,
    values,
    invariants: ok,
    baselineId: "message-port p=1",
    ...extra,
  };
}

const base = row("message-port p=1", [10e6, 20e6, 10e6], { baselineId: null });

describe("ratios and thresholds", () => {
  test("ratios are per repetition: faster repetition of the baseline does not inflate the ratio", () => {
    const spsc = row("spsc p=1", [30e6, 60e6, 20e6]);
    expect(ratiosPerRepeat(spsc, base)).toEqual([3, 3, 2]);
    const [v] = evaluate([base, spsc], {}).filter((x) => x.row.id === "spsc p=1");
    // geometric mean of 3, 3, 2 with a bootstrap interval inside [2, 3]
    expect(v!.ratio!.estimate).toBeCloseTo(18 ** (1 / 3), 6);
    expect(v!.ratio!.lo).toBeGreaterThanOrEqual(2 - 1e-9);
    expect(v!.ratio!.hi).toBeLessThanOrEqual(3 + 1e-9);
    expect(v!.ratio!.n).toBe(3);
  });

  test("lower-is-better figures invert, so every ratio reads 'times better than baseline'", () => {
    const naive = row("naive", [100, 100, 100], {
      contract: "allocator",
      higherIsBetter: false,
      baselineId: null,
    });
    const pool = row("array-pool", [50, 80, 200], {
      contract: "allocator",
      higherIsBetter: false,
      baselineId: "naive",
    });
    expect(ratiosPerRepeat(pool, naive)).toEqual([2, 1.25, 0.5]);
  });

  test("a threshold holds only when the whole interval is at or above it", () => {
    const spsc = row("spsc p=1", [15e6, 30e6, 15e6]); // 1.5x every repetition
    const pass = evaluate([base, spsc], { "spsc p=1": 1.4 });
    expect(pass.every((v) => !v.regression)).toBe(true);
    expect(failed(pass)).toBe(false);
    const fail = evaluate([base, spsc], { "spsc p=1": 2 });
    const v = fail.find((x) => x.row.id === "spsc p=1")!;
    expect(v.regression).toBe(true);
    expect(v.claim).toBe("fails");
    expect(v.problems.join()).toContain(
      "regression: ratio interval 1.5x (1.5x–1.5x) wholly below threshold 2x",
    );
    expect(failed(fail)).toBe(true);
  });

  test("an interval straddling the threshold is not established and fails the gate", () => {
    const spsc = row("spsc p=1", [30e6, 60e6, 20e6]); // ratios 3, 3, 2
    const v = evaluate([base, spsc], { "spsc p=1": 2.5 }).find((x) => x.row.id === "spsc p=1")!;
    expect(v.claim).toBe("not established");
    expect(v.regression).toBe(true);
    expect(v.problems.join()).toContain("not established: ratio interval");
    expect(v.problems.join()).toContain("reaches below threshold 2.5x");
  });

  test("a threshold with no measured ratio (every repetition failed) is a regression", () => {
    const broken = row("spsc p=1", [Number.NaN, Number.NaN, Number.NaN]);
    const [, v] = evaluate([base, broken], { "spsc p=1": 0.5 });
    expect(v!.regression).toBe(true);
    expect(v!.problems.join()).toContain("3 of 3 repetitions produced no figure");
  });

  test("a broken invariant fails the run even when the ratio is fine", () => {
    const lossy = row("spsc p=4", [40e6, 80e6, 40e6], {
      invariants: [{ name: "lost=0", ok: false, detail: "lost=17" }],
    });
    const verdicts = evaluate([base, lossy], {});
    expect(verdicts[1]!.invariantsOk).toBe(false);
    expect(failed(verdicts)).toBe(true);
    expect(markdownSummary(verdicts, { allocator: "naive", queue: "message-port" }, "h")).toContain(
      "- spsc p=4: invariant lost=0 broken: lost=17",
    );
  });

  test("a threshold naming no measured row fails (a stale config must not pass silently)", () => {
    const rows = [base, row("spsc p=1", [10e6, 20e6, 10e6])];
    const stale = unknownThresholds(rows, { "spsc p=1": 0.5, "ring p=1": 1 });
    expect(stale).toEqual(["ring p=1"]);
    expect(failed(evaluate(rows, {}), stale)).toBe(true);
  });
});

describe("Markdown", () => {
  test("one table per contract: figure with spread, ratio with spread, threshold and invariants", () => {
    const spsc = row("spsc p=1", [30e6, 60e6, 20e6]);
    const md = markdownForContract(
      "queue",
      evaluate([base, spsc], { "spsc p=1": 1.5 }),
      "message-port",
    );
    const lines = md.split("\n");
    expect(lines[0]).toBe("### Queues");
    expect(md).toContain(
      "| implementation | setting | throughput (events/s): median (min–max) | ratio vs message-port, 95% CI (higher is better) | threshold | invariants |",
    );
    expect(md).toContain(
      "| message-port | 1 producer | 10M (10M–20M) | baseline | — | ok (lost=0) |",
    );
    expect(md).toContain(
      "| spsc | 1 producer | 30M (20M–60M) | 2.62x (2x–3x) | ≥ 1.5x ok | ok (lost=0) |",
    );
    expect(markdownForContract("allocator", evaluate([base], {}), "naive")).toBe("");
  });

  test("the summary ends PASSED or FAILED with every problem listed", () => {
    const good = markdownSummary(
      evaluate([base], {}),
      { allocator: "naive", queue: "message-port" },
      "seed 1",
    );
    expect(good).toContain("## eventlab compare\n\nseed 1");
    expect(
      good
        .trimEnd()
        .endsWith(
          "**PASSED**: every invariant holds and every ratio interval lies at or above its threshold.",
        ),
    ).toBe(true);
    const bad = markdownSummary(
      evaluate([base], {}),
      { allocator: "naive", queue: "message-port" },
      "seed 1",
      ["x"],
    );
    expect(bad).toContain("**FAILED**: 1 problem(s)");
    expect(bad).toContain('threshold for "x" matches no measured row');
  });

  test("a row's notes are listed under its contract's table", () => {
    const spsc = row("spsc p=1", [30e6, 60e6, 20e6], { notes: ["set against a long run"] });
    const md = markdownForContract("queue", evaluate([base, spsc], {}), "message-port");
    expect(md).toContain("\n- spsc p=1: set against a long run\n");
    const none = markdownForContract("queue", evaluate([base], {}), "message-port");
    expect(none).not.toContain("\n- ");
  });

  test("a queue row's median against its long run: within 25%, or how far and which way", () => {
    expect(longRunSentence(90e6, 100e6, 1000, 0.5)).toBe(
      "median 90.00M/s = 90.0% of long runs measured after the repetitions (median of 3, 1000 events each, 0.50 s timed after a lead-in: 100.00M/s), within 25%",
    );
    expect(longRunSentence(125e6, 100e6, 1000, 1)).toContain("within 25%");
    expect(longRunSentence(70e6, 100e6, 1000, 1)).toContain("70.0% of long runs");
    expect(longRunSentence(70e6, 100e6, 1000, 1)).toContain("MORE than 25% below it");
    expect(longRunSentence(130e6, 100e6, 1000, 1)).toContain("MORE than 25% above it");
    expect(longRunSentence(74.9e6, 100e6, 1000, 1)).toContain("74.9% of long runs");
    expect(longRunSentence(74.9e6, 100e6, 1000, 1)).toContain("MORE than 25% below it");
  });
});

/**
 * The C++ pool's bug as a fixture: release pushes the index back, but acquire
 * takes the slot *after* the last acquired one, so after an out-of-order
 * release it hands out an object that is still live.
 */
class BrokenPool implements Allocator<EventFields> {
  readonly name = "broken";
  readonly recordBytes = 64;
  readonly capacity = 64;
  private readonly objects = Array.from({ length: 64 }, () => newEventFields(64));
  private next = 0;
  private liveCount = 0;
  acquire(): EventFields {
    this.liveCount++;
    const o = this.objects[this.next]!;
    this.next = (this.next + 1) % 64;
    return o;
  }
  release(_ref: EventFields): void {
    if (this.liveCount === 0) throw new AllocatorMisuseError("nothing live");
    this.liveCount--;
  }
  write(ref: EventFields, ev: EventFields): void {
    Object.assign(ref, { ...ev, payload: ref.payload });
    ref.payload.set(ev.payload);
  }
  read(ref: EventFields, out: EventFields): EventFields {
    Object.assign(out, { ...ref, payload: out.payload });
    out.payload.set(ref.payload);
    return out;
  }
  live(): number {
    return this.liveCount;
  }
}

describe("allocator contract check", () => {
  test("catches an allocator that hands out a live object again", () => {
    const counts = checkAllocator(new BrokenPool() as Allocator, 7, 5000, 48);
    expect(counts.reusedWhileLive + counts.damagedWhileLive).toBeGreaterThan(0);
    const inv = allocInvariants(counts);
    expect(inv.find((i) => i.name === "no live reuse")!.ok).toBe(false);
    expect(inv.find((i) => i.name === "misuse refused")!.ok).toBe(true);
  });
});

describe("config and flags", () => {
  test("the committed compare.config.json parses", () => {
    const cfg = loadCompareConfig("compare.config.json");
    expect(cfg.allocator.baseline).toBe("naive");
    expect(cfg.queue.baseline).toBe("message-port");
    for (const v of [
      ...Object.values(cfg.allocator.minRatio),
      ...Object.values(cfg.queue.minRatio),
    ])
      expect(v).toBeGreaterThan(0);
  });

  test("timed runs are sized from the probed rate, within the configured bounds", () => {
    const cfg = loadCompareConfig("compare.config.json");
    const q = {
      ...cfg.queue,
      eventsPerProducer: 200_000,
      minEventsPerProducer: 10_000,
      targetRunS: 0.5,
    };
    const c = { ...cfg, queue: q };
    expect(timedEvents(c, 1, 50_000)).toBe(25_000); // a slow queue: 0.5 s worth
    expect(timedEvents(c, 4, 50_000)).toBe(10_000); // floor
    expect(timedEvents(c, 1, 5e6)).toBe(200_000); // ceiling
    expect(timedEvents(c, 1, 0)).toBe(10_000); // no rate measured: the floor
  });

  test("a bad config field is named", () => {
    const cfg = loadCompareConfig("compare.config.json");
    const bad = { ...cfg, queue: { ...cfg.queue, capacitySlots: 0 } };
    expect(() => parseCompareConfig(bad, "x.json")).toThrow(ConfigError);
    expect(() => parseCompareConfig(bad, "x.json")).toThrow(
      "config file x.json: key queue.capacitySlots:",
    );
    const neg = { ...cfg, allocator: { ...cfg.allocator, minRatio: { slab: -1 } } };
    expect(() => parseCompareConfig(neg, "x.json")).toThrow("allocator.minRatio.slab");
  });

  test("bun run compare --config with a bad value: one line naming the file and key, exit 2", () => {
    const dir = mkdtempSync(join(tmpdir(), "eventlab-compare-config-"));
    try {
      const path = join(dir, "bad.json");
      const cfg = loadCompareConfig("compare.config.json");
      writeFileSync(path, JSON.stringify({ ...cfg, queue: { ...cfg.queue, capacitySlots: 0 } }));
      const r = Bun.spawnSync(
        [
          process.execPath,
          join(import.meta.dir, "..", "experiments", "compare", "main.ts"),
          "--config",
          path,
        ],
        { stdout: "pipe", stderr: "pipe" },
      );
      const err = r.stderr.toString();
      expect(r.exitCode).toBe(2);
      expect(err.trim().split("\n")).toHaveLength(1);
      expect(err).toContain(`config file ${path}: key queue.capacitySlots:`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("flags: seed, out (never inside results/), only; bad values are named", () => {
    expect(parseCompareArgs([]).seed).toBeGreaterThan(0);
    expect(parseCompareArgs(["--seed", "9", "--out", "/tmp/x", "--only", "queue"])).toMatchObject({
      seed: 9,
      outDir: "/tmp/x",
      only: "queue",
    });
    expect(() => parseCompareArgs(["--seed", "-3"])).toThrow("--seed");
    expect(() => parseCompareArgs(["--only", "raft"])).toThrow("--only");
    expect(() => parseCompareArgs(["--out", "results/ci"])).toThrow("inside results/");
    expect(() => parseCompareArgs(["--out", "results"])).toThrow("inside results/");
    expect(() => parseCompareArgs(["--speed"])).toThrow("speed");
  });
});
