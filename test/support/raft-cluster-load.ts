/**
 * Client load and its checks for the real-cluster tests: clients that append
 * numbered batches through RaftClient and record what they saw (the
 * client-visible history), then checks of the members' logs against it:
 * every acked append present exactly once at the index it was acked with, in
 * each client's order; and the history linearizable under a log model,
 * mapped onto the simulator's checker (impl/raft/sim/linearizability.ts):
 * one key per client (keys are independent, which keeps the search small),
 * an append is a KV append of its seq token to its client's key, and a read
 * from index 1 is one get per client returning that client's tokens in log
 * order. The same history is also kept whole, as one log (`logHistory`),
 * for the log checker (impl/raft/sim/log-linearizability.ts), which decides
 * histories far past the generic search's step limit.
 */
import { type AcceptedEntry, RaftClient, ReadMode } from "../../impl/raft/client/client.ts";
import type { LocalCluster } from "../../impl/raft/host/launcher.ts";
import { MAX_READ_ENTRIES } from "../../impl/raft/host/limits.ts";
import {
  checkKvHistory,
  type KvOperation,
  type LinearizabilityResult,
} from "../../impl/raft/sim/linearizability.ts";
import type { LogOperation } from "../../impl/raft/sim/log-linearizability.ts";

export interface AckedAppend {
  clientId: number;
  seq: number;
  index: number;
  records: string[];
}

const enc = new TextEncoder();
const dec = new TextDecoder();

export function token(clientId: number, seq: number): string {
  return `${clientId}.${seq};`;
}

export class LoadDriver {
  readonly acked: AckedAppend[] = [];
  readonly history: KvOperation[] = [];
  readonly logHistory: LogOperation[] = [];
  readonly errors: string[] = [];
  private running = true;
  private loops: Promise<void>[] = [];
  readonly clients: RaftClient[];

  constructor(
    cluster: LocalCluster,
    clientIds: number[],
    private readonly inFlightPerClient: number,
  ) {
    this.clients = clientIds.map(
      (id) =>
        new RaftClient({
          members: cluster.clientAddresses(),
          clientId: id,
          maxInFlight: inFlightPerClient,
          deadlineMs: 60_000,
        }),
    );
  }

  start(): void {
    for (const c of this.clients)
      for (let i = 0; i < this.inFlightPerClient; i++) this.loops.push(this.loop(c));
  }

  private async loop(c: RaftClient): Promise<void> {
    const id = c.clientId;
    while (this.running) {
      const call = performance.now();
      const records = [`r-${id}-${call.toFixed(3)}`].map((s) => enc.encode(s));
      try {
        const r = await c.append(records);
        this.acked.push({
          clientId: id,
          seq: r.seq,
          index: r.index,
          records: records.map((b) => dec.decode(b)),
        });
        const ret = performance.now();
        this.history.push({
          clientId: id,
          kind: "append",
          key: `c${id}`,
          value: token(id, r.seq),
          callMs: call,
          returnMs: ret,
        });
        this.logHistory.push({
          kind: "append",
          id: token(id, r.seq),
          index: r.index,
          callMs: call,
          returnMs: ret,
        });
      } catch (err) {
        // Outcome unknown: it may take effect at any time after its call (or never).
        this.errors.push((err as Error).message);
        this.history.push({
          clientId: id,
          kind: "append",
          key: `c${id}`,
          value: `?${id}.${call};`,
          callMs: call,
          returnMs: Number.POSITIVE_INFINITY,
        });
        // The seq is not reported on failure: an id no read can show, so the checker drops it.
        this.logHistory.push({
          kind: "append",
          id: `?${id}.${call};`,
          index: null,
          callMs: call,
          returnMs: Number.POSITIVE_INFINITY,
        });
      }
    }
  }

