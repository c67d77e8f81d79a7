/**
 * The first frame on every peer connection: who dials whom, on which lane,
 * and where the dialer serves clients (so NOT_LEADER can name the leader's
 * client address). Byte map: u32 magic "RAFT" (0x54464152 LE), u8 version,
 * i32 from, i32 to, u8 lane (Lane), u16 len + UTF-8 client address.
 */
import { ByteReader, ByteWriter, DecodeError } from "./bytes.ts";

export const HELLO_MAGIC = 0x54464152;
export const HELLO_VERSION = 1;
export const MAX_HELLO_BYTES = 1024;

/** Two connections per peer pair, so a big snapshot never holds heartbeats back. */
export const Lane = { Messages: 0, Snapshots: 1 } as const;
export type Lane = (typeof Lane)[keyof typeof Lane];

export interface Hello {
  from: number;
  to: number;
  lane: Lane;
  clientAddress: string;
}

export function encodeHello(h: Hello): Uint8Array {
  return new ByteWriter(64)
    .u32(HELLO_MAGIC)
    .u8(HELLO_VERSION)
    .i32(h.from)
    .i32(h.to)
    .u8(h.lane)
    .str(h.clientAddress)
    .finish();
}

export function decodeHello(body: Uint8Array): Hello {
  const r = new ByteReader(body);
  const magic = r.u32("magic");
  if (magic !== HELLO_MAGIC) throw new DecodeError(`bad hello magic 0x${magic.toString(16)}`);
  const version = r.u8("version");
  if (version !== HELLO_VERSION) throw new DecodeError(`unknown hello version ${version}`);
  const from = r.i32("from");
  const to = r.i32("to");
  const lane = r.u8("lane");
  if (lane !== Lane.Messages && lane !== Lane.Snapshots)
    throw new DecodeError(`unknown lane ${lane}`);
  const clientAddress = r.str("client address");
  r.end("hello");
  return { from, to, lane: lane as Lane, clientAddress };
}
