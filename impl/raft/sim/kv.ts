/**
 * A key-value store replicated through SimCluster, and simulated clients that
 * drive it and record a history for the linearizability checker.
 *
 * KvStore (the state machine) executes get/put/append once per (client,
 * sequence number): a client retrying an operation after a timeout or a
 * leader change reuses the sequence number, and a duplicate that reaches the
 * log twice is applied once (the dissertation's §6.3 session table). Reads go
 * through the log too, so they are linearizable without leases.
 *
 * KvClients: each client issues one operation at a time on a few keys, sends
 * it to the node it believes leads, moves on to the next node when told "not
 * leader" or after a timeout, and records call and return times in virtual
 * ms. Client-to-server messages take a seeded random delay; a request to a
 * crashed node is lost. Operations still open at the end are recorded with
 * returnMs = Infinity (outcome unknown).
 */
import { Rng } from "../../core/rng.ts";
import type { Entry } from "../types.ts";
import type { SimCluster } from "./cluster.ts";
import type { KvOperation, KvOpKind } from "./linearizability.ts";
import type { StateMachine } from "./state-machine.ts";

interface KvCommand {
  c: number;
  s: number;
  k: KvOpKind;
  key: string;
  v: string;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * Decoded commands, cached on the payload array under a private symbol:
 * every replica's KvStore and the clients decode each applied command (about
 * 10 JSON parses per operation on 5 nodes before the cache). Payloads are
 * never written after they are proposed; callers must not mutate the
 * returned command. On the array rather than in a WeakMap: with every payload
 * of a long run alive in the logs, a WeakMap of hundreds of thousands of weak
 * entries cost lookups and collector time.
 */
const DECODED = Symbol("kvCommand");

type WithCommand = Uint8Array & { [DECODED]?: KvCommand };

/** Caches `cmd` on `data` (an array that cannot take a property is decoded each time). */
function remember(data: Uint8Array, cmd: KvCommand): void {
  if (Object.isExtensible(data)) (data as WithCommand)[DECODED] = cmd;
}

/**
 * The command's bytes. The command itself is cached on those bytes, so
 * replicas and clients that see the same array never parse it (a payload
 * that crossed the wire codec is a new array and is parsed once).
 * The caller must not mutate `cmd` afterwards.
 */
export function encodeKvCommand(cmd: KvCommand): Uint8Array {
  const plain = encodePlain(cmd);
  if (plain !== null) {
    (plain as WithCommand)[DECODED] = cmd; // a fresh array of ours: always extensible
    return plain;
  }
  const data = encoder.encode(JSON.stringify(cmd));
  remember(data, cmd);
  return data;
}

/** The fixed parts of a plain command's JSON, in order: {"c":C,"s":S,"k":"K","key":"KEY","v":"V"}. */
const P_C = '{"c":';
const P_S = ',"s":';
const P_K = ',"k":"';
const P_KEY = '","key":"';
const P_V = '","v":"';
const P_END = '"}';
const FIXED_CHARS = P_C.length + P_S.length + P_K.length + P_KEY.length + P_V.length + P_END.length;

/**
 * The bytes JSON.stringify + TextEncoder give for `cmd`, written directly
 * (this ran once per client request and was ~5% of the simulator's time),
 * or null when a string needs JSON escaping or is not ASCII, or a number is
 * not a safe integer (the caller then takes the general path). Key order is
 * the object's: c, s, k, key, v. Written straight into one array sized
 * up front: no list of parts, no intermediate string.
 */
function encodePlain(cmd: KvCommand): Uint8Array | null {
  const { c, s, k, key, v } = cmd;
  if (!Number.isSafeInteger(c) || !Number.isSafeInteger(s)) return null;
  if (!plainAscii(k) || !plainAscii(key) || !plainAscii(v)) return null;
  const cText = String(c);
  const sText = String(s);
  const out = new Uint8Array(
    FIXED_CHARS + cText.length + sText.length + k.length + key.length + v.length,
  );
  let at = put(out, 0, P_C);
  at = put(out, at, cText);
  at = put(out, at, P_S);
  at = put(out, at, sText);
  at = put(out, at, P_K);
  at = put(out, at, k);
  at = put(out, at, P_KEY);
  at = put(out, at, key);
  at = put(out, at, P_V);
  at = put(out, at, v);
  put(out, at, P_END);
  return out;
}

/** Writes the (ASCII) chars of `x` at `at`; returns the offset after them. */
function put(out: Uint8Array, at: number, x: string): number {
  for (let i = 0; i < x.length; i++) out[at + i] = x.charCodeAt(i);
  return at + x.length;
}

