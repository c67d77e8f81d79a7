/**
 * The Raft node's own cost in the simulator-speed load (speed.ts), apart
 * from everything else. recordSpeedLoad() runs the load and records every
 * call the simulator makes on each node (step, tick, tickIdle, propose,
 * hasReady, ready, advance, ticksUntilTimer) with its argument; replayCalls()
 * makes those calls again, in the same order, on fresh nodes of the same
 * seed with nothing around them: each Ready is written to the node's
 * in-memory storage and advanced; no event queue, network, checker, trace,
 * state machine or clients. The replayed window's virtual time over its
 * wall time is what a simulator would reach if everything but the node cost
 * nothing: an upper bound on the simulator's speed with this node.
 * scripts/raft-node-floor.ts prints it.
 *
 * A replay must be the same run: replayDivergence() compares every
 * replayed node's term, commit, last index and message count with the
 * recorded node's.
 */
import { RaftNode } from "../node.ts";
import type { Message } from "../types.ts";
import { SimCluster } from "./cluster.ts";
import type { SimHost } from "./host.ts";
import { speedClusterOptions, startSpeedClients } from "./speed.ts";

/** The recorded node calls; the ones with an argument take the next one from Recording.args. */
const OP_STEP = 0;
const OP_TICK = 1;
const OP_TICK_IDLE = 2;
const OP_PROPOSE = 3;
const OP_HAS_READY = 4;
const OP_READY = 5;
const OP_ADVANCE = 6;
const OP_TICKS_UNTIL_TIMER = 7;
/** A call is one number: op * NODE_SPAN + node id (ids are < 64, as in SimCore). */
const NODE_SPAN = 64;

/** The node methods the simulator calls, with their opcode and whether they take an argument. */
const RECORDED: Array<[name: string, op: number, hasArg: boolean]> = [
  ["step", OP_STEP, true],
  ["tick", OP_TICK, false],
  ["tickIdle", OP_TICK_IDLE, true],
  ["propose", OP_PROPOSE, true],
  ["hasReady", OP_HAS_READY, false],
  ["ready", OP_READY, false],
  ["advance", OP_ADVANCE, false],
  ["ticksUntilTimer", OP_TICKS_UNTIL_TIMER, false],
];
/** Node calls the replay does not model: a recorded load must not make them. */
const NOT_MODELLED = ["campaign", "transferLeadership", "reportUnreachable", "reportSnapshot"];

export interface NodeOutcome {
  term: number;
  commit: number;
  lastIndex: number;
  /** Messages the node's Readies held over the whole run. */
  messages: number;
}

export interface Recording {
  /** op * NODE_SPAN + node id, in call order. */
  calls: number[];
  /** The arguments of the calls that take one, in call order. */
  args: unknown[];
  /** The first call (and first argument) of the measured window. */
  windowCall: number;
  windowArg: number;
  /** Simulator events in the measured window. */
  windowEvents: number;
  seed: number;
  totalVirtualMs: number;
  /** Each recorded node at the end of the run. */
  outcomes: NodeOutcome[];
}

/** SimCluster with its hosts in reach (they are protected). */
class OpenCluster extends SimCluster {
  hostList(): SimHost[] {
    return this.hosts;
  }
}

type Methods = Record<string, ((this: RaftNode, ...a: unknown[]) => unknown) | undefined>;

/**
 * Wraps RaftNode's methods on its prototype so each call is appended to
 * `rec` (on the prototype, not the instances: nodes with own properties
 * would have another object shape, and the node's code would then run
 * polymorphic); returns the function that puts the originals back.
 */
function recordCalls(rec: Recording, messages: number[]): () => void {
  const proto = RaftNode.prototype as unknown as Methods;
  const saved = new Map<string, PropertyDescriptor | undefined>();
  for (const name of [...RECORDED.map((r) => r[0]), ...NOT_MODELLED]) {
    saved.set(name, Object.getOwnPropertyDescriptor(proto, name));
  }
  for (const [name, op, hasArg] of RECORDED) {
    const orig = proto[name]!;
    proto[name] = function (this: RaftNode, arg?: unknown) {
      rec.calls.push(op * NODE_SPAN + this.id);
      if (hasArg) rec.args.push(arg);
      const r = orig.call(this, arg);
      if (op === OP_READY) messages[this.id]! += (r as { messages: Message[] }).messages.length;
      return r;
    };
  }
  for (const name of NOT_MODELLED) {
    proto[name] = () => {
      throw new Error(`the load called RaftNode.${name}, which the replay does not model`);
    };
  }
  return () => {
    for (const [name, d] of saved) {
      if (d) Object.defineProperty(proto, name, d);
      else delete proto[name];
    }
  };
}

function outcome(node: RaftNode, messages: number): NodeOutcome {
  return { term: node.term, commit: node.commitIndex, lastIndex: node.lastIndex, messages };
}

/** Runs the speed load (warm-up, then the measured window) and records every node call. */
export function recordSpeedLoad(seed: number, warmupMs: number, measureMs: number): Recording {
  const totalVirtualMs = warmupMs + measureMs;
  const rec: Recording = {
    calls: [],
    args: [],
    windowCall: 0,
    windowArg: 0,
    windowEvents: 0,
    seed,
    totalVirtualMs,
    outcomes: [],
  };
  const c = new OpenCluster(speedClusterOptions(seed, totalVirtualMs));
  const messages = c.hostList().map(() => 0);
  const restore = recordCalls(rec, messages);
  try {
    startSpeedClients(c, seed, totalVirtualMs);
    c.runFor(warmupMs);
    rec.windowCall = rec.calls.length;
    rec.windowArg = rec.args.length;
    const ev0 = c.stats().events;
    c.runFor(measureMs);
    rec.windowEvents = c.stats().events - ev0;
  } finally {
    restore();
  }
  rec.outcomes = c.hostList().map((h, id) => {
    if (!h.up) throw new Error(`node ${id} is down at the end of the load`);
    return outcome(h.node, messages[id]!);
  });
  return rec;
}

