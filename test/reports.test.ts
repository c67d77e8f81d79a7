/**
 * `bun run reports` end to end on fixture results: fixture CSVs (every quick
 * grid point x 3 repetitions, measured values from formulas below) are written
 * to a temp dir in the experiments' own row shapes, the report is built into
 * another temp dir, and we check: every chart's .vl.json/.svg/.png exists, each
 * SVG draws data marks and each PNG is a real image; README.md carries each
 * claim line with the figure computed here by hand from the formulas; a missing
 * CSV is skipped with a note; a bad cell is an error naming file, row and
 * column; no font means a loud error; index.html is self-contained and, opened
 * in headless Chromium (playwright-core driving /usr/bin/chromium), renders
 * every chart with non-zero size and a clean console (screenshot saved in the
 * temp dir). Chromium missing: skipped locally with a message, a failure on CI.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { experimentNames, findExperiment } from "../experiments/registry.ts";
import { type BuildSummary, buildReports } from "../experiments/report/build.ts";
import { countSvgMarks, FontError, findFontDir } from "../experiments/report/render.ts";
import type { Experiment } from "../experiments/runner/types.ts";
import { type Row, writeFixture } from "./reports-fixtures.ts";

const REPEATS = 3;
/** Debian's chromium; CHROMIUM_PATH names another (e.g. Google Chrome on GitHub's Ubuntu runners). */
const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

/** ops/s per allocator: base x (1 + slope x repeat), divided by a live-set penalty. */
const ALLOC_BASE = { naive: 10e6, "array-pool": 13e6, slab: 8e6 } as Record<string, number>;
const ALLOC_SLOPE = { naive: 0.01, "array-pool": 0.03, slab: 0 } as Record<string, number>;
function allocOps(p: Row, r: number): number {
  const a = String(p.allocator);
  return (ALLOC_BASE[a]! * (1 + ALLOC_SLOPE[a]! * r)) / (1 + (p.liveSetSize as number) / 20000);
}

/** events/s per queue; spsc gains 10% per repeat, the rest are flat. */
const QUEUE_BASE = { spsc: 30e6, "fan-in": 20e6, mutex: 5e6, "message-port": 10e6 } as Record<
  string,
  number
>;
function queueRate(p: Row, r: number): number {
  return QUEUE_BASE[String(p.queue)]! * (p.queue === "spsc" ? 1 + 0.1 * r : 1);
}

const KINDS = ["lost", "duplicated", "reordered", "corrupted"];
/** Damage per kind per run: 100 x producers + repeat for spsc with 2+ producers, else 0. */
function misuseDamage(p: Row, r: number): number {
  return p.queue === "spsc" && (p.producers as number) > 1 ? 100 * (p.producers as number) + r : 0;
}

function values(exp: string) {
  return (p: Row, r: number, c: string): unknown => {
    if (exp === "alloc") {
      if (c === "opsPerS") return allocOps(p, r);
      if (c === "nsPerOp") return 1e9 / allocOps(p, r);
      if (c === "chunkNsP99") return 50_000 * (1 + (p.liveSetSize as number) / 1000);
      if (c === "slowChunkTimeFraction") return p.allocator === "naive" ? 0.05 : 0.01;
      if (c === "heapGrowthBytes") return p.allocator === "naive" ? 8e6 : 1e5;
    }
    if (exp === "queue" || exp === "spsc-misuse") {
      if (c === "throughputEventsPerS") return queueRate(p, r);
      if (c === "latencyNsP50") return 2000;
      if (c === "latencyNsP99") return 20_000;
      if (c === "latencyNsP999") return 60_000;
      if (c === "timedOut") return false;
      if (c === "errorCount") return 0;
      if (KINDS.includes(c)) return exp === "spsc-misuse" ? misuseDamage(p, r) : 0;
      if (c === "damagedFraction")
        return misuseDamage(p, r) > 0 ? 0.01 * (p.producers as number) : 0;
    }
    if (exp === "raft-election") {
      // Percentile p of a line: (lo + 10) x (1 + p/100); mean at the P50; 150-150 leaderless 20% of trials.
      const base = (p.timeoutMinMs as number) + 10;
      const m = /^timeWithoutLeaderMsP(\d+)$/.exec(c);
      if (m) return base * (1 + Number(m[1]) / 100);
      if (c === "timeWithoutLeaderMsMean") return base * 1.5;
      if (c === "censoredFraction") return p.timeoutMaxMs === 150 ? 0.2 : 0;
      if (c === "censored")
        return p.timeoutMaxMs === 150 ? Math.round((p.trials as number) * 0.2) : 0;
    }
    if (exp === "wakeup") {
      if (c.startsWith("latencyNs")) return p.waitStrategy === "park" ? 40_000 : 2_000;
      if (c === "cpuUtilisationCores") return p.waitStrategy === "spin" ? 1.9 : 0.2;
    }
    return undefined;
  };
}