  /** A linearizable read of the whole log, recorded in the history. */
  async read(c: RaftClient = this.clients[0]!): Promise<void> {
    const call = performance.now();
    const r = await readWhole(c);
    const ret = performance.now();
    this.logHistory.push({
      kind: "read",
      upToIndex: r.upToIndex,
      entries: r.entries.map((e) => ({ index: e.index, id: token(e.clientId, e.seq) })),
      callMs: call,
      returnMs: ret,
    });
    for (const client of this.clients) {
      const value = r.entries
        .filter((e) => e.clientId === client.clientId)
        .map((e) => token(e.clientId, e.seq))
        .join("");
      this.history.push({
        clientId: 0,
        kind: "get",
        key: `c${client.clientId}`,
        value,
        callMs: call,
        returnMs: ret,
      });
    }
  }

  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.loops);
  }

  close(): void {
    for (const c of this.clients) c.close();
  }
}

/** Waits until every member has applied the same index (at least `atLeast`) under one leader. */
/** Named maximum on the pages one whole-log read may take. */
const MAX_READ_PAGES = 10_000;

/**
 * The log up to the first page's upToIndex U. A READ returns at most
 * MAX_READ_ENTRIES entries (and upToIndex = the barrier, not the last entry
 * returned: a full page may be cut short), so later pages (also linearizable)
 * continue from the last entry, keeping entries <= U. Committed entries never
 * change (checked separately: every member's log agrees), so the union is
 * the log up to U as of the first page; the history records it as one read
 * spanning all pages.
 */
async function readWhole(c: RaftClient): Promise<{ upToIndex: number; entries: AcceptedEntry[] }> {
  const first = await c.read(1, { mode: ReadMode.Linearizable });
  const entries = [...first.entries];
  let page = first.entries;
  for (let n = 1; page.length === MAX_READ_ENTRIES; n++) {
    if (n >= MAX_READ_PAGES) throw new Error(`a whole-log read took over ${MAX_READ_PAGES} pages`);
    const next = await c.read(page.at(-1)!.index + 1, { mode: ReadMode.Linearizable });
    page = next.entries.filter((e) => e.index <= first.upToIndex);
    entries.push(...page);
    if (page.length < next.entries.length) break; // past U
  }
  return { upToIndex: first.upToIndex, entries };
}

export async function waitConverged(
  cluster: LocalCluster,
  atLeast: number,
  timeoutMs = 20_000,
): Promise<number> {
  const until = performance.now() + timeoutMs;
  let last = "";
  while (performance.now() < until) {
    const st = await Promise.all(cluster.members.map((m) => cluster.status(m.id)));
    last = JSON.stringify(
      st.map((s) => s && [s.id, s.role, s.term, s.commitIndex, s.appliedIndex]),
    );
    const applied = st.map((s) => s?.appliedIndex ?? -1);
    if (
      st.every((s) => s !== null && s.leaderId !== null) &&
      applied.every((a) => a === applied[0] && a >= atLeast)
    )
      return applied[0]!;
    await Bun.sleep(100);
  }
  throw new Error(`members did not converge within ${timeoutMs} ms: ${last}`);
}

/** Each member's whole accepted log, read locally (after convergence). */
export async function memberLogs(cluster: LocalCluster): Promise<Map<number, AcceptedEntry[]>> {
  const out = new Map<number, AcceptedEntry[]>();
  for (const m of cluster.members) {
    const c = new RaftClient({
      members: [`${cluster.host}:${m.ports.client}`],
      clientId: 1_000_000 + m.id,
    });
    const all: AcceptedEntry[] = [];
    let from = 1;
    for (;;) {
      const r = await c.read(from, { mode: ReadMode.Local });
      if (r.entries.length === 0) break;
      all.push(...r.entries);
      from = r.entries.at(-1)!.index + 1;
    }
    c.close();
    out.set(m.id, all);
  }
  return out;
}

export interface LogCheck {
  ackedChecked: number;
  lost: number;
  duplicated: number;
  wrongIndex: number;
  outOfOrder: number;
  logsDiffer: boolean;
}

