/**
 * RaftClient: the client library of the eventlab Raft cluster (protocol:
 * docs/raft-protocol.md). Used by tests, experiments and the pipeline's
 * commit stage.
 *
 * - Leader discovery: starts at any member, follows NOT_LEADER to the
 *   leader's client address, rotates through the members when one is down
 *   or does not know a leader.
 * - Exactly-once appends: each append gets the next seq of this client's
 *   session (clientId) once; every resend (reconnect, redirect, RETRY,
 *   OUT_OF_ORDER) carries the same seq, so the cluster commits it once and a
 *   resend of a committed append returns its original index. Resends go out
 *   in seq order, which keeps this client's records in its order.
 * - Bounded: at most `maxInFlight` requests outstanding, at most
 *   `maxQueued` callers waiting for a slot (more is refused at once).
 * - Timeouts: an attempt with no reply in `attemptTimeoutMs` counts as a
 *   dead connection (reconnect elsewhere); a request not answered by
 *   `deadlineMs` rejects with RaftClientError("timeout"). A timed-out append's
 *   outcome is unknown; the client keeps resending it in the background
 *   (it holds its in-flight slot) so later appends cannot overtake it.
 * Owner: one event loop; not shared between threads.
 */
import type { Socket } from "bun";
import {
  ClientFrame,
  type ClientReply,
  decodeReply,
  ERROR_CODE_NAMES,
  ErrorCode,
  encodeAppend,
  encodeRead,
  ReadMode,
} from "../host/client-protocol.ts";
import { FrameSplitter, frame } from "../host/frame.ts";
import type { AcceptedEntry } from "../host/log-machine.ts";
import { Outstanding, type Request } from "./outstanding.ts";

export type { AcceptedEntry };
export { ReadMode };

export interface RaftClientOptions {
  /** Client addresses ("host:port") of the members, any order. */
  members: string[];
  /** This client's session id (unique per client, >= 1). */
  clientId: number;
  maxInFlight?: number;
  maxQueued?: number;
  attemptTimeoutMs?: number;
  deadlineMs?: number;
  /** Pause before resending after RETRY/OUT_OF_ORDER or a failed connect, ms (doubles to 1 s). */
  retryDelayMs?: number;
  /** First session seq to use (a restarted client continues its session after the last seq it used). */
  firstSeq?: number;
}

export const CLIENT_DEFAULTS = {
  maxInFlight: 64,
  maxQueued: 100_000,
  attemptTimeoutMs: 2000,
  deadlineMs: 30_000,
  retryDelayMs: 20,
  maxRetryDelayMs: 1000,
  /** Largest reply frame accepted (a read of MAX_READ_ENTRIES entries of big batches). */
  maxReplyBytes: 1 << 30,
} as const;

export type RaftClientErrorKind =
  | "timeout"
  | "limit"
  | "closed"
  | "queue-full"
  | "compacted"
  | "session-expired"
  | "protocol";

export class RaftClientError extends Error {
  override name = "RaftClientError";
  constructor(
    readonly kind: RaftClientErrorKind,
    message: string,
  ) {
    super(message);
  }
}

export interface AppendResult {
  index: number;
  seq: number;
  attempts: number;
}

export interface ReadResult {
  upToIndex: number;
  entries: AcceptedEntry[];
}

export class RaftClient {
  private readonly o: Required<Omit<RaftClientOptions, "firstSeq">>;
  private nextSeq: number;
  private nextReqId = 1;
  private readonly out: Outstanding;
  private socket: Socket<undefined> | null = null;
  private connecting = false;
  private target = 0;
  /** A redirect names the leader's address; it is tried before rotating. */
  private hint: string | null = null;
  private connectFailures = 0;
  private closed = false;
  private splitter = new FrameSplitter(CLIENT_DEFAULTS.maxReplyBytes);
  private readonly timer: ReturnType<typeof setInterval>;
  private resendTimer: ReturnType<typeof setTimeout> | null = null;
  /** Counters for callers and tests. */
  readonly stats = { redirects: 0, reconnects: 0, resends: 0, retryErrors: 0 };

