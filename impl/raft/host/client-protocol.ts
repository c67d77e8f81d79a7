/**
 * The member's client protocol (docs/raft-protocol.md is the prose form).
 * Every frame is length-prefixed (frame.ts); the body starts with a u8 type
 * and a u64 request id chosen by the client and echoed in the reply.
 *
 * Requests:
 *   APPEND  u64 reqId, u64 clientId, u64 seq, u32 count, count x (u32 len, bytes)
 *   READ    u64 reqId, u64 fromIndex, u32 maxEntries, u8 mode (ReadMode)
 * Replies:
 *   APPEND_OK  u64 reqId, u64 index
 *   READ_OK    u64 reqId, u64 upToIndex, u32 n, n x (u64 index, u64 clientId, u64 seq, u32 count, records)
 *   NOT_LEADER u64 reqId, i32 leaderId (-1 unknown), u16 len + UTF-8 "host:port" of its client port ("" unknown)
 *   ERROR      u64 reqId (0: the connection), u16 code (ErrorCode), u16 len + UTF-8 message
 */
import { ByteReader, ByteWriter, DecodeError } from "./bytes.ts";
import type { AcceptedEntry } from "./log-machine.ts";

export const ClientFrame = {
  Append: 1,
  Read: 2,
  AppendOk: 101,
  ReadOk: 102,
  NotLeader: 103,
  Error: 104,
} as const;

export const ReadMode = {
  /** Served by the leader after a barrier entry commits: sees every append acked before the read began. */
  Linearizable: 0,
  /** This member's applied log as it is now (may lag; any member). */
  Local: 1,
} as const;
export type ReadMode = (typeof ReadMode)[keyof typeof ReadMode];