/** Fresh hosts of the recording's seed: a second cluster's, never run (its constructor only builds them). */
export function freshHosts(rec: Recording): SimHost[] {
  return new OpenCluster(speedClusterOptions(rec.seed, rec.totalVirtualMs)).hostList();
}

/**
 * Makes calls [from, to) of `rec` on the hosts' nodes, adding each Ready's
 * message count to `messages[id]`; returns the argument cursor after them.
 * Arguments used are dropped from the recording (the collector may have
 * them, as in the simulator), so a window replays once.
 */
export function replayCalls(
  rec: Recording,
  hosts: SimHost[],
  from: number,
  to: number,
  argAt: number,
  messages: number[],
): number {
  const { calls, args } = rec;
  let a = argAt;
  for (let i = from; i < to; i++) {
    const code = calls[i]!;
    const id = code % NODE_SPAN;
    const node = hosts[id]!.node;
    switch ((code - id) / NODE_SPAN) {
      case OP_STEP:
        node.step(args[a] as Message);
        args[a++] = undefined;
        break;
      case OP_TICK:
        node.tick();
        break;
      case OP_TICK_IDLE:
        node.tickIdle(args[a++] as number);
        break;
      case OP_PROPOSE:
        node.propose(args[a] as Uint8Array);
        args[a++] = undefined;
        break;
      case OP_HAS_READY:
        node.hasReady();
        break;
      case OP_READY: {
        // The least a host does with a Ready: write it to the node's storage.
        const rd = node.ready();
        const live = hosts[id]!.live;
        if (rd.snapshot) live.applySnapshot(rd.snapshot);
        if (rd.entries.length > 0) live.append(rd.entries);
        if (rd.hardState) live.setHardState(rd.hardState);
        messages[id]! += rd.messages.length;
        break;
      }
      case OP_ADVANCE:
        node.advance();
        break;
      case OP_TICKS_UNTIL_TIMER:
        node.ticksUntilTimer();
        break;
      default:
        throw new Error(`bad recorded call ${code} at ${i}`);
    }
  }
  return a;
}

/**
 * The replay loop without the node: the same reads of calls and arguments
 * and the same dispatch, calling nothing. Its time is the loop's own share
 * of a replay. Returns a sum of what it read (so the loop is not optimised
 * away); run it before replayCalls drops the arguments.
 */
export function dryReplay(rec: Recording, from: number, to: number, argAt: number): number {
  const { calls, args } = rec;
  let a = argAt;
  let sum = 0;
  for (let i = from; i < to; i++) {
    const code = calls[i]!;
    const id = code % NODE_SPAN;
    switch ((code - id) / NODE_SPAN) {
      case OP_STEP:
      case OP_PROPOSE:
        sum += args[a++] === undefined ? 0 : id;
        break;
      case OP_TICK_IDLE:
        sum += args[a++] as number;
        break;
      default:
        sum += id;
    }
  }
  return sum;
}

/** How the replayed nodes differ from the recorded ones at the end, or null when they agree. */
export function replayDivergence(
  rec: Recording,
  hosts: SimHost[],
  messages: number[],
): string | null {
  for (const [id, want] of rec.outcomes.entries()) {
    const got = outcome(hosts[id]!.node, messages[id]!);
    if (JSON.stringify(got) !== JSON.stringify(want))
      return `node ${id} ended ${JSON.stringify(got)}, recorded ${JSON.stringify(want)}`;
  }
  return null;
}

export interface NodeFloor {
  /** Virtual ms of the measured window. */
  measureVirtualMs: number;
  /** The window's replay, wall and CPU ms, minus the replay loop's own time. */
  nodeWallMs: number;
  nodeCpuMs: number;
  /** The replay loop's own time (subtracted above). */
  loopMs: number;
  windowEvents: number;
  windowCalls: number;
}

/** Records the load, replays the warm-up untimed, then times the window's replay. */
export function measureNodeFloor(seed: number, warmupMs: number, measureMs: number): NodeFloor {
  const rec = recordSpeedLoad(seed, warmupMs, measureMs);
  const hosts = freshHosts(rec);
  const messages = hosts.map(() => 0);
  const argAt = replayCalls(rec, hosts, 0, rec.windowCall, 0, messages);
  if (argAt !== rec.windowArg)
    throw new Error(
      `replay out of step at the window: argument ${argAt}, recorded ${rec.windowArg}`,
    );
  dryReplay(rec, 0, rec.windowCall, 0); // warms the loop (the warm-up's arguments are dropped: reads undefined)
  const d0 = performance.now();
  const read = dryReplay(rec, rec.windowCall, rec.calls.length, argAt);
  const loopMs = performance.now() - d0;
  if (!Number.isFinite(read)) throw new Error("the dry replay read a bad argument");
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  replayCalls(rec, hosts, rec.windowCall, rec.calls.length, argAt, messages);
  const cpu = process.cpuUsage(cpu0);
  const wallMs = performance.now() - t0;
  const diverged = replayDivergence(rec, hosts, messages);
  if (diverged !== null) throw new Error(`the replay is not the recorded run: ${diverged}`);
  return {
    measureVirtualMs: measureMs,
    nodeWallMs: wallMs - loopMs,
    nodeCpuMs: (cpu.user + cpu.system) / 1000 - loopMs,
    loopMs,
    windowEvents: rec.windowEvents,
    windowCalls: rec.calls.length - rec.windowCall,
  };
}
