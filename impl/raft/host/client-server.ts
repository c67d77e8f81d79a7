/**
 * The member's client port (protocol in client-protocol.ts and
 * docs/raft-protocol.md). Each connection has its own frame splitter, reply
 * writer and in-flight count. A malformed frame gets an ERROR BadFrame and
 * that connection is closed; a request over a named limit gets an ERROR and
 * the connection stays; other connections never notice either.
 * Owner: the member's event loop.
 */
import type { Socket, TCPSocketListener } from "bun";
import {
  ClientFrame,
  type ClientReply,
  type ClientRequest,
  decodeRequest,
  ErrorCode,
  encodeReply,
  LimitError,
  ReadMode,
} from "./client-protocol.ts";
import { FrameSplitter, frame } from "./frame.ts";
import { MAX_CLIENT_BACKLOG_BYTES, MAX_READ_ENTRIES, maxClientFrameBytes } from "./limits.ts";
import type { AppendResult, Member, ReadResult } from "./member.ts";
import { SocketWriter } from "./socket-writer.ts";

interface Conn {
  splitter: FrameSplitter;
  writer: SocketWriter;
  inFlight: number;
  closed: boolean;
}

export class ClientServer {
  private listener: TCPSocketListener<Conn> | null = null;
  private open = 0;

  constructor(private readonly member: Member) {}

  start(): void {
    const o = this.member.o;
    const maxFrame = maxClientFrameBytes(o.maxBatchRecords);
    try {
      this.listener = Bun.listen<Conn>({
        hostname: o.host,
        port: o.clientPort,
        socket: {
          open: (s) => {
            s.data = {
              splitter: new FrameSplitter(maxFrame),
              writer: new SocketWriter(MAX_CLIENT_BACKLOG_BYTES),
              inFlight: 0,
              closed: false,
            };
            this.member.metrics.clientConnections++;
            if (++this.open > o.maxClients) {
              this.fail(
                s,
                0,
                ErrorCode.TooManyClients,
                `over the limit of ${o.maxClients} client connections`,
              );
            }
          },
          data: (s, chunk) => this.onData(s, chunk),
          drain: (s) => s.data.writer.drain(s),
          close: (s) => {
            s.data.closed = true;
            this.open--;
          },
          error: (_s, err) => o.log(`client connection error: ${err.message}`),
        },
      });
    } catch (err) {
      throw new Error(
        `client port ${o.host}:${o.clientPort} is not available: ${(err as Error).message}`,
      );
    }
  }

  stop(): void {
    this.listener?.stop(true);
  }

  private onData(s: Socket<Conn>, chunk: Uint8Array): void {
    const c = s.data;
    if (c.closed) return;
    let bodies: Uint8Array[];
    try {
      bodies = c.splitter.push(chunk);
    } catch (err) {
      this.badFrame(s, (err as Error).message);
      return;
    }
    const o = this.member.o;
    for (const body of bodies) {
      let req: ClientRequest;
      try {
        req = decodeRequest(body, o);
      } catch (err) {
        if (err instanceof LimitError) {
          this.member.metrics.clientLimitErrors++;
          this.reply(s, {
            type: ClientFrame.Error,
            reqId: err.reqId,
            code: err.code,
            message: err.message,
          });
          continue;
        }
        this.badFrame(s, (err as Error).message);
        return;
      }
      if (c.inFlight >= o.maxInFlight) {
        this.member.metrics.clientLimitErrors++;
        this.reply(s, {
          type: ClientFrame.Error,
          reqId: req.reqId,
          code: ErrorCode.TooManyInFlight,
          message: `over the limit of ${o.maxInFlight} requests in flight on one connection`,
        });
        continue;
      }
      this.dispatch(s, req);
    }
  }

  private dispatch(s: Socket<Conn>, req: ClientRequest): void {
    const c = s.data;
    c.inFlight++;
    const reqId = req.reqId;
    if (req.type === ClientFrame.Append) {
      this.member.append(req.clientId, req.seq, req.records, (r) => {
        c.inFlight--;
        this.reply(s, this.appendReply(reqId, r));
      });
      return;
    }
    const max =
      req.maxEntries === 0 ? MAX_READ_ENTRIES : Math.min(req.maxEntries, MAX_READ_ENTRIES);
    const done = (r: ReadResult) => {
      c.inFlight--;
      this.reply(s, this.readReply(reqId, req.fromIndex, r));
    };
    if (req.mode === ReadMode.Local) {
      const m = this.member.machine;
      const entries = m.read(req.fromIndex, max);
      done(
        entries === null
          ? { kind: "retry", reason: "compacted" }
          : { kind: "ok", upToIndex: m.appliedIndex, entries },
      );
      return;
    }
    this.member.readLinearizable(req.fromIndex, max, done);
  }

  private appendReply(reqId: number, r: AppendResult): ClientReply {
    switch (r.kind) {
      case "ok":
        return { type: ClientFrame.AppendOk, reqId, index: r.index };
      case "not-leader":
        return this.notLeader(reqId);
      case "retry":
        return { type: ClientFrame.Error, reqId, code: ErrorCode.Retry, message: r.reason };
      case "out-of-order":
        return {
          type: ClientFrame.Error,
          reqId,
          code: ErrorCode.OutOfOrder,
          message: `this session's next seq is ${r.expectedSeq}`,
        };
      case "session-expired":
        return {
          type: ClientFrame.Error,
          reqId,
          code: ErrorCode.SessionExpired,
          message: "seq older than the session's remembered results",
        };
    }
  }

  private readReply(reqId: number, from: number, r: ReadResult): ClientReply {
    if (r.kind === "ok")
      return { type: ClientFrame.ReadOk, reqId, upToIndex: r.upToIndex, entries: r.entries };
    if (r.kind === "not-leader") return this.notLeader(reqId);
    if (r.reason === "compacted") {
      return {
        type: ClientFrame.Error,
        reqId,
        code: ErrorCode.Compacted,
        message: `index ${from} is below this member's snapshot (${this.member.machine.baseIndex})`,
      };
    }
    return { type: ClientFrame.Error, reqId, code: ErrorCode.Retry, message: r.reason };
  }

  private notLeader(reqId: number): ClientReply {
    const l = this.member.leaderAddress;
    return { type: ClientFrame.NotLeader, reqId, leaderId: l.id, leaderAddress: l.address };
  }

  private reply(s: Socket<Conn>, m: ClientReply): void {
    if (s.data.closed) return;
    if (!s.data.writer.write(s, frame(encodeReply(m)))) {
      this.member.o.log(
        `client port: closing a connection that left ${MAX_CLIENT_BACKLOG_BYTES} reply bytes unread`,
      );
      s.data.closed = true;
      s.end();
    }
  }

  private badFrame(s: Socket<Conn>, reason: string): void {
    this.member.metrics.clientBadFrames++;
    this.member.o.log(`client port: closing a connection: ${reason}`);
    this.fail(s, 0, ErrorCode.BadFrame, reason);
  }

  private fail(s: Socket<Conn>, reqId: number, code: ErrorCode, message: string): void {
    this.reply(s, { type: ClientFrame.Error, reqId, code, message });
    s.data.closed = true;
    s.end();
  }
}
