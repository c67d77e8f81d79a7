/**
 * The queue half of `bun run compare`: every registered queue through the
 * cross-Worker workload (impl/queue/workload.ts: real Workers, a start
 * barrier, every record checked for loss, duplication, per-producer order and
 * payload integrity) at 1 producer and, where the queue is multiProducer, at
 * `multiProducers` producers. The figure is events/s; the invariants are
 * lost = duplicated = reordered = corrupted = 0 with every sent event received.
 * Repetitions visit the rows in seeded balanced interleaved order, side by side with the baseline.
 */

import { listImplementations } from "../../impl/core/registry.ts";
import { runQueueWorkload, type WorkloadResult } from "../../impl/queue/workload.ts";
import { interleavedSchedule } from "../measure/schedule.ts";
import "../../impl/index.ts";
import type { CompareConfig } from "./config.ts";
import type { CompareRow, InvariantResult } from "./eval.ts";

export function queueRowId(name: string, producers: number): string {
  return `${name} p=${producers}`;
}

/** The workload's counts as invariants; every one must hold in every repetition. */
export function queueInvariants(
  results: readonly WorkloadResult[],
  expectedPerRun: number,
): InvariantResult[] {
  const sum = (f: (r: WorkloadResult) => number) => results.reduce((a, r) => a + f(r), 0);
  const errors = results.flatMap((r) => r.errors);
  const short = results.filter(
    (r) => r.eventsSent !== expectedPerRun || r.eventsReceived !== expectedPerRun,
  );
  return [
    { name: "lost=0", ok: sum((r) => r.lost) === 0, detail: `lost=${sum((r) => r.lost)}` },
    {
      name: "dup=0",
      ok: sum((r) => r.duplicated) === 0,
      detail: `duplicated=${sum((r) => r.duplicated)}`,
    },
    {
      name: "reordered=0",
      ok: sum((r) => r.reordered) === 0,
      detail: `reordered=${sum((r) => r.reordered)}`,
    },
    {
      name: "corrupted=0",
      ok: sum((r) => r.corrupted) === 0,
      detail: `corrupted=${sum((r) => r.corrupted)}`,
    },
    {
      name: "complete",
      ok: errors.length === 0 && short.length === 0 && results.every((r) => !r.timedOut),
      detail:
        `${short.length} of ${results.length} runs did not deliver all ${expectedPerRun} events` +
        (errors.length ? `; first error: ${errors[0]}` : ""),
    },
  ];
}

interface Plan {
  id: string;
  name: string;
  producers: number;
  baselineId: string | null;
}

function planRows(cfg: CompareConfig): Plan[] {
  const q = cfg.queue;
  const regs = listImplementations("queue");
  const base = regs.find((r) => r.name === q.baseline);
  if (!base)
    throw new Error(
      `queue baseline "${q.baseline}" is not registered (registered: ${regs.map((r) => r.name).join(", ") || "none"})`,
    );
  const plans: Plan[] = [];
  for (const reg of regs) {
    const counts = reg.capabilities.multiProducer ? [1, q.multiProducers] : [1];
    for (const producers of counts) {
      const baseProducers = producers > 1 && base.capabilities.multiProducer ? producers : 1;
      const baseId = queueRowId(q.baseline, baseProducers);
      const id = queueRowId(reg.name, producers);
      plans.push({ id, name: reg.name, producers, baselineId: id === baseId ? null : baseId });
    }
  }
  return plans;
}

/** Share of a timed run's events that are an untimed lead-in (fresh Workers start in the interpreter). */
const LEAD_IN_FRACTION = 0.25;
/** Sizing probe: first run's events per producer, the timed window it must reach, and its most runs. */
const PROBE_START_EVENTS = 250_000;
const PROBE_MIN_TIMED_S = 0.1;
const MAX_PROBE_RUNS = 6;

function run(
  cfg: CompareConfig,
  p: Plan,
  seed: number,
  events: number,
  checkPayload: boolean,
): Promise<WorkloadResult> {
  const q = cfg.queue;
  const leadIn = checkPayload ? 0 : Math.floor(events * LEAD_IN_FRACTION);
  return runQueueWorkload({
    warmupEvents: leadIn * p.producers,
    queue: p.name,
    queueOptions: {
      capacitySlots: q.capacitySlots,
      recordBytes: q.recordBytes,
      producers: p.producers,
      batchRecords: q.batchRecords,
    },
    eventsPerProducer: events,
    mode: "batch",
    batchRecords: q.batchRecords,
    seed,
    timeoutMs: q.timeoutMs,
    checkPayload,
  });
}

