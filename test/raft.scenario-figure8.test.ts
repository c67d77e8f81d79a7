/**
 * The Raft paper's Figure 8 (§5.4.2), built step by step with message
 * filters rather than hoped for by chance: a leader must not count replicas
 * of an entry from an earlier term toward commitment, because a later leader
 * may legally overwrite it. The test drives the exact sequence (a)-(d) of
 * the figure and checks that the old-term entry is never committed, that
 * the later leader overwrites it, and (through the safety checker, which
 * throws on a committed entry missing from a later leader's log) that no
 * node ever applies it. A node that committed by counting old-term replicas
 * fails here at step (c).
 */
import { expect, test } from "bun:test";
import { SimCluster } from "../impl/raft/sim/cluster.ts";
import { enc, nCommitted } from "../impl/raft/sim/harness.ts";
import { type Message, MessageType } from "../impl/raft/types.ts";

test("Figure 8 (§5.4.2): an old-term entry on a majority is not committed and is later overwritten", () => {
  // Long timeouts: no spontaneous elections; the test elects by campaign().
  const c = new SimCluster({
    nodes: 5,
    seed: 61,
    electionTimeoutMs: [10_000, 20_000],
    heartbeatMs: 50,
    network: { delayMs: [1, 2] },
    maxEntriesPerMsg: 1, // so one entry per App message, and filters can pick entries
  });
  let drop: (m: Message) => boolean = () => false;
  /** Campaigns until `id` leads (a first try may reuse a term others voted in). */
  const elect = (id: number) => {
    for (let attempt = 0; attempt < 5 && c.role(id) !== "leader"; attempt++) {
      c.campaign(id);
      c.runUntil(() => c.role(id) === "leader", 200);
    }
    expect(c.role(id)).toBe("leader");
  };
  c.setMessageFilter((m) => drop(m));
  const isApp = (m: Message) => m.type === MessageType.App;

  elect(0);
  const base = c.propose(0, enc("base"))!;
  expect(c.runUntil(() => nCommitted(c, base.index).count === 5, 1000)).toBe(true);

  // (a) S0 leads term t1 and replicates X only to S1.
  drop = (m) => m.from === 0 && isApp(m) && m.to !== 1;
  const x = c.propose(0, enc("X"))!;
  c.runFor(100);
  expect(c.lastIndex(1)).toBe(x.index);
  expect(c.commitIndex(0)).toBeLessThan(x.index);
  c.crash(0);

  // (b) S4 wins term t2 with votes of S2 and S3, appends at X's index, and crashes.
  drop = (m) => m.from === 4 && isApp(m);
  elect(4);
  expect(c.lastIndex(4)).toBe(x.index);
  c.crash(4);

  // (c) S0 restarts and wins term t3. S1 gets everything (it already holds X,
  // and takes S0's term-t3 entry); S2 gets X but not the term-t3 entry. X is
  // now on S0, S1, S2, a majority the leader knows of, yet must not be
  // committed: it is from term t1, and the leader's own entry is on only 2.
  c.restart(0);
  // To S2, a term-t3 entry may pass only while S2 lacks X (S2 rejects it, and
  // the leader backs up to X); once S2 holds X, term-t3 entries are dropped.
  drop = (m) =>
    m.from === 0 &&
    isApp(m) &&
    m.to !== 1 &&
    (m.to !== 2 || (c.lastIndex(2) >= x.index && (m.entries ?? []).some((e) => e.term !== x.term)));
  elect(0);
  c.runFor(200);
  expect(c.lastIndex(2)).toBe(x.index);
  expect(c.lastIndex(1)).toBe(x.index + 1);
  expect(c.commitIndex(0)).toBeLessThan(x.index);
  c.crash(0);

  // (d) S4 restarts and wins term t4 with S2 and S3 (its last term t2 beats
  // X's t1): it overwrites X. Had X been committed, the checker would throw here.
  drop = () => false;
  c.restart(4);
  elect(4);
  c.restart(0);
  c.runFor(1000);
  for (let id = 0; id < 5; id++) {
    const texts = c.applied(id).map((a) => new TextDecoder().decode(a.data));
    expect(texts).not.toContain("X");
    expect(texts).toContain("base");
  }
  expect(c.checker!.counts.leaderLogChecks).toBeGreaterThanOrEqual(4);
});
