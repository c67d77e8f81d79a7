/**
 * SimCluster: a whole Raft cluster in virtual time, reproducible from one
 * seed. Tests, the fuzzer and the election experiment drive it through this
 * public API (kept stable; options may be added): observation (leader, term,
 * applied, stats) and control (propose, partitions, crashes, snapshots).
 * The engine (event loop, ticks, Ready handling, checks) is in core.ts.
 */
import { assert } from "../../core/assert.ts";
import type { Message, Ready } from "../types.ts";
import { MessageType } from "../types.ts";
import { type SimClusterOptions, SimCore } from "./core.ts";
import type { SimHost } from "./host.ts";
import type { NetworkOptions } from "./network.ts";
import type { AppliedCommand, StateMachine } from "./state-machine.ts";

export type { SimClusterOptions };

export class SimCluster extends SimCore {
  // ---- observation --------------------------------------------------------

  /** The leader of the highest term among running nodes, or null. */
  leader(): number | null {
    let best: number | null = null;
    let bestTerm = -1;
    for (const h of this.hosts) {
      if (h.up && h.node.role === "leader" && h.node.term > bestTerm) {
        best = h.id;
        bestTerm = h.node.term;
      }
    }
    return best;
  }

  /** Every running node that believes it leads, with its term. */
  leaders(): Array<{ id: number; term: number }> {
    return this.hosts
      .filter((h) => h.up && h.node.role === "leader")
      .map((h) => ({ id: h.id, term: h.node.term }));
  }

  term(id: number): number {
    return this.host(id).node.term;
  }

  isUp(id: number): boolean {
    return this.host(id).up;
  }

  role(id: number): string {
    return this.host(id).node.role;
  }

  commitIndex(id: number): number {
    return this.host(id).node.commitIndex;
  }

  lastIndex(id: number): number {
    return this.host(id).node.lastIndex;
  }

  /** The Normal entries node `id` applied, in index order (its state machine's history). */
  applied(id: number): AppliedCommand[] {
    return this.host(id).state.commands;
  }

  /** The node's user state machine (as given by options.stateMachine). */
  stateMachine(id: number): StateMachine | null {
    return this.host(id).state.user;
  }

  /** Index of the node's latest snapshot (0 if none). */
  snapshotIndex(id: number): number {
    return this.host(id).live.snapshot().index;
  }

  stats(): { messagesSent: number; bytesSent: number; virtualMs: number; events: number } {
    return {
      messagesSent: this.messagesSent,
      bytesSent: this.bytesSent,
      virtualMs: this.nowMs,
      events: this.eventsRun,
    };
  }

  /** Messages sent so far of one MessageType (e.g. MessageType.Snap for InstallSnapshot). */
  messagesSentOfType(type: number): number {
    return this.sentByType[type] ?? 0;
  }

  /** A host to drive (propose, crash, ...): refused while a node is mid-Ready. */
  protected controlHost(id: number): SimHost {
    // A plain if, not assert(cond, () => msg): this runs on every client proposal.
    if (this.drainingId !== -1)
      throw new Error(
        `node ${this.drainingId} is mid-Ready: drive nodes from events (at()), not from inside an onApply callback`,
      );
    const h = this.host(id);
    if (h.up) this.catchUp(id); // its quiet ticks up to now happen before it is driven
    return h;
  }

  protected host(id: number): SimHost {
    const h = this.hosts[id];
    if (h === undefined) throw new Error(`no node ${id} (cluster of ${this.size})`);
    return h;
  }

  // ---- control ------------------------------------------------------------

  /** Appends `data` at node `id` if it leads; returns where it went, or null. */
  propose(id: number, data: Uint8Array): { index: number; term: number } | null {
    const h = this.controlHost(id);
    if (!h.up || h.node.role !== "leader") return null;
    const at = h.node.nextProposalIndex();
    if (!h.node.propose(data)) return null;
    this.drain(id);
    return at;
  }

