/**
 * One outbound connection to one peer on one lane: a byte-bounded queue of
 * frames, written as the socket drains. When the queue is over its bound, or
 * the peer is unreachable (waiting out a backoff), a new frame is dropped and
 * the caller is told (Raft tolerates loss; etcd drops the same way). The
 * connection is redialled with a capped exponential backoff.
 * Owner: the member's event loop.
 */
import type { Socket } from "bun";
import { frame } from "./frame.ts";
import { RECONNECT_BACKOFF_MAX_MS, RECONNECT_BACKOFF_MIN_MS } from "./limits.ts";
import type { PeerCounters } from "./metrics.ts";

interface Queued {
  bytes: Uint8Array;
  /** Called once the whole frame went to the socket (true) or was dropped (false). */
  done?: (ok: boolean) => void;
}

export interface LaneTarget {
  host: string;
  port: number;
  /** Sent first on each new connection. */
  hello: Uint8Array;
  maxQueueBytes: number;
  counters: PeerCounters;
  log: (line: string) => void;
  name: string;
}

export class PeerLane {
  private socket: Socket<undefined> | null = null;
  private state: "idle" | "connecting" | "open" | "backoff" | "stopped" = "idle";
  private readonly queue: Queued[] = [];
  private head = 0;
  /** Bytes of queue[head] already written. */
  private headOffset = 0;
  private queuedBytes = 0;
  private backoffMs = RECONNECT_BACKOFF_MIN_MS;
  private timer: ReturnType<typeof setTimeout> | null = null;

  constructor(private readonly t: LaneTarget) {}

  get connected(): boolean {
    return this.state === "open";
  }

  /** The wait before the next redial after a failure (doubles per failure, capped; tests read it). */
  get nextBackoffMs(): number {
    return this.backoffMs;
  }

  /** Bytes queued and not yet written to the socket (never above maxQueueBytes plus one hello). */
  get queuedByteCount(): number {
    return this.queuedBytes;
  }

  /** Queues a frame body; returns false (dropped) when over the bound or the peer is unreachable. */
  send(body: Uint8Array, done?: (ok: boolean) => void): boolean {
    if (this.state === "idle") this.connect();
    const bytes = frame(body);
    if (
      this.state === "backoff" ||
      this.state === "stopped" ||
      this.queuedBytes + bytes.length > this.t.maxQueueBytes
    ) {
      this.t.counters.droppedOut++;
      done?.(false);
      return false;
    }
    this.queue.push({ bytes, done });
    this.queuedBytes += bytes.length;
    if (this.state === "open") this.flush();
    return true;
  }

  connect(): void {
    if (this.state !== "idle") return;
    this.state = "connecting";
    Bun.connect({
      hostname: this.t.host,
      port: this.t.port,
      socket: {
        open: (s) => this.onOpen(s),
        data: () => {}, // peers never answer on a dialled connection; replies come on theirs
        drain: () => this.flush(),
        close: () => this.onDown("closed"),
        error: (_s, err) => this.onDown(err.message),
        connectError: (_s, err) => this.onDown(err.message),
      },
    }).catch((err: Error) => this.onDown(err.message));
  }

  private onOpen(s: Socket<undefined>): void {
    if (this.state === "stopped") {
      s.end();
      return;
    }
    this.socket = s;
    this.state = "open";
    this.backoffMs = RECONNECT_BACKOFF_MIN_MS;
    this.t.counters.connects++;
    // The hello goes ahead of anything queued while connecting.
    this.queue.splice(this.head, 0, { bytes: frame(this.t.hello) });
    this.queuedBytes += this.queue[this.head]!.bytes.length;
    this.flush();
  }

  private flush(): void {
    const s = this.socket;
    if (!s || this.state !== "open") return;
    while (this.head < this.queue.length) {
      const q = this.queue[this.head]!;
      const rest = q.bytes.subarray(this.headOffset);
      const n = s.write(rest);
      if (n > 0) this.t.counters.bytesOut += n;
      if (n < rest.length) {
        this.headOffset += Math.max(0, n);
        return; // wait for drain
      }
      this.queuedBytes -= q.bytes.length;
      this.headOffset = 0;
      this.queue[this.head++] = undefined as unknown as Queued;
      this.t.counters.messagesOut++;
      q.done?.(true);
    }
    this.queue.length = 0;
    this.head = 0;
  }

  private onDown(reason: string): void {
    if (this.state === "stopped" || this.state === "backoff") return;
    if (this.state === "open") this.t.log(`${this.t.name}: connection lost (${reason})`);
    this.socket = null;
    this.dropQueue();
    this.state = "backoff";
    this.timer = setTimeout(() => {
      this.timer = null;
      if (this.state !== "backoff") return;
      this.state = "idle";
      this.connect();
    }, this.backoffMs);
    this.backoffMs = Math.min(RECONNECT_BACKOFF_MAX_MS, this.backoffMs * 2);
  }

  private dropQueue(): void {
    for (let i = this.head; i < this.queue.length; i++) {
      this.t.counters.droppedOut++;
      this.queue[i]!.done?.(false);
    }
    this.queue.length = 0;
    this.head = 0;
    this.headOffset = 0;
    this.queuedBytes = 0;
  }

  stop(): void {
    this.state = "stopped";
    if (this.timer) clearTimeout(this.timer);
    this.socket?.end();
    this.socket = null;
    this.dropQueue();
  }
}