/** A string JSON.stringify writes unchanged: printable ASCII without quote or backslash. */
function plainAscii(x: string): boolean {
  for (let i = 0; i < x.length; i++) {
    const ch = x.charCodeAt(i);
    if (ch < 0x20 || ch > 0x7e || ch === 0x22 || ch === 0x5c) return false;
  }
  return true;
}

export function decodeKvCommand(data: Uint8Array): KvCommand {
  let cmd = (data as WithCommand)[DECODED];
  if (cmd === undefined) {
    cmd = JSON.parse(decoder.decode(data)) as KvCommand;
    remember(data, cmd);
  }
  return cmd;
}

export class KvStore implements StateMachine {
  private data = new Map<string, string>();
  /** Per client: last sequence number executed and its result. */
  private sessions = new Map<number, { seq: number; result: string }>();

  apply(e: Entry): void {
    const cmd = decodeKvCommand(e.data);
    const last = this.sessions.get(cmd.c);
    if (last !== undefined && cmd.s <= last.seq) return; // duplicate of an executed op
    let result = "";
    if (cmd.k === "get") result = this.data.get(cmd.key) ?? "";
    else if (cmd.k === "put") this.data.set(cmd.key, cmd.v);
    else this.data.set(cmd.key, (this.data.get(cmd.key) ?? "") + cmd.v);
    if (last !== undefined) {
      last.seq = cmd.s; // in place: the session objects are this store's own (restore builds new ones)
      last.result = result;
    } else this.sessions.set(cmd.c, { seq: cmd.s, result });
  }

  /** The result of client `c`'s operation `seq` if it is the last one executed for that client. */
  resultOf(c: number, seq: number): string | undefined {
    const s = this.sessions.get(c);
    return s !== undefined && s.seq === seq ? s.result : undefined;
  }

  get(key: string): string {
    return this.data.get(key) ?? "";
  }

  snapshot(): Uint8Array {
    return encoder.encode(JSON.stringify({ d: [...this.data], s: [...this.sessions] }));
  }

  restore(data: Uint8Array): void {
    const o = JSON.parse(decoder.decode(data)) as {
      d: Array<[string, string]>;
      s: Array<[number, { seq: number; result: string }]>;
    };
    this.data = new Map(o.d);
    this.sessions = new Map(o.s);
  }
}

export interface KvClientOptions {
  clients: number;
  keys: number;
  seed: number;
  /** A client gives up waiting for one attempt after this long and tries another node. */
  attemptTimeoutMs?: number;
  /** One-way client<->server delay, uniform in [min, max] ms. */
  clientDelayMs?: [number, number];
  /** Pause between a client's operations, uniform in [0, thinkMs]. */
  thinkMs?: number;
  /** Named limit: attempts per operation before the client gives up (op stays open). */
  maxAttemptsPerOp?: number;
  /**
   * A deliberate bug for testing the checker end to end: gets are answered
   * at once from a random replica's local state, leader or not. A lagging
   * follower returns stale values; the history must fail the check.
   */
  unsafeLocalReads?: boolean;
}

interface ClientState {
  id: number;
  seq: number;
  op: { kind: KvOpKind; key: string; value: string; callMs: number } | null;
  attempt: number;
  target: number;
  /**
   * Per node: the seq of the last op it accepted into its log. Only nodes that
   * accepted the current op (askedSeq[node] === seq) reply. A number per node
   * rather than a Set cleared per op: a new op (seq + 1) forgets the old
   * ones without touching the array.
   */
  askedSeq: number[];
  stopped: boolean;
}

/** The clients' operation mix, drawn uniformly: appends twice as often as gets and puts. */
const OP_KINDS: readonly KvOpKind[] = ["get", "put", "append", "append"];

export class KvClients {
  readonly history: KvOperation[] = [];
  private readonly rng: Rng;
  private readonly clients: ClientState[] = [];
  private stopAtMs = 0;
  private readonly o: Required<KvClientOptions>;
  completed = 0;
  gaveUp = 0;

  constructor(
    private readonly cluster: SimCluster,
    options: KvClientOptions,
  ) {
    this.o = {
      attemptTimeoutMs: 400,
      clientDelayMs: [0, 10],
      thinkMs: 10,
      maxAttemptsPerOp: 1000,
      unsafeLocalReads: false,
      ...options,
    };
    this.rng = new Rng(options.seed).fork(77);
    cluster.onApply((id, cmd) => this.onApplied(id, cmd.data));
    for (let id = 0; id < options.clients; id++) {
      this.clients.push({
        id,
        seq: 0,
        op: null,
        attempt: 0,
        target: this.rng.int(cluster.size),
        askedSeq: new Array<number>(cluster.size).fill(0),
        stopped: false,
      });
    }
  }