  constructor(opts: RaftClientOptions) {
    if (opts.members.length === 0)
      throw new RaftClientError("protocol", "RaftClient needs at least one member address");
    if (!Number.isSafeInteger(opts.clientId) || opts.clientId < 1)
      throw new RangeError(`clientId must be a positive integer, got ${opts.clientId}`);
    this.o = {
      members: opts.members,
      clientId: opts.clientId,
      maxInFlight: opts.maxInFlight ?? CLIENT_DEFAULTS.maxInFlight,
      maxQueued: opts.maxQueued ?? CLIENT_DEFAULTS.maxQueued,
      attemptTimeoutMs: opts.attemptTimeoutMs ?? CLIENT_DEFAULTS.attemptTimeoutMs,
      deadlineMs: opts.deadlineMs ?? CLIENT_DEFAULTS.deadlineMs,
      retryDelayMs: opts.retryDelayMs ?? CLIENT_DEFAULTS.retryDelayMs,
    };
    this.nextSeq = opts.firstSeq ?? 1;
    this.out = new Outstanding(this.o.maxInFlight, this.o.maxQueued);
    this.timer = setInterval(
      () => this.checkTimeouts(),
      Math.max(5, Math.min(100, this.o.attemptTimeoutMs / 4)),
    );
  }

  get clientId(): number {
    return this.o.clientId;
  }

  /** Appends a batch; resolves once committed with its log index. */
  async append(records: Uint8Array[]): Promise<AppendResult> {
    const seq = this.nextSeq++;
    const r = await this.submit({
      kind: "append",
      seq,
      body: (reqId) => encodeAppend(reqId, this.o.clientId, seq, records),
    });
    return { index: r.index!, seq, attempts: r.attempts };
  }

  /** Reads accepted entries from `fromIndex` (at most maxEntries; 0 = the member's maximum). */
  async read(
    fromIndex: number,
    opts: { mode?: ReadMode; maxEntries?: number } = {},
  ): Promise<ReadResult> {
    const mode = opts.mode ?? ReadMode.Linearizable;
    const r = await this.submit({
      kind: "read",
      seq: 0,
      body: (reqId) => encodeRead(reqId, fromIndex, opts.maxEntries ?? 0, mode),
    });
    return { upToIndex: r.upToIndex!, entries: r.entries! };
  }

  close(): void {
    this.closed = true;
    clearInterval(this.timer);
    if (this.resendTimer) clearTimeout(this.resendTimer);
    this.socket?.end();
    this.socket = null;
    this.out.failAll(new RaftClientError("closed", "client closed"));
  }

  private async submit(
    spec: Pick<Request, "kind" | "seq" | "body">,
  ): Promise<{ index?: number; upToIndex?: number; entries?: AcceptedEntry[]; attempts: number }> {
    if (this.closed) throw new RaftClientError("closed", "client closed");
    const req = await this.out.admit(spec, this.nextReqId++, performance.now() + this.o.deadlineMs);
    this.send(req);
    return req.promise;
  }

  private send(req: Request): void {
    if (!this.socket) {
      req.sent = false;
      this.connect();
      return;
    }
    req.sent = true;
    req.attempts++;
    req.attemptStartMs = performance.now();
    this.socket.write(frame(req.body(req.reqId)));
  }

  private connect(): void {
    if (this.connecting || this.socket || this.closed) return;
    this.connecting = true;
    const addr = this.hint ?? this.o.members[this.target % this.o.members.length]!;
    this.hint = null;
    const [host, port] = splitAddress(addr);
    const splitter = new FrameSplitter(CLIENT_DEFAULTS.maxReplyBytes);
    Bun.connect({
      hostname: host,
      port,
      socket: {
        open: (s) => {
          this.connecting = false;
          if (this.closed) return void s.end();
          this.socket = s;
          this.splitter = splitter;
          this.connectFailures = 0;
          this.stats.reconnects++;
          for (const r of this.out.inOrder()) this.send(r);
        },
        data: (s, chunk) => {
          if (s === this.socket) this.onData(chunk);
        },
        close: (s) => {
          if (s === this.socket) this.dropConnection();
        },
        error: (s) => {
          if (s === this.socket) this.dropConnection();
        },
        connectError: () => this.connectFailed(),
      },
    }).catch(() => this.connectFailed());
  }

