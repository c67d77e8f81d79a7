/**
 * The slab's shared part: its transferable handle, createSlab, and the view
 * that both the producer and the consumer views (slab.ts) build on: record
 * offsets, field copies and the per-slot state byte. Byte map: slab-layout.ts.
 */
import { AllocatorMisuseError } from "../core/contracts.ts";
import {
  checkRecordBytes,
  type EventFields,
  HEADER_BYTES,
  LANE_COUNT,
  type Lane,
  OFF_LANE,
  OFF_PAYLOAD,
  OFF_PAYLOAD_LEN,
  OFF_TYPE,
  RecordWords,
} from "../core/record.ts";
import * as L from "./slab-layout.ts";

/** Payloads up to this many bytes are copied with a loop, longer ones with set() (see copy.ts). */
const SMALL_COPY_BYTES = 16;

function refuseFields(ev: EventFields, recordBytes: number): never {
  throw new RangeError(
    `slab: event does not fit a ${recordBytes}-byte record: payloadLength ${ev.payloadLength} ` +
      `(capacity ${recordBytes - HEADER_BYTES}, payload buffer ${ev.payload.length}), lane ${ev.lane}, type ${ev.type}, ingestNs ${ev.ingestNs}`,
  );
}

/** A slab's shared state: plain data, post it to any Worker as is. */
export interface SlabHandle {
  readonly kind: "slab";
  readonly sab: SharedArrayBuffer;
  readonly recordBytes: number;
  readonly producers: number;
  readonly slotsPerProducer: number;
  readonly ringSlots: number;
}

export interface SlabOptions {
  /** Total slots, split evenly (rounded up) between producers. Max 2^24 per producer. */
  capacity: number;
  recordBytes: number;
  producers: number;
}

/** Creates a slab: every slot free, nothing claimed. */
export function createSlab(opts: SlabOptions): SlabHandle {
  const recordBytes = checkRecordBytes(opts.recordBytes);
  const { producers, capacity } = opts;
  if (!Number.isInteger(producers) || producers < 1 || producers > L.SLAB_MAX_PRODUCERS) {
    throw new RangeError(
      `slab: producers must be an integer in [1, ${L.SLAB_MAX_PRODUCERS}], got ${producers}`,
    );
  }
  const slotsPerProducer = Math.ceil(capacity / producers);
  if (
    !Number.isInteger(capacity) ||
    capacity < producers ||
    slotsPerProducer > L.HANDLE_SLOT_MASK + 1
  ) {
    throw new RangeError(
      `slab: capacity must be an integer in [producers=${producers}, ${producers}*2^24], got ${capacity}`,
    );
  }
  const ringSlots = L.nextPow2(slotsPerProducer);
  const off = L.slabOffsets(producers, slotsPerProducer, recordBytes, ringSlots);
  const sab = new SharedArrayBuffer(off.totalBytes);
  const hdr = new Int32Array(sab, 0, L.HEADER_BYTES >>> 2);
  hdr[L.HDR_MAGIC] = L.SLAB_MAGIC;
  hdr[L.HDR_VERSION] = L.SLAB_VERSION;
  hdr[L.HDR_RECORD_BYTES] = recordBytes;
  hdr[L.HDR_PRODUCERS] = producers;
  hdr[L.HDR_SLOTS_PER_PRODUCER] = slotsPerProducer;
  hdr[L.HDR_RING_SLOTS] = ringSlots;
  return { kind: "slab", sab, recordBytes, producers, slotsPerProducer, ringSlots };
}

/** The parts of a slab both views need. */
export class SlabView {
  readonly recordBytes: number;
  readonly slotsPerProducer: number;
  readonly producers: number;
  readonly ringMask: number;
  readonly offsets: L.SlabOffsets;
  /** Hot-path access to records: the record of handle h starts at byte offsetOf(h). */
  readonly words: RecordWords;
  protected readonly i32: Int32Array;
  protected readonly rings: Uint32Array;
  protected readonly states: Uint8Array;

  constructor(readonly handle: SlabHandle) {
    const { sab } = handle;
    this.i32 = new Int32Array(sab);
    if (this.i32[L.HDR_MAGIC] !== L.SLAB_MAGIC || this.i32[L.HDR_VERSION] !== L.SLAB_VERSION) {
      throw new AllocatorMisuseError("slab: the SharedArrayBuffer is not a slab of this version");
    }
    this.recordBytes = handle.recordBytes;
    this.slotsPerProducer = handle.slotsPerProducer;
    this.producers = handle.producers;
    this.ringMask = handle.ringSlots - 1;
    this.offsets = L.slabOffsets(
      this.producers,
      this.slotsPerProducer,
      this.recordBytes,
      handle.ringSlots,
    );
    this.words = new RecordWords(sab);
    this.rings = new Uint32Array(sab, this.offsets.ringsBase, this.producers * handle.ringSlots);
    this.states = new Uint8Array(
      sab,
      this.offsets.statesBase,
      this.producers * this.slotsPerProducer,
    );
  }

