/**
 * What a Normal Raft entry carries in the member process (the payload the
 * node treats as opaque). Byte map:
 *   0  u8   kind (EntryKind)
 *   Batch:   u64 clientId, u64 seq, u32 count, count x (u32 len, len bytes)
 *   Barrier: nothing (a linearizable read waits for one to apply, see client-server.ts)
 * The offline verifier decodes the same format, so it lives here once.
 */
import { ByteReader, ByteWriter, DecodeError } from "./bytes.ts";

export const EntryKind = { Batch: 1, Barrier: 2 } as const;
export type EntryKind = (typeof EntryKind)[keyof typeof EntryKind];

export interface BatchPayload {
  kind: typeof EntryKind.Batch;
  clientId: number;
  seq: number;
  records: Uint8Array[];
}
export type EntryPayload = BatchPayload | { kind: typeof EntryKind.Barrier };

export function encodeBatch(
  clientId: number,
  seq: number,
  records: readonly Uint8Array[],
): Uint8Array {
  let size = 1 + 8 + 8 + 4;
  for (const r of records) size += 4 + r.length;
  const w = new ByteWriter(size);
  w.u8(EntryKind.Batch).u64(clientId).u64(seq).u32(records.length);
  for (const r of records) w.bytes(r);
  return w.finish();
}

export const BARRIER_PAYLOAD = new Uint8Array([EntryKind.Barrier]);

/** Decodes an entry payload; throws DecodeError (a member's own log is never malformed, the verifier reports it). */
export function decodeEntryPayload(data: Uint8Array): EntryPayload {
  const r = new ByteReader(data);
  const kind = r.u8("entry kind");
  if (kind === EntryKind.Barrier) {
    r.end("barrier entry");
    return { kind };
  }
  if (kind !== EntryKind.Batch) throw new DecodeError(`unknown entry kind ${kind}`);
  const clientId = r.u64("clientId");
  const seq = r.u64("seq");
  const count = r.u32("record count");
  if (count * 4 > r.remaining()) throw new DecodeError(`record count ${count} exceeds the entry`);
  const records: Uint8Array[] = [];
  for (let i = 0; i < count; i++) records.push(r.bytes("record", data.length));
  r.end("batch entry");
  return { kind, clientId, seq, records };
}
