/**
 * Field copies shared by the object allocators (naive, array-pool). They copy
 * through plain property stores and a bounded byte loop, so write/read allocate
 * nothing (no subarray views) and stay fair between the two.
 */
import { AllocatorMisuseError } from "../core/contracts.ts";
import type { EventFields } from "../core/record.ts";

/** Copies every field of `src` into `dst`; throws if the payload does not fit `dst`. */
export function copyEventFields(dst: EventFields, src: EventFields): EventFields {
  const len = src.payloadLength;
  if (len < 0 || len > dst.payload.length || len > src.payload.length) {
    throw new AllocatorMisuseError(
      `payloadLength ${len} does not fit (destination holds ${dst.payload.length} bytes, source ${src.payload.length})`,
    );
  }
  dst.producerId = src.producerId;
  dst.sequence = src.sequence;
  dst.ingestNs = src.ingestNs;
  dst.lane = src.lane;
  dst.type = src.type;
  dst.payloadLength = len;
  const from = src.payload;
  const to = dst.payload;
  for (let i = 0; i < len; i++) to[i] = from[i]!;
  return dst;
}