/** raft-election is registered once the Raft simulator lands; its checks run from then on. */
const HAVE_RAFT = experimentNames().includes("raft-election");
if (!HAVE_RAFT)
  console.warn("reports test: raft-election is not registered yet; its section checks are skipped");
const NAMES = ["alloc", "queue", "wakeup", "spsc-misuse", ...(HAVE_RAFT ? ["raft-election"] : [])];
let root: string;
let results: string;
let out: string;
let exps: Experiment[];
let summary: BuildSummary;
let readme: string;

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), "eventlab-reports-test-"));
  results = join(root, "results");
  out = join(root, "reports");
  exps = NAMES.map((n) => findExperiment(n));
  Bun.spawnSync(["mkdir", "-p", results]);
  // Each experiment's own quick repetition count (raft-election: 1 line = 1 repetition of many trials).
  for (const e of exps) writeFixture(results, e, e.repeats?.quick ?? REPEATS, values(e.name));
  summary = await buildReports({ resultsDir: results, outDir: out, experiments: exps });
  readme = readFileSync(join(out, "README.md"), "utf8");
}, 120_000);

afterAll(() => {
  if (process.env.KEEP_REPORT_TEST_DIR) console.log(`report test dir kept: ${root}`);
  else rmSync(root, { recursive: true, force: true });
});