/**
 * The row's rate from runs long enough to leave Worker start-up: a run of
 * PROBE_START_EVENTS per producer grows until its timed window (after the
 * lead-in) lasts PROBE_MIN_TIMED_S. Measured on the 2-core machine: spsc at
 * batch 256 shows 5M events/s in a 200k-event run and 40M in a 2M-event run
 * after a 0.5M lead-in, so a short check run is no guide to a trial's size.
 */
async function probeRate(cfg: CompareConfig, p: Plan, seed: number): Promise<number> {
  let events = PROBE_START_EVENTS;
  let rate = 0;
  for (let i = 0; i < MAX_PROBE_RUNS; i++) {
    const r = await run(cfg, p, seed, events, false);
    rate = r.throughputEventsPerS;
    const timedS = rate > 0 ? ((1 - LEAD_IN_FRACTION) * events * p.producers) / rate : 0;
    if (timedS >= PROBE_MIN_TIMED_S || events >= cfg.queue.eventsPerProducer) break;
    const grow = Math.ceil((1.5 * PROBE_MIN_TIMED_S) / Math.max(timedS, 1e-3));
    events = Math.min(cfg.queue.eventsPerProducer, events * Math.min(8, Math.max(2, grow)));
  }
  return rate;
}

/**
 * Timed seconds aimed at for the long run each queue row's median is set
 * against (capped by the config's eventsPerProducer; the note gives the real window).
 */
const LONG_RUN_TIMED_S = 1;
/** Long runs per queue row; the note uses their median (one run alone swung 0.6-1.7x in CI). */
const LONG_RUNS = 3;
/** How far a row's median may sit from its long run before the note says so. */
const LONG_RUN_TOLERANCE = 0.25;

/**
 * The row's median against the median of LONG_RUNS long runs of the same workload after the
 * repetitions (LONG_RUN_TIMED_S timed after a lead-in, the bench's way of
 * measuring a queue): within LONG_RUN_TOLERANCE, or how far off and why that
 * can be. Exported for its test.
 */
export function longRunSentence(
  medianRate: number,
  longRate: number,
  longEvents: number,
  timedS: number,
): string {
  const ratio = medianRate / longRate;
  // One decimal, so a ratio past the tolerance rarely prints as on it (74.9%, not 75%).
  const pct = (ratio * 100).toFixed(1);
  const tol = `${LONG_RUN_TOLERANCE * 100}%`;
  const verdict =
    Math.abs(ratio - 1) <= LONG_RUN_TOLERANCE
      ? `within ${tol}`
      : ratio < 1
        ? `MORE than ${tol} below it: the repetitions' timed windows are too short to leave start-up, or the machine was busier during them`
        : `MORE than ${tol} above it: the long runs were slower (a busier moment, GC, Workers placed badly, or a rate that is bimodal on 2 cores)`;
  return `median ${(medianRate / 1e6).toFixed(2)}M/s = ${pct}% of long runs measured after the repetitions (median of ${LONG_RUNS}, ${longEvents} events each, ${timedS.toFixed(2)} s timed after a lead-in: ${(longRate / 1e6).toFixed(2)}M/s), ${verdict}`;
}

/** The long run's note, and an invariant failure when the long run itself broke. */
async function longRunNote(
  cfg: CompareConfig,
  p: Plan,
  seed: number,
  values: readonly number[],
): Promise<{ note: string; broken: InvariantResult | null }> {
  const ok = values.filter((v) => Number.isFinite(v) && v > 0).sort((a, b) => a - b);
  if (ok.length === 0) return { note: "no long run: no repetition measured a rate", broken: null };
  const median = ok[ok.length >> 1]!;
  const events = Math.min(
    cfg.queue.eventsPerProducer,
    Math.max(
      cfg.queue.minEventsPerProducer,
      Math.round((median * LONG_RUN_TIMED_S) / (1 - LEAD_IN_FRACTION) / p.producers),
    ),
  );
  const rates: number[] = [];
  const timedS: number[] = [];
  for (let i = 0; i < LONG_RUNS; i++) {
    const r = await run(cfg, p, (seed + i) >>> 0, events, false);
    const bad = r.lost + r.duplicated + r.reordered + r.corrupted;
    if (r.errors.length > 0 || r.timedOut || r.eventsReceived !== r.eventsSent || bad > 0) {
      const detail = `long run of ${events * p.producers} events: ${r.timedOut ? "timed out; " : ""}sent ${r.eventsSent}, received ${r.eventsReceived}, lost ${r.lost}, dup ${r.duplicated}, reordered ${r.reordered}, corrupted ${r.corrupted}${r.errors.length ? `; ${r.errors[0]}` : ""}`;
      return {
        note: `the long run failed (${detail})`,
        broken: { name: "long run", ok: false, detail },
      };
    }
    rates.push(r.throughputEventsPerS);
    timedS.push(r.elapsedNs / 1e9);
  }
  const mid = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
  return {
    note: longRunSentence(median, mid(rates), events * p.producers, mid(timedS)),
    broken: null,
  };
}