/** Checks one member's log against the acked appends; see the file comment. */
export function checkLog(log: AcceptedEntry[], acked: AckedAppend[]): Omit<LogCheck, "logsDiffer"> {
  const seen = new Map<string, AcceptedEntry[]>();
  for (const e of log) {
    const k = `${e.clientId}.${e.seq}`;
    seen.set(k, [...(seen.get(k) ?? []), e]);
  }
  let lost = 0;
  let duplicated = 0;
  let wrongIndex = 0;
  for (const a of acked) {
    const found = seen.get(`${a.clientId}.${a.seq}`) ?? [];
    if (found.length === 0) lost++;
    if (found.length > 1) duplicated++;
    if (
      found.length === 1 &&
      (found[0]!.index !== a.index || dec.decode(found[0]!.records[0]!) !== a.records[0])
    )
      wrongIndex++;
  }
  // Client order: within each client, log positions increase with seq.
  let outOfOrder = 0;
  const lastSeq = new Map<number, number>();
  for (const e of log) {
    const prev = lastSeq.get(e.clientId) ?? 0;
    if (e.seq !== prev + 1) outOfOrder++;
    lastSeq.set(e.clientId, e.seq);
  }
  return { ackedChecked: acked.length, lost, duplicated, wrongIndex, outOfOrder };
}

export async function checkCluster(cluster: LocalCluster, acked: AckedAppend[]): Promise<LogCheck> {
  const logs = await memberLogs(cluster);
  const results = [...logs.values()].map((l) => checkLog(l, acked));
  const sum = (k: keyof Omit<LogCheck, "logsDiffer">) => results.reduce((n, r) => n + r[k], 0);
  const ref = JSON.stringify([...logs.values()][0]!.map((e) => [e.index, e.clientId, e.seq]));
  const logsDiffer = [...logs.values()].some(
    (l) => JSON.stringify(l.map((e) => [e.index, e.clientId, e.seq])) !== ref,
  );
  return {
    ackedChecked: acked.length,
    lost: sum("lost"),
    duplicated: sum("duplicated"),
    wrongIndex: sum("wrongIndex"),
    outOfOrder: sum("outOfOrder"),
    logsDiffer,
  };
}

/** Search-step limit: the checker's default, or `maxSearchSteps` for long (STRESS) histories. */
export function checkLinearizable(
  history: KvOperation[],
  maxSearchSteps?: number,
): LinearizabilityResult {
  return checkKvHistory(history, maxSearchSteps);
}

/** Polls every member's /status, recording which ids claimed leadership in each term. */
export class LeaderWatch {
  readonly leadersByTerm = new Map<number, Set<number>>();
  private on = true;
  private done: Promise<void>;

  constructor(private readonly cluster: LocalCluster) {
    this.done = this.poll();
  }

  private async poll(): Promise<void> {
    while (this.on) {
      const st = await Promise.all(this.cluster.members.map((m) => this.cluster.status(m.id)));
      for (const s of st) {
        if (s?.role !== "leader") continue;
        const set = this.leadersByTerm.get(s.term) ?? new Set();
        set.add(s.id);
        this.leadersByTerm.set(s.term, set);
      }
      await Bun.sleep(50);
    }
  }

  /** Terms in which more than one member said it was leader. */
  async stop(): Promise<number[]> {
    this.on = false;
    await this.done;
    return [...this.leadersByTerm].filter(([, s]) => s.size > 1).map(([t]) => t);
  }
}

export async function leaderOf(cluster: LocalCluster, timeoutMs = 10_000): Promise<number> {
  const until = performance.now() + timeoutMs;
  while (performance.now() < until) {
    const st = await Promise.all(
      cluster.members.map((m) => (m.proc?.exitCode === null ? cluster.status(m.id) : null)),
    );
    const l = st.find((s) => s?.role === "leader");
    if (l) return l.id;
    await Bun.sleep(50);
  }
  throw new Error(`no leader within ${timeoutMs} ms`);
}

export async function setFaults(cluster: LocalCluster, id: number, body: object): Promise<void> {
  const r = await fetch(`http://${cluster.host}:${cluster.member(id).ports.http}/debug/faults`, {
    method: "POST",
    body: JSON.stringify(body),
  });
  if (!r.ok) throw new Error(`faults on member ${id}: ${r.status} ${await r.text()}`);
}