describe("bun run reports on fixture results", () => {
  test("every experiment gets charts, and every chart its spec, SVG with marks and PNG", () => {
    for (const s of summary.sections) {
      expect(s.status).toBe("ok");
      expect(s.charts.length).toBeGreaterThanOrEqual(2);
      for (const c of s.charts) {
        const base = join(out, s.experiment, c.name);
        const spec = JSON.parse(readFileSync(`${base}.vl.json`, "utf8"));
        expect(spec.$schema).toContain("vega-lite");
        const svg = readFileSync(`${base}.svg`, "utf8");
        expect(svg.startsWith("<svg")).toBe(true);
        expect(countSvgMarks(svg)).toBeGreaterThan(0);
        const png = readFileSync(`${base}.png`);
        expect([...png.subarray(0, 8)]).toEqual([137, 80, 78, 71, 13, 10, 26, 10]);
        expect(png.length).toBeGreaterThan(5000);
      }
    }
    expect(summary.charts).toBe(summary.sections.reduce((a, s) => a + s.charts.length, 0));
  });

  test("the C++ pool claim sits beside the ratio computed from the fixture", () => {
    // Per repetition r: 13(1+0.03r) / 10(1+0.01r) = 1.3, 1.3257, 1.3510 -> median 1.33, min 1.3, max 1.35.
    expect(readme).toContain("13.1M vs 10.7M ops/s (+23%");
    expect(readme).toContain("| 1.22 x (pool / plain allocation ops/s) |");
    expect(readme).toContain("1.33 (1.3–1.35) x (array-pool / naive ops/s) over 3 repetitions");
  });

  test("the SPSC misuse claims sit beside the damage counts from the fixture", () => {
    // spsc at 2..4 producers: 4 kinds x (100p + r) per run -> 800..1608, median 1204 over 9 runs.
    expect(readme).toContain("Lock-free dispatcher, zero contention");
    expect(readme).toContain("1204 (800–1608) events damaged per run over 9 runs");
    // The experiment's own claims: damagedFraction 0.01 x producers.
    expect(readme).toContain(
      "0.02 fraction of events lost, duplicated or corrupted (spsc, 2 producers) over 3 repetitions",
    );
    expect(readme).toContain(
      "0.04 fraction of events lost, duplicated or corrupted (spsc, 4 producers) over 3 repetitions",
    );
  });

  test("the queue claims: spsc / message-port ratio and the MessagePort rate", () => {
    // spsc 30M x (1 + 0.1r) over message-port 10M: 3, 3.3, 3.6.
    expect(readme).toContain("3.3 (3–3.6) x (spsc / message-port events/s) over 3 repetitions");
    expect(readme).toContain("10 M events/s over 3 runs (batch 256, 1 producer)");
  });

  test.skipIf(!HAVE_RAFT)(
    "the Raft Figure 16 statements sit beside the figures from the fixture",
    () => {
      // 150-155: P50 = 160 x 1.5 = 240; 150-200: P100 = 160 x 2 = 320; 12-24: mean 22 x 1.5 = 33, P100 44.
      expect(readme).toContain(
        "| 287 ms (median time without leader) | 240 ms (median time without leader) over 1 repetition; its 50 trials: P25–P75 200–280 ms, P99 318 ms |",
      );
      expect(readme).toContain(
        "| 513 ms (worst time without leader) | 320 ms (worst time without leader) over 1 repetition; its 50 trials: P25–P75 200–280 ms, P99 318 ms |",
      );
      expect(readme).toContain(
        "| 35 ms (mean time without leader) | 33 ms (mean time without leader) over 1 repetition; its 50 trials: P25–P75 27.5–38.5 ms, P99 43.8 ms |",
      );
      expect(readme).toContain(
        "| 152 ms (worst time without leader) | 44 ms (worst time without leader) over 1 repetition; its 50 trials: P25–P75 27.5–38.5 ms, P99 43.8 ms |",
      );
      expect(readme).toContain(
        "20 % of trials leaderless at the cap (5 trials; cap 10k ms; worst 320 ms)",
      );
      expect(readme).toContain(
        "150-155 ms (paper: median 287 ms): median 240 ms (P25–P75 200–280 ms)",
      );
      const raft = summary.sections.find((x) => x.experiment === "raft-election")!;
      expect(raft.charts.map((c) => c.name)).toEqual([
        "figure16-top",
        "figure16-bottom",
        "pre-vote",
      ]);
      // The quick grid runs 12-24 and 150-300 with pre-vote too; the fixture gives both the same times.
      expect(readme).toContain(
        "12-24 ms: median 33 ms with pre-vote vs 33 ms without; worst 44 vs 44 ms.",
      );
    },
  );

  test("summary tables quote median (min–max) per point, and the run's metadata is shown", () => {
    // naive, live 0, 32 B: 10M x (1, 1.01, 1.02).
    expect(readme).toMatch(/\| naive \| 0 \| 32 \| [^|]+ \| 10\.1M \(10M–10\.2M\) \|/);
    expect(readme).toContain("Fixture CPU @ 1.00GHz, 2 cores");
    expect(readme).toContain("seed 42, 3 repetitions per point");
    for (const s of summary.sections)
      for (const c of s.charts)
        expect(readme).toContain(`![${c.title}](${s.experiment}/${c.name}.svg)`);
  });

  test("index.html is one self-contained file with every chart inline", () => {
    const html = readFileSync(join(out, "index.html"), "utf8");
    expect(html).not.toMatch(/<script|<link|<img|<iframe|@import|url\(http|src="http/i);
    expect((html.match(/<svg /g) ?? []).length).toBe(summary.charts);
    // Ids are made unique per chart, so clip paths of one chart never clip another.
    const ids = [...html.matchAll(/\bid="([^"]+)"/g)].map((m) => m[1]);
    expect(new Set(ids).size).toBe(ids.length);
  });
});

describe("reports: missing and bad inputs", () => {
  test("an experiment without a CSV is skipped with a note", async () => {
    const dir = join(root, "partial");
    Bun.spawnSync(["mkdir", "-p", dir]);
    writeFixture(dir, exps[0]!, 2, values(exps[0]!.name));
    const s = await buildReports({
      resultsDir: dir,
      outDir: join(root, "partial-out"),
      experiments: exps,
    });
    expect(s.sections.map((x) => x.status as string)).toEqual([
      "ok",
      ...NAMES.slice(1).map(() => "missing"),
    ]);
    const md = readFileSync(join(root, "partial-out", "README.md"), "utf8");
    expect(md).toContain(`Skipped: ${join(dir, "queue.csv")} not found`);
  });

  test("a CSV cell that fails the row schema is an error naming file, row and column", async () => {
    const dir = join(root, "bad");
    Bun.spawnSync(["mkdir", "-p", dir]);
    writeFixture(dir, exps[0]!, 1, values(exps[0]!.name));
    const csv = join(dir, "alloc.csv");
    const lines = readFileSync(csv, "utf8").split("\n");
    const header = lines[0]!.split(",");
    const col = header.indexOf("nsPerOp");
    const cells = lines[2]!.split(",");
    cells[col] = "fast";
    lines[2] = cells.join(",");
    writeFileSync(csv, lines.join("\n"));
    const run = buildReports({
      resultsDir: dir,
      outDir: join(root, "bad-out"),
      experiments: [exps[0]!],
    });
    await expect(run).rejects.toThrow(`${csv}: data row 2 (line 3), column nsPerOp`);
  });

  test("no font: a loud error instead of PNGs without text", () => {
    const empty = mkdtempSync(join(root, "nofont-"));
    expect(() => findFontDir({ EVENTLAB_FONT_DIR: empty })).toThrow(FontError);
    expect(() => findFontDir({ EVENTLAB_FONT_DIR: empty })).toThrow(/fonts-dejavu-core/);
  });

  test("the CLI names a bad flag and exits 2; --help exits 0", () => {
    const bad = Bun.spawnSync(["bun", "experiments/report/main.ts", "--colour", "red"], {
      stderr: "pipe",
    });
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr.toString()).toContain("--colour");
    const help = Bun.spawnSync(["bun", "experiments/report/main.ts", "--help"], { stdout: "pipe" });
    expect(help.exitCode).toBe(0);
    expect(help.stdout.toString()).toContain("--results DIR");
  });
});

const haveChromium = existsSync(CHROMIUM);
if (!haveChromium && process.env.CI !== "true")
  console.warn(
    `reports test: ${CHROMIUM} not found, skipping the headless-browser check (apt-get install -y chromium, or .ci/install-extras)`,
  );

describe("index.html in headless Chromium", () => {
  test.skipIf(!haveChromium && process.env.CI !== "true")(
    "every chart renders with non-zero size and the console stays clean",
    async () => {
      if (!haveChromium)
        throw new Error(`CI=true but ${CHROMIUM} is missing: .ci/install-extras should install it`);
      const { chromium } = await import("playwright-core");
      const profile = mkdtempSync(join(root, "chromium-profile-"));
      const browser = await chromium.launchPersistentContext(profile, {
        executablePath: CHROMIUM,
        headless: true,
        args: [
          "--headless",
          "--no-sandbox",
          "--disable-gpu",
          "--disable-quic",
          "--no-first-run",
          "--disable-background-networking",
          "--disable-component-update",
          "--disable-sync",
        ],
      });
      try {
        const page = await browser.newPage();
        const problems: string[] = [];
        const requests: string[] = [];
        page.on("console", (m) => {
          if (m.type() === "error" || m.type() === "warning")
            problems.push(`${m.type()}: ${m.text()}`);
        });
        page.on("pageerror", (e) => problems.push(`pageerror: ${e.message}`));
        page.on("request", (r) => requests.push(r.url()));
        const url = `file://${join(out, "index.html")}`;
        await page.goto(url, { waitUntil: "load" });
        const boxes = await page.$$eval("figure svg", (els) =>
          els.map((e) => {
            const b = e.getBoundingClientRect();
            return {
              w: b.width,
              h: b.height,
              marks: e.querySelectorAll("[class*='role-mark'] path, [class*='role-mark'] line")
                .length,
            };
          }),
        );
        expect(boxes.length).toBe(summary.charts);
        for (const b of boxes) {
          expect(b.w).toBeGreaterThan(100);
          expect(b.h).toBeGreaterThan(100);
          expect(b.marks).toBeGreaterThan(0);
        }
        expect(problems).toEqual([]);
        expect(requests).toEqual([url]); // nothing fetched but the page itself
        const shot = join(root, "index.png");
        await page.screenshot({ path: shot, fullPage: true });
        expect(readFileSync(shot).length).toBeGreaterThan(10_000);
      } finally {
        await browser.close();
      }
    },
  );
});
