/**
 * The TCP transport between members: each member listens on its peer port
 * and dials every other member on two lanes (messages; snapshots, so a big
 * snapshot never delays a heartbeat). Frames are length-prefixed codec
 * messages (impl/raft/codec.ts) after a hello frame (peer-hello.ts). A bad
 * frame closes that one connection with a logged reason; the member goes on.
 * Owner: the member's event loop.
 */
import type { Socket, TCPSocketListener } from "bun";
import { decodeMessage, encodeMessage } from "../codec.ts";
import { type Message, MessageType } from "../types.ts";
import { FaultSwitch } from "./faults.ts";
import { FrameError, FrameSplitter } from "./frame.ts";
import {
  MAX_PEER_FRAME_BYTES,
  MAX_PEER_SNAPSHOT_FRAME_BYTES,
  PEER_QUEUE_BYTES,
  PEER_SNAPSHOT_QUEUE_BYTES,
} from "./limits.ts";
import type { MemberMetrics } from "./metrics.ts";
import { decodeHello, encodeHello, type Hello, Lane, MAX_HELLO_BYTES } from "./peer-hello.ts";
import { PeerLane } from "./peer-lane.ts";

export interface PeerAddress {
  host: string;
  port: number;
}

export interface TransportOptions {
  selfId: number;
  /** Every member, this one included. */
  peers: Map<number, PeerAddress>;
  /** This member's client address, announced to peers. */
  clientAddress: string;
  /** Listen address for the peer port (default: this member's entry in peers). */
  listenHost: string;
  metrics: MemberMetrics;
  onMessage: (m: Message) => void;
  onPeerClientAddress: (id: number, address: string) => void;
  onUnreachable: (id: number) => void;
  onSnapshotStatus: (id: number, ok: boolean) => void;
  log: (line: string) => void;
}

interface Inbound {
  splitter: FrameSplitter;
  hello: Hello | null;
  closed: boolean;
}

export class Transport {
  readonly faults = new FaultSwitch();
  private listener: TCPSocketListener<Inbound> | null = null;
  private readonly lanes = new Map<number, { messages: PeerLane; snapshots: PeerLane }>();

  constructor(private readonly o: TransportOptions) {}

  /** Binds the peer port; throws an Error naming the port when it is taken. */
  start(): void {
    const self = this.o.peers.get(this.o.selfId)!;
    try {
      this.listener = Bun.listen<Inbound>({
        hostname: this.o.listenHost,
        port: self.port,
        socket: {
          open: (s) => {
            s.data = { splitter: new FrameSplitter(MAX_HELLO_BYTES), hello: null, closed: false };
          },
          data: (s, chunk) => this.onData(s, chunk),
          error: (_s, err) => this.o.log(`peer connection error: ${err.message}`),
        },
      });
    } catch (err) {
      throw new Error(
        `peer port ${this.o.listenHost}:${self.port} is not available: ${(err as Error).message}`,
      );
    }
    for (const [id, addr] of this.o.peers) {
      if (id === this.o.selfId) continue;
      const lane = (l: Lane, maxQueueBytes: number, name: string) =>
        new PeerLane({
          host: addr.host,
          port: addr.port,
          hello: encodeHello({
            from: this.o.selfId,
            to: id,
            lane: l,
            clientAddress: this.o.clientAddress,
          }),
          maxQueueBytes,
          counters: this.o.metrics.peer(id),
          log: this.o.log,
          name: `to member ${id} (${name})`,
        });
      const pair = {
        messages: lane(Lane.Messages, PEER_QUEUE_BYTES, "messages"),
        snapshots: lane(Lane.Snapshots, PEER_SNAPSHOT_QUEUE_BYTES, "snapshots"),
      };
      this.lanes.set(id, pair);
      pair.messages.connect();
    }
  }

  /** True while the message lane to `id` is open. */
  connected(id: number): boolean {
    return this.lanes.get(id)?.messages.connected ?? false;
  }

  send(m: Message): void {
    const pair = this.lanes.get(m.to);
    if (!pair) return;
    const counters = this.o.metrics.peer(m.to);
    const isSnap = m.type === MessageType.Snap;
    if (this.faults.blocksOut(m.to)) {
      counters.droppedOut++;
      if (isSnap) this.o.onSnapshotStatus(m.to, false);
      return;
    }
    const body = encodeMessage(m);
    if (isSnap) {
      pair.snapshots.send(body, (ok) => this.o.onSnapshotStatus(m.to, ok));
      return;
    }
    if (!pair.messages.send(body) && m.type === MessageType.App) this.o.onUnreachable(m.to);
  }

  private onData(s: Socket<Inbound>, chunk: Uint8Array): void {
    const st = s.data;
    if (st.closed) return;
    let frames: Uint8Array[];
    try {
      frames = st.splitter.push(chunk);
    } catch (err) {
      this.reject(s, err instanceof FrameError ? err.message : String(err));
      return;
    }
    for (const body of frames) {
      if (!this.onFrame(s, body)) return;
    }
  }

  /** Handles one frame; false when the connection was closed. */
  private onFrame(s: Socket<Inbound>, body: Uint8Array): boolean {
    const st = s.data;
    if (st.hello === null) {
      let h: Hello;
      try {
        h = decodeHello(body);
      } catch (err) {
        return this.reject(s, `bad hello: ${(err as Error).message}`);
      }
      if (h.to !== this.o.selfId || h.from === this.o.selfId || !this.o.peers.has(h.from)) {
        return this.reject(
          s,
          `hello from ${h.from} to ${h.to}: not a peer of member ${this.o.selfId}`,
        );
      }
      st.hello = h;
      const max = h.lane === Lane.Snapshots ? MAX_PEER_SNAPSHOT_FRAME_BYTES : MAX_PEER_FRAME_BYTES;
      const rest = new FrameSplitter(max);
      st.splitter = rest;
      this.o.onPeerClientAddress(h.from, h.clientAddress);
      return true;
    }
    const from = st.hello.from;
    const counters = this.o.metrics.peer(from);
    counters.bytesIn += body.length + 4;
    let m: Message;
    try {
      m = decodeMessage(body);
    } catch (err) {
      counters.badFrames++;
      return this.reject(s, `bad message from member ${from}: ${(err as Error).message}`);
    }
    if (m.from !== from || m.to !== this.o.selfId) {
      counters.badFrames++;
      return this.reject(s, `message from ${m.from} to ${m.to} on member ${from}'s connection`);
    }
    if (m.type === MessageType.Hup || m.type === MessageType.Beat) {
      counters.badFrames++;
      return this.reject(s, `local-only message type ${m.type} from member ${from}`);
    }
    if (this.faults.blocksIn(from)) {
      counters.droppedIn++;
      return true;
    }
    counters.messagesIn++;
    this.o.onMessage(m);
    return true;
  }

  private reject(s: Socket<Inbound>, reason: string): false {
    this.o.log(`peer port: closing a connection: ${reason}`);
    s.data.closed = true;
    s.end();
    return false;
  }

  stop(): void {
    this.listener?.stop(true);
    for (const pair of this.lanes.values()) {
      pair.messages.stop();
      pair.snapshots.stop();
    }
  }
}
