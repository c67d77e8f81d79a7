/**
 * Helpers for the pipeline tests: a raw TCP client that sends arbitrary bytes
 * and collects the server's frames until the connection closes, and EVENTS
 * frame builders (well-formed, or broken in one named way).
 */
import { RecordWords, writePatternRecord } from "../impl/core/record.ts";
import {
  EVENTS_HEADER_BYTES,
  type ServerFrame,
  ServerFrameReader,
  writeEventsHeader,
} from "../impl/pipeline/protocol.ts";

export interface RawClient {
  send(bytes: Uint8Array): number;
  frames: ServerFrame[];
  closed: Promise<void>;
  isClosed(): boolean;
  end(): void;
  /** Half-close: send FIN, keep reading. */
  shutdown(): void;
}

export async function rawConnect(port: number, opts: { read?: boolean } = {}): Promise<RawClient> {
  const frames: ServerFrame[] = [];
  const reader = new ServerFrameReader();
  let closed = false;
  let onClosed: () => void = () => {};
  const closedP = new Promise<void>((r) => {
    onClosed = r;
  });
  const socket = await Bun.connect({
    hostname: "127.0.0.1",
    port,
    socket: {
      binaryType: "uint8array",
      data: (_s, chunk) => reader.push(chunk, (f) => frames.push(f)),
      close: () => {
        closed = true;
        onClosed();
      },
      error: () => {
        closed = true;
        onClosed();
      },
    },
  });
  if (opts.read === false) socket.pause();
  return {
    send: (bytes) => socket.write(bytes),
    frames,
    closed: closedP,
    isClosed: () => closed,
    end: () => socket.end(),
    shutdown: () => socket.shutdown(),
  };
}

/** A well-formed EVENTS frame of `count` pattern records starting at `firstSeq`. */
export function eventsFrame(
  recordBytes: number,
  firstSeq: number,
  count: number,
  lane = (seq: number) => seq % 3,
): Uint8Array {
  const buf = new Uint8Array(EVENTS_HEADER_BYTES + count * recordBytes);
  const dv = new DataView(buf.buffer);
  writeEventsHeader(dv, 0, recordBytes, count);
  const words = new RecordWords(buf.buffer);
  for (let i = 0; i < count; i++) {
    const seq = firstSeq + i;
    writePatternRecord(
      words,
      EVENTS_HEADER_BYTES + i * recordBytes,
      recordBytes,
      0,
      seq,
      0,
      lane(seq),
    );
  }
  return buf;
}

/** Resolves when `cond` holds, or rejects after `timeoutMs` with `what`. */
export async function until(cond: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!cond()) {
    if (performance.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await Bun.sleep(5);
  }
}