  /** Global slot of a handle, or -1 if the handle names no slot of this slab. */
  globalSlot(h: number): number {
    const p = h >>> L.HANDLE_SLOT_BITS;
    const s = h & L.HANDLE_SLOT_MASK;
    if (p >= this.producers || s >= this.slotsPerProducer || h !== h >>> 0) return -1;
    return p * this.slotsPerProducer + s;
  }

  /** Byte offset in `words` of the record behind handle `h` (not validated: hot path). */
  offsetOf(h: number): number {
    return (
      this.offsets.recordsBase +
      ((h >>> L.HANDLE_SLOT_BITS) * this.slotsPerProducer + (h & L.HANDLE_SLOT_MASK)) *
        this.recordBytes
    );
  }

  /** Flips a live slot to free, or throws naming the misuse. */
  protected markFree(h: number): number {
    const g = this.globalSlot(h);
    if (g < 0)
      throw new AllocatorMisuseError(`slab: release of foreign handle 0x${(h >>> 0).toString(16)}`);
    const was = Atomics.compareExchange(this.states, g, L.SLOT_LIVE, L.SLOT_FREE);
    if (was !== L.SLOT_LIVE) {
      throw new AllocatorMisuseError(
        `slab: double release (or release of a never-acquired handle) 0x${h.toString(16)}`,
      );
    }
    return g;
  }

  protected checkLive(h: number, what: string): number {
    const g = this.globalSlot(h);
    if (g < 0 || Atomics.load(this.states, g) !== L.SLOT_LIVE) {
      throw new AllocatorMisuseError(
        `slab: ${what} of a handle that is not live: 0x${(h >>> 0).toString(16)}`,
      );
    }
    return this.offsetOf(h);
  }

  /** Slots whose state byte says live (a snapshot). */
  countLive(): number {
    let n = 0;
    for (let g = 0; g < this.states.length; g++)
      if (Atomics.load(this.states, g) === L.SLOT_LIVE) n++;
    return n;
  }

  /** Copies `ev` into the record at byte `off` of `words`, checking every field's range. */
  writeAt(off: number, ev: EventFields): void {
    const len = ev.payloadLength;
    if (
      !(len >= 0 && len <= this.recordBytes - HEADER_BYTES && len <= ev.payload.length) ||
      !(ev.lane >= 0 && ev.lane < LANE_COUNT) ||
      !(ev.type >= 0 && ev.type <= 0xff) ||
      !(ev.ingestNs >= 0)
    ) {
      refuseFields(ev, this.recordBytes);
    }
    const w = this.words;
    w.writeHeader(off, ev.producerId >>> 0, ev.sequence >>> 0, ev.ingestNs, ev.lane, ev.type, len);
    const u8 = w.u8;
    const p = off + OFF_PAYLOAD;
    const from = ev.payload;
    if (len <= SMALL_COPY_BYTES) for (let i = 0; i < len; i++) u8[p + i] = from[i]!;
    else u8.set(from.length <= this.recordBytes - HEADER_BYTES ? from : from.subarray(0, len), p);
  }
  /** Copies the event behind live handle `h` into `out` (no allocation for payloads up to 16 bytes). */
  read(h: number, out: EventFields): EventFields {
    const off = this.checkLive(h, "read");
    const w = this.words;
    const u8 = w.u8;
    const len = u8[off + OFF_PAYLOAD_LEN]! | (u8[off + OFF_PAYLOAD_LEN + 1]! << 8);
    if (len > out.payload.length || len > this.recordBytes - HEADER_BYTES) {
      throw new RangeError(
        `slab: record payloadLength ${len} does not fit out.payload (${out.payload.length} bytes)`,
      );
    }
    out.producerId = w.producerId(off);
    out.sequence = w.sequence(off);
    out.ingestNs = w.ingestNs(off);
    out.lane = u8[off + OFF_LANE]! as Lane;
    out.type = u8[off + OFF_TYPE]!;
    out.payloadLength = len;
    const p = off + OFF_PAYLOAD;
    if (len <= SMALL_COPY_BYTES) for (let i = 0; i < len; i++) out.payload[i] = u8[p + i]!;
    else out.payload.set(u8.subarray(p, p + len));
    return out;
  }
}

/** Slots marked live in the whole slab; any thread, a snapshot (O(slots)), for tests and checks. */
export function slabLiveSlots(handle: SlabHandle): number {
  return new SlabView(handle).countLive();
}