  /** Starts every client; none starts a new operation after virtual time `untilMs`. */
  start(untilMs: number): void {
    this.stopAtMs = untilMs;
    for (const cl of this.clients)
      this.cluster.at(this.rng.next() * this.o.thinkMs, () => this.nextOp(cl));
  }

  /** The history, with operations still open recorded as pending (returnMs = Infinity). */
  finish(): KvOperation[] {
    for (const cl of this.clients) {
      if (cl.op) {
        this.history.push({ clientId: cl.id, ...cl.op, returnMs: Number.POSITIVE_INFINITY });
        cl.op = null;
      }
      cl.stopped = true;
    }
    return this.history;
  }

  private delay(): number {
    const [lo, hi] = this.o.clientDelayMs;
    return lo + this.rng.next() * (hi - lo);
  }

  /** Key names made once: every store's Map then finds the same string object. */
  private readonly keyNames: string[] = [];

  private keyName(k: number): string {
    let name = this.keyNames[k];
    if (name === undefined) {
      name = `k${k}`;
      this.keyNames[k] = name;
    }
    return name;
  }

  private nextOp(cl: ClientState): void {
    if (cl.stopped || this.cluster.virtualMs > this.stopAtMs) return;
    const kind = OP_KINDS[this.rng.int(OP_KINDS.length)]!;
    cl.seq++;
    cl.op = {
      kind,
      key: this.keyName(this.rng.int(this.o.keys)),
      value: kind === "get" ? "" : `${cl.id}.${cl.seq};`,
      callMs: this.cluster.virtualMs,
    };
    cl.attempt = 0;
    this.sendAttempt(cl);
  }

  private sendAttempt(cl: ClientState): void {
    const op = cl.op;
    if (op === null || cl.stopped) return;
    if (++cl.attempt > this.o.maxAttemptsPerOp) {
      this.gaveUp++;
      this.history.push({ clientId: cl.id, ...op, returnMs: Number.POSITIVE_INFINITY });
      cl.op = null;
      cl.stopped = true;
      return;
    }
    const seq = cl.seq;
    const attempt = cl.attempt;
    const target = cl.target;
    const cmd = encodeKvCommand({ c: cl.id, s: seq, k: op.kind, key: op.key, v: op.value });
    this.cluster.at(this.delay(), () => {
      if (!this.cluster.isUp(target)) return; // lost; the timeout below retries
      if (this.o.unsafeLocalReads && op.kind === "get") {
        const reader = this.rng.int(this.cluster.size); // any replica, leader or not
        if (!this.cluster.isUp(reader)) return;
        const store = this.cluster.stateMachine(reader) as KvStore | null;
        this.reply(cl, seq, store?.get(op.key) ?? "", target);
        return;
      }
      if (this.cluster.propose(target, cmd) !== null) {
        if (cl.seq === seq) cl.askedSeq[target] = seq;
      } else {
        // "Not leader": the reply comes back and the client tries the next node.
        this.cluster.at(this.delay(), () => this.retry(cl, seq, attempt));
      }
    });
    this.cluster.at(this.o.attemptTimeoutMs, () => this.retry(cl, seq, attempt));
  }

  /** Moves on to the next node if attempt `attempt` of op `seq` is still the current one. */
  private retry(cl: ClientState, seq: number, attempt: number): void {
    if (cl.op === null || cl.seq !== seq || cl.attempt !== attempt) return;
    cl.target = (cl.target + 1) % this.cluster.size;
    this.sendAttempt(cl);
  }

  /** A node applied a command; if it is a client's open op, that node replies. */
  private onApplied(node: number, data: Uint8Array): void {
    const cmd = decodeKvCommand(data);
    const cl = this.clients[cmd.c];
    if (cl === undefined || cl.op === null || cl.seq !== cmd.s || cl.askedSeq[node] !== cmd.s)
      return;
    const store = this.cluster.stateMachine(node) as KvStore | null;
    const result = store?.resultOf(cmd.c, cmd.s);
    if (result === undefined) return;
    this.reply(cl, cmd.s, result, node);
  }

  /** Node `node` answers op `seq` of client `cl` with `result`; it arrives after a network delay. */
  private reply(cl: ClientState, seq: number, result: string, node: number): void {
    this.cluster.at(this.delay(), () => {
      if (cl.op === null || cl.seq !== seq) return; // already answered
      const op = cl.op;
      this.history.push({
        clientId: cl.id,
        kind: op.kind,
        key: op.key,
        value: op.kind === "get" ? result : op.value,
        callMs: op.callMs,
        returnMs: this.cluster.virtualMs,
      });
      this.completed++;
      cl.op = null;
      cl.target = node; // it answered: it was the leader
      this.cluster.at(this.rng.next() * this.o.thinkMs, () => this.nextOp(cl));
    });
  }
}