/**
 * Events per producer for the timed runs: enough for about `targetRunS`
 * seconds at the probed rate, between `minEventsPerProducer` and
 * `eventsPerProducer`. A slow baseline (one message per record) then costs
 * seconds, not minutes, and the figure, a rate, stays comparable.
 */
export function timedEvents(
  cfg: CompareConfig,
  producers: number,
  checkRateEventsPerS: number,
): number {
  const q = cfg.queue;
  // No rate measured: the floor, so a broken probe cannot make a run of minutes.
  if (!(checkRateEventsPerS > 0)) return q.minEventsPerProducer;
  const wanted = Math.round((checkRateEventsPerS * q.targetRunS) / producers);
  return Math.min(q.eventsPerProducer, Math.max(q.minEventsPerProducer, wanted));
}

export async function compareQueues(
  cfg: CompareConfig,
  seed: number,
  log: (s: string) => void,
): Promise<CompareRow[]> {
  const q = cfg.queue;
  const plans = planRows(cfg);
  const checks = new Map<string, InvariantResult[]>();
  const events = new Map<string, number>();
  for (const [k, p] of plans.entries()) {
    const res = await run(cfg, p, (seed + k) >>> 0, q.checkEventsPerProducer, true);
    const inv = queueInvariants([res], q.checkEventsPerProducer * p.producers).map((i) => ({
      ...i,
      name: `payload run ${i.name}`,
    }));
    checks.set(p.id, inv);
    const rate = await probeRate(cfg, p, (seed + k) >>> 0);
    events.set(p.id, timedEvents(cfg, p.producers, rate));
    log(`queue ${p.id}: payload check ${inv.every((i) => i.ok) ? "ok" : "BROKEN"}`);
  }
  const results = new Map<string, WorkloadResult[]>(plans.map((p) => [p.id, []]));
  const values = new Map<string, number[]>(plans.map((p) => [p.id, []]));
  // Seeded balanced interleaved order: every row in every position equally often.
  const order = interleavedSchedule(plans.length, cfg.repeats, seed);
  for (let r = 0; r < cfg.repeats; r++) {
    for (let k = 0; k < plans.length; k++) {
      const p = plans[order[r]![k]!]!;
      const res = await run(cfg, p, (seed + (r + 1) * 7919 + k) >>> 0, events.get(p.id)!, false);
      results.get(p.id)!.push(res);
      const ok = res.errors.length === 0 && !res.timedOut && res.eventsReceived === res.eventsSent;
      values.get(p.id)![r] = ok ? res.throughputEventsPerS : Number.NaN;
    }
    log(
      `queues repeat ${r + 1}/${cfg.repeats}: ${plans.map((p) => `${p.id} ${((values.get(p.id)![r] ?? Number.NaN) / 1e6).toFixed(2)}M/s`).join(", ")}`,
    );
  }
  const notes = new Map<string, string[]>();
  const longBroken = new Map<string, InvariantResult>();
  for (const [k, p] of plans.entries()) {
    const { note, broken } = await longRunNote(
      cfg,
      p,
      (seed + 0x51ed + k) >>> 0,
      values.get(p.id)!,
    );
    notes.set(p.id, [note]);
    if (broken) longBroken.set(p.id, broken);
    log(`queue ${p.id}: ${note}`);
  }
  return plans.map((p) => {
    // The payload run shows only when it broke something (its counts are folded in the table).
    const payload = checks.get(p.id)!;
    const timed = queueInvariants(results.get(p.id)!, events.get(p.id)! * p.producers);
    const invariants = timed.map((t) => {
      const c = payload.find((x) => x.name === `payload run ${t.name}`)!;
      return c.ok
        ? t
        : {
            name: t.name,
            ok: false,
            detail: `payload run: ${c.detail}${t.ok ? "" : `; timed runs: ${t.detail}`}`,
          };
    });
    return {
      contract: "queue" as const,
      id: p.id,
      implementation: p.name,
      setting: `${p.producers} producer${p.producers > 1 ? "s" : ""}, batch ${q.batchRecords}, ${q.recordBytes} B, ${events.get(p.id)! * p.producers} events/run`,
      notes: notes.get(p.id),
      figureName: "throughput",
      figureUnit: "events/s",
      higherIsBetter: true,
      values: values.get(p.id)!,
      invariants: longBroken.has(p.id) ? [...invariants, longBroken.get(p.id)!] : invariants,
      baselineId: p.baselineId,
    };
  });
}