export const ErrorCode = {
  /** Malformed frame; the member closes the connection after sending this. */
  BadFrame: 1,
  RecordTooLarge: 2,
  BatchTooLarge: 3,
  TooManyInFlight: 4,
  /** Sent before closing a connection over the client limit. */
  TooManyClients: 5,
  /** Outcome unknown (leadership changed or the proposal was dropped): resend with the same seq. */
  Retry: 6,
  /** An earlier seq of this client is missing from the log: resend from it, in order. */
  OutOfOrder: 7,
  Compacted: 8,
  /** A duplicate whose original index is no longer remembered (seq older than the session window). */
  SessionExpired: 9,
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

export const ERROR_CODE_NAMES: Record<number, string> = Object.fromEntries(
  Object.entries(ErrorCode).map(([k, v]) => [v, k]),
);

export interface AppendRequest {
  type: typeof ClientFrame.Append;
  reqId: number;
  clientId: number;
  seq: number;
  records: Uint8Array[];
}
export interface ReadRequest {
  type: typeof ClientFrame.Read;
  reqId: number;
  fromIndex: number;
  maxEntries: number;
  mode: ReadMode;
}
export type ClientRequest = AppendRequest | ReadRequest;

export type ClientReply =
  | { type: typeof ClientFrame.AppendOk; reqId: number; index: number }
  | { type: typeof ClientFrame.ReadOk; reqId: number; upToIndex: number; entries: AcceptedEntry[] }
  | { type: typeof ClientFrame.NotLeader; reqId: number; leaderId: number; leaderAddress: string }
  | { type: typeof ClientFrame.Error; reqId: number; code: ErrorCode; message: string };

/** A request that is well-formed but over a limit: answered with an error, the connection stays. */
export class LimitError extends Error {
  constructor(
    readonly reqId: number,
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export interface RequestLimits {
  maxRecordBytes: number;
  maxBatchRecords: number;
}

export function encodeAppend(
  reqId: number,
  clientId: number,
  seq: number,
  records: readonly Uint8Array[],
): Uint8Array {
  const w = new ByteWriter(32 + records.reduce((n, r) => n + 4 + r.length, 0));
  w.u8(ClientFrame.Append).u64(reqId).u64(clientId).u64(seq).u32(records.length);
  for (const r of records) w.bytes(r);
  return w.finish();
}

export function encodeRead(
  reqId: number,
  fromIndex: number,
  maxEntries: number,
  mode: ReadMode,
): Uint8Array {
  return new ByteWriter(32)
    .u8(ClientFrame.Read)
    .u64(reqId)
    .u64(fromIndex)
    .u32(maxEntries)
    .u8(mode)
    .finish();
}

/** Decodes a request body; DecodeError for malformed input, LimitError for one over a limit. */
export function decodeRequest(body: Uint8Array, limits: RequestLimits): ClientRequest {
  const r = new ByteReader(body);
  const type = r.u8("frame type");
  const reqId = r.u64("reqId");
  if (type === ClientFrame.Read) {
    const fromIndex = r.u64("fromIndex");
    const maxEntries = r.u32("maxEntries");
    const mode = r.u8("read mode");
    if (mode !== ReadMode.Linearizable && mode !== ReadMode.Local) {
      throw new DecodeError(`unknown read mode ${mode}`);
    }
    r.end("READ");
    return { type, reqId, fromIndex, maxEntries, mode };
  }
  if (type !== ClientFrame.Append) throw new DecodeError(`unknown request type ${type}`);
  const clientId = r.u64("clientId");
  const seq = r.u64("seq");
  const count = r.u32("record count");
  if (seq < 1) throw new DecodeError("seq must be >= 1");
  if (count === 0) throw new DecodeError("an append needs at least one record");
  if (count > limits.maxBatchRecords) {
    throw new LimitError(
      reqId,
      ErrorCode.BatchTooLarge,
      `batch of ${count} records over the limit of ${limits.maxBatchRecords}`,
    );
  }
  if (count * 4 > r.remaining()) throw new DecodeError(`record count ${count} exceeds the frame`);
  const records: Uint8Array[] = [];
  for (let i = 0; i < count; i++) {
    const at = r.pos;
    const len = r.u32("record length");
    if (len > limits.maxRecordBytes) {
      throw new LimitError(
        reqId,
        ErrorCode.RecordTooLarge,
        `record ${i} of ${len} bytes over the limit of ${limits.maxRecordBytes}`,
      );
    }
    r.pos = at;
    records.push(r.bytes("record", limits.maxRecordBytes));
  }
  r.end("APPEND");
  return { type, reqId, clientId, seq, records };
}

export function encodeReply(m: ClientReply): Uint8Array {
  const w = new ByteWriter(64);
  w.u8(m.type).u64(m.reqId);
  switch (m.type) {
    case ClientFrame.AppendOk:
      w.u64(m.index);
      break;
    case ClientFrame.ReadOk:
      w.u64(m.upToIndex).u32(m.entries.length);
      for (const e of m.entries) {
        w.u64(e.index).u64(e.clientId).u64(e.seq).u32(e.records.length);
        for (const rec of e.records) w.bytes(rec);
      }
      break;
    case ClientFrame.NotLeader:
      w.i32(m.leaderId).str(m.leaderAddress);
      break;
    case ClientFrame.Error:
      w.u16(m.code).str(m.message);
      break;
  }
  return w.finish();
}

/** Decodes a reply (the client side); DecodeError on anything malformed. */
export function decodeReply(body: Uint8Array): ClientReply {
  const r = new ByteReader(body);
  const type = r.u8("frame type");
  const reqId = r.u64("reqId");
  let out: ClientReply;
  if (type === ClientFrame.AppendOk) out = { type, reqId, index: r.u64("index") };
  else if (type === ClientFrame.ReadOk) {
    const upToIndex = r.u64("upToIndex");
    const n = r.u32("entries");
    const entries: AcceptedEntry[] = [];
    for (let i = 0; i < n; i++) {
      const index = r.u64("index");
      const clientId = r.u64("clientId");
      const seq = r.u64("seq");
      const count = r.u32("count");
      const records: Uint8Array[] = [];
      for (let j = 0; j < count; j++) records.push(r.bytes("record", body.length).slice());
      entries.push({ index, clientId, seq, records });
    }
    out = { type, reqId, upToIndex, entries };
  } else if (type === ClientFrame.NotLeader) {
    out = { type, reqId, leaderId: r.i32("leaderId"), leaderAddress: r.str("leaderAddress") };
  } else if (type === ClientFrame.Error) {
    out = { type, reqId, code: r.u16("code") as ErrorCode, message: r.str("message") };
  } else throw new DecodeError(`unknown reply type ${type}`);
  r.end("reply");
  return out;
}