  /** Makes node `id` start an election now, as if its election timer fired. */
  campaign(id: number): void {
    const h = this.controlHost(id);
    if (!h.up) return;
    h.node.campaign();
    this.drain(id);
  }

  /** Makes leader `id` broadcast heartbeats now (a local Beat message). */
  broadcastHeartbeat(id: number): void {
    const h = this.controlHost(id);
    if (!h.up) return;
    h.node.step({ type: MessageType.Beat, from: id, to: id, term: 0 });
    this.drain(id);
  }

  /**
   * Drops, at send time, every message for which `drop` returns true (null
   * clears it). Experiments use it to shape logs, e.g. keep two followers
   * behind; it draws nothing from the RNG, so it does not shift other events.
   */
  /**
   * Registers a callback run as each message is sent (after its Ready was
   * persisted). It must not drive nodes directly; schedule with at(0, ...).
   * The fuzzer uses it to crash a node right after it votes or acknowledges.
   */
  onSend(fn: (m: Message) => void): void {
    this.sendListeners.push(fn);
  }

  /**
   * Registers a crash point: `fn` sees each Ready of each node after it was
   * persisted (fsynced if it had to be) and before its messages leave; if it
   * returns true the node crashes right there, as a process killed between
   * its fsync and its socket writes, and that Ready's messages are never
   * sent. It must not drive nodes. The fuzzer uses it to crash a leader right
   * after it advances its commit index.
   */
  onReady(fn: (id: number, rd: Ready) => boolean): void {
    this.readyListeners.push(fn);
  }

  setMessageFilter(drop: ((m: Message) => boolean) | null): void {
    this.messageFilter = drop;
  }

  transferLeadership(from: number, to: number): void {
    const h = this.controlHost(from);
    if (!h.up) return;
    h.node.transferLeadership(to);
    this.drain(from);
  }

  disconnect(id: number): void {
    this.host(id);
    this.net.disconnect(id);
  }

  connect(id: number): void {
    this.host(id);
    this.net.connect(id);
  }

  partition(groups: number[][]): void {
    for (const g of groups) for (const id of g) this.host(id);
    this.net.partition(groups);
  }

  /** Cuts one direction: messages from `from` no longer reach `to` (replies still flow back). */
  cutLink(from: number, to: number): void {
    this.host(from);
    this.host(to);
    this.net.cutLink(from, to);
  }

  restoreLink(from: number, to: number): void {
    this.net.restoreLink(from, to);
  }

  /** Removes the partition and every one-way cut (disconnected nodes stay disconnected). */
  heal(): void {
    this.net.heal();
  }

  setNetwork(partial: Partial<NetworkOptions>): void {
    this.net.set(partial);
  }

  isConnected(id: number): boolean {
    return this.net.isConnected(id);
  }

  /** Stops node `id`: it loses everything not fsynced; its timers and inbound messages vanish. */
  crash(id: number): void {
    this.controlHost(id);
    this.crashHost(id);
  }

  /** Restarts node `id` from its durable storage only. */
  restart(id: number): void {
    const h = this.controlHost(id);
    if (h.up) return;
    h.restart();
    this.checker?.observeRestore(id, h.state.appliedIndex);
    this.startTicksAt(id, Math.ceil((this.nowMs - this.phaseMs[id]!) / this.tickMsOf[id]!) + 1);
    this.drain(id);
  }

  /** From now on every node snapshots its applied state every `entries` applied entries and compacts its log. */
  snapshotEvery(entries: number): void {
    assert(
      Number.isInteger(entries) && entries >= 0,
      () => `snapshotEvery needs an integer >= 0, got ${entries}`,
    );
    this.snapshotEveryEntries = entries;
  }

  /** Writes waiting for an fsync at node `id` (a crash now loses them). */
  unsyncedWrites(id: number): number {
    return this.host(id).unsyncedWrites;
  }

  /** Durable hard state of node `id` (what a restart will see). */
  durableHardState(id: number) {
    return this.host(id).durable.hardState;
  }
}