  private connectFailed(): void {
    this.connecting = false;
    this.connectFailures++;
    this.target++;
    this.scheduleResend();
  }

  /** The connection is gone or suspect: everything outstanding goes again on the next one. */
  private dropConnection(): void {
    const s = this.socket;
    this.socket = null;
    s?.end();
    for (const r of this.out.inOrder()) r.sent = false;
    this.target++;
    this.scheduleResend();
  }

  private scheduleResend(): void {
    if (this.resendTimer || this.closed) return;
    const delay = Math.min(
      CLIENT_DEFAULTS.maxRetryDelayMs,
      this.o.retryDelayMs * 2 ** Math.min(6, this.connectFailures),
    );
    this.resendTimer = setTimeout(() => {
      this.resendTimer = null;
      if (!this.socket) return this.connect();
      for (const r of this.out.inOrder()) if (!r.sent) this.send(r);
    }, delay);
  }

  private onData(chunk: Uint8Array): void {
    let replies: ClientReply[];
    try {
      replies = this.splitter.push(chunk).map(decodeReply);
    } catch {
      this.dropConnection(); // a member never sends garbage; treat it as a broken connection
      return;
    }
    for (const m of replies) this.onReply(m);
  }

  private onReply(m: ClientReply): void {
    const req = this.out.get(m.reqId);
    if (m.type === ClientFrame.Error && m.reqId === 0) {
      this.out.failAll(
        new RaftClientError(
          "protocol",
          `member refused the connection: ${ERROR_CODE_NAMES[m.code]}: ${m.message}`,
        ),
      );
      return;
    }
    if (!req) return; // answered already (a reply from before a resend)
    if (m.type === ClientFrame.AppendOk) {
      this.out.resolve(req, { index: m.index, attempts: req.attempts });
      return;
    }
    if (m.type === ClientFrame.ReadOk) {
      this.out.resolve(req, { upToIndex: m.upToIndex, entries: m.entries, attempts: req.attempts });
      return;
    }
    if (m.type === ClientFrame.NotLeader) {
      this.stats.redirects++;
      this.hint =
        m.leaderAddress !== "" && m.leaderAddress !== this.currentAddress()
          ? m.leaderAddress
          : null;
      if (this.hint === null) this.connectFailures++; // no leader known yet: back off a little
      this.dropConnection();
      return;
    }
    this.onError(req, m.code, m.message);
  }

  private onError(req: Request, code: ErrorCode, message: string): void {
    const name = ERROR_CODE_NAMES[code] ?? String(code);
    if (
      code === ErrorCode.Retry ||
      code === ErrorCode.OutOfOrder ||
      code === ErrorCode.TooManyInFlight
    ) {
      this.stats.retryErrors++;
      req.sent = false;
      this.stats.resends++;
      this.scheduleResend();
      return;
    }
    const kind =
      code === ErrorCode.Compacted
        ? "compacted"
        : code === ErrorCode.SessionExpired
          ? "session-expired"
          : "limit";
    this.out.reject(req, new RaftClientError(kind, `${name}: ${message}`));
  }

  private currentAddress(): string {
    return this.o.members[this.target % this.o.members.length]!;
  }

  private checkTimeouts(): void {
    const now = performance.now();
    let suspect = false;
    for (const r of this.out.inOrder()) {
      if (now > r.deadlineMs && !r.settled) {
        this.out.expire(
          r,
          new RaftClientError(
            "timeout",
            `${r.kind} ${r.kind === "append" ? `seq ${r.seq} ` : ""}not answered within ${this.o.deadlineMs} ms (${r.attempts} attempts)`,
          ),
        );
      }
      if (r.sent && now - r.attemptStartMs > this.o.attemptTimeoutMs) suspect = true;
    }
    if (suspect && this.socket) this.dropConnection();
  }
}

function splitAddress(addr: string): [string, number] {
  const i = addr.lastIndexOf(":");
  const port = Number(addr.slice(i + 1));
  if (i <= 0 || !Number.isInteger(port) || port < 1 || port > 65535) {
    throw new RaftClientError("protocol", `member address "${addr}" is not HOST:PORT`);
  }
  return [addr.slice(0, i), port];
}
