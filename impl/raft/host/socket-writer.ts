/**
 * Unwritten bytes behind one socket that took less than it was given: kept
 * in order and written on drain. Past `maxBytes` the peer is not reading and
 * write() returns false (the owner closes that connection).
 * Owner: one connection on the event loop.
 */

export interface WritableSocket {
  write(bytes: Uint8Array): number;
}

export class SocketWriter {
  private chunks: Uint8Array[] = [];
  private bytes = 0;

  constructor(readonly maxBytes: number) {}

  write(s: WritableSocket, data: Uint8Array): boolean {
    if (this.chunks.length === 0) {
      const n = s.write(data);
      if (n >= data.length) return true;
      data = data.subarray(Math.max(0, n));
    }
    if (this.bytes + data.length > this.maxBytes) return false;
    this.chunks.push(data.slice());
    this.bytes += data.length;
    return true;
  }

  drain(s: WritableSocket): void {
    while (this.chunks.length > 0) {
      const c = this.chunks[0]!;
      const n = s.write(c);
      if (n >= c.length) {
        this.chunks.shift();
        this.bytes -= c.length;
        continue;
      }
      if (n > 0) {
        this.chunks[0] = c.subarray(n);
        this.bytes -= n;
      }
      return;
    }
  }
}
