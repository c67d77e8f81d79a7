/**
 * The ingest Worker: listens (SO_REUSEPORT, so the kernel spreads connections
 * over the ingest Workers), validates frames, stamps each record with the
 * connection's producer id and the CLOCK_MONOTONIC ingest time, pushes records
 * into its own producer end of the dispatcher queue, and turns the process
 * managers' outcomes into cumulative ACK frames.
 *
 * Backpressure, not loss: when the queue is full or a connection has
 * maxUnacked events unresolved, that socket is paused and retried; nothing is
 * dropped. Event-driven: this Worker never blocks.
 */
import type { Socket, TCPSocketListener } from "bun";
import { monoNowNs } from "../core/clock.ts";
import { openProducer } from "../core/registry.ts";
import { statsFromNs, WORD_OPEN_CONNECTIONS } from "./control-layout.ts";
import { IngestConnection } from "./ingest-connection.ts";
import { type AdmitTarget, InlineTarget, QueueTarget } from "./ingest-target.ts";
import { LaneTally } from "./lane-counters.ts";
import {
  type AckBatch,
  INGEST_ID_BITS,
  type IngestInit,
  ingestOfProducer,
  MAX_CONNECTION_SERIAL,
  producerIdOf,
  type WorkerReport,
} from "./messages.ts";
import { recordNs, StageProfiler } from "./profiler.ts";
import { ERROR_NAMES, ErrorCode } from "./protocol.ts";
import { LOOP_LAG_PROBE_MS, StallKind, StallLog, startLoopLagProbe } from "./stall-log.ts";

/** Named maximum: records pushed per tryPushBatch call. */
const MAX_PUSH_RECORDS = 4096;
/** How often blocked connections retry their push, ms. */
const RETRY_INTERVAL_MS = 1;
/** Stop: how long to wait for slow readers to take their FINAL ack, ms. */
export const STOP_GRACE_MS = 3000;
/** StallKind.SOCKET_PAUSED detail: why the socket was paused. */
const PAUSED_FOR_QUEUE = 0;
const PAUSED_FOR_WINDOW = 1;

type Data = { conn: IngestConnection | null };

export class IngestWorker {
  private readonly cfg: IngestInit["config"];
  /** Dispatcher queue (staged topology) or processing on this thread (compact). */
  private readonly target: AdmitTarget;
  private readonly inline: InlineTarget | null = null;
  private readonly ctl: Int32Array;
  private readonly conns = new Map<number, IngestConnection>();
  private readonly blocked = new Set<IngestConnection>();
  private readonly profiler = new StageProfiler();
  private readonly stalls = new StallLog();
  private readonly lagProbe: ReturnType<typeof setInterval>;
  private readonly counters: Record<string, number> = {
    connectionsAccepted: 0,
    connectionsRefused: 0,
    eventsIn: 0,
    framesIn: 0,
    acked: 0,
    rejected: 0,
    ackEntries: 0,
    acksForClosedConnections: 0,
    duplicateAcks: 0,
    pauses: 0,
    idleTimeouts: 0,
    badFrames: 0,
  };
  private listener: TCPSocketListener<Data> | null = null;
  private nextSerial = 0;
  private retryTimer: ReturnType<typeof setTimeout> | null = null;
  private idleTimer: ReturnType<typeof setInterval> | null = null;
  private stopping = false;
  private ackGeneration = 0;
  private readonly touched: IngestConnection[] = [];

  constructor(
    private readonly init: IngestInit,
    private readonly post: (r: WorkerReport) => void,
  ) {
    this.cfg = init.config;
    this.ctl = new Int32Array(init.control);
    if (init.producer) this.target = new QueueTarget(openProducer(init.producer));
    else {
      this.inline = new InlineTarget(
        this.cfg,
        MAX_PUSH_RECORDS,
        this.profiler,
        this.ctl,
        (b) => this.applyOutcomes(b),
        (b) => this.onAcks(b),
        new LaneTally(init.laneCounters, this.cfg.consumers + init.index),
      );
      this.target = this.inline;
    }
    for (const port of init.ackPorts) {
      port.onmessage = (e) => this.onAcks(e.data as AckBatch);
    }
    // Started here, not in start(): it must run from the first event on.
    this.lagProbe = startLoopLagProbe(this.stalls, monoNowNs, LOOP_LAG_PROBE_MS);
  }

  start(): void {
    const options = {
      hostname: this.cfg.host,
      port: this.init.bindPort,
      reusePort: true,
      exclusive: false,
      // A client may half-close after its last frame and still read its acks.
      allowHalfOpen: true,
      socket: {
        binaryType: "uint8array",
        open: (s: Socket<Data>) => this.onOpen(s),
        data: (s: Socket<Data>, chunk: Uint8Array) => this.onData(s, chunk),
        drain: (s: Socket<Data>) => s.data.conn?.onDrain(),
        end: (s: Socket<Data>) => this.onPeerEnd(s),
        close: (s: Socket<Data>) => this.onClose(s),
        error: (s: Socket<Data>) => this.onClose(s),
      },
      data: { conn: null },
    };
    // reusePort (SO_REUSEPORT) is honoured by Bun.listen on Linux though its type lists it for connect only.
    this.listener = Bun.listen<Data>(options as Bun.TCPSocketListenOptions<Data>);
    const every = Math.max(5, Math.floor(this.cfg.idleTimeoutMs / 4));
    this.idleTimer = setInterval(() => this.checkIdle(), every);
    this.post({ type: "listening", index: this.init.index, port: this.listener.port });
  }

  private onOpen(s: Socket<Data>): void {
    const open = Atomics.add(this.ctl, WORD_OPEN_CONNECTIONS, 1) + 1;
    const serial = this.nextSerial;
    this.nextSerial = (this.nextSerial + 1) % MAX_CONNECTION_SERIAL;
    const conn = new IngestConnection(
      s,
      serial,
      producerIdOf(this.init.index, serial),
      this.cfg.recordBytes,
      this.cfg.maxFrameBytes,
      this.cfg.maxUnacked,
      performance.now(),
    );
    conn.stalls = this.stalls;
    s.data = { conn };
    this.conns.set(serial, conn);
    if (open > this.cfg.maxConnections || this.stopping) {
      conn.refused = true;
      this.counters.connectionsRefused!++;
      conn.fail(
        this.stopping ? ErrorCode.SHUTTING_DOWN : ErrorCode.TOO_MANY_CONNECTIONS,
        this.stopping
          ? "server is stopping"
          : `${open} connections exceed max connections ${this.cfg.maxConnections}`,
      );
      return;
    }
    this.counters.connectionsAccepted!++;
  }

  private onClose(s: Socket<Data>): void {
    const conn = s.data.conn;
    if (!conn) return;
    s.data.conn = null;
    conn.closed = true;
    this.conns.delete(conn.serial);
    this.blocked.delete(conn);
    Atomics.sub(this.ctl, WORD_OPEN_CONNECTIONS, 1);
  }

  /** The client sent FIN: admit what it sent, then close once every admitted event is acked. */
  private onPeerEnd(s: Socket<Data>): void {
    const conn = s.data.conn;
    if (!conn || conn.closed) return;
    conn.peerEnded = true;
    if (!conn.blocked && !this.stopping) {
      this.pump(conn);
      this.target.flush();
    }
    conn.endIfDone();
  }

  private onData(s: Socket<Data>, chunk: Uint8Array): void {
    const conn = s.data.conn;
    if (!conn || conn.closed) return;
    conn.lastActivityMs = performance.now();
    const err = conn.reader.append(chunk);
    if (err) {
      this.failConn(conn, err.code, err.message);
      return;
    }
    if (conn.blocked || this.stopping) return;
    this.pump(conn);
    this.target.flush();
  }

  private failConn(conn: IngestConnection, code: ErrorCode, message: string): void {
    this.counters.badFrames!++;
    const name = `error.${ERROR_NAMES[code]}`;
    this.counters[name] = (this.counters[name] ?? 0) + 1;
    this.blocked.delete(conn);
    conn.fail(code, message);
  }

  /** Admits as many whole frames as queue and window room allow; blocks the connection otherwise. */
  private pump(conn: IngestConnection): void {
    const r = conn.reader;
    // Bounded: every round admits records or consumes a frame, or returns.
    for (;;) {
      if (conn.closed || this.stopping) return;
      if (r.recordsLeft === 0) {
        const next = r.nextFrame(conn.window.admittedThrough);
        if (next === false) {
          if (conn.peerEnded && r.pendingBytes() > 0) {
            this.failConn(
              conn,
              ErrorCode.TRUNCATED,
              `peer closed with ${r.pendingBytes()} bytes of an unfinished frame`,
            );
            return;
          }
          this.unblock(conn);
          return;
        }
        if (next !== true) {
          this.failConn(conn, next.code, next.message);
          return;
        }
        this.counters.framesIn!++;
        if (r.recordsLeft > 0) {
          conn.frameIngestNs = monoNowNs();
          r.stampFrame(conn.producerId, conn.frameIngestNs);
        }
        continue;
      }
      const want = Math.min(r.recordsLeft, conn.window.room(), MAX_PUSH_RECORDS);
      const pushed = want > 0 ? this.target.take(r.buf, r.recordOff, want) : 0;
      if (pushed > 0) {
        conn.window.admit(pushed);
        r.consume(pushed);
        this.counters.eventsIn! += pushed;
        if (conn.frameIngestNs >= statsFromNs(this.ctl))
          recordNs(
            this.profiler.get("ingest.parse_to_queued"),
            monoNowNs() - conn.frameIngestNs,
            pushed,
          );
        this.target.afterAdmit();
      }
      if (pushed < want || want === 0) {
        this.block(conn, want === 0 ? PAUSED_FOR_WINDOW : PAUSED_FOR_QUEUE);
        return;
      }
    }
  }

  private block(conn: IngestConnection, reason: number): void {
    if (!conn.blocked) {
      conn.blocked = true;
      // Counts pauses, not the 1 ms retries of a connection that stays paused.
      if (!conn.paused) {
        this.counters.pauses!++;
        conn.pausedAtNs = monoNowNs();
        conn.pauseReason = reason;
      }
      conn.pause();
      this.blocked.add(conn);
    }
    if (!this.retryTimer) {
      this.retryTimer = setTimeout(() => this.retryBlocked(), RETRY_INTERVAL_MS);
    }
  }

  private unblock(conn: IngestConnection): void {
    if (conn.blocked) {
      conn.blocked = false;
      this.blocked.delete(conn);
    }
    if (conn.paused) {
      const now = monoNowNs();
      this.stalls.note(
        StallKind.SOCKET_PAUSED,
        conn.pausedAtNs,
        now - conn.pausedAtNs,
        conn.pauseReason,
      );
    }
    conn.resume();
  }

  private retryBlocked(): void {
    this.retryTimer = null;
    if (this.stopping) return;
    for (const conn of [...this.blocked]) {
      this.blocked.delete(conn);
      conn.blocked = false;
      this.pump(conn);
      conn.endIfDone();
    }
    this.target.flush();
  }

  /** One processed batch from a process manager (or a commit-stage poll): resolve, ack, then retry or finish a stop. */
  private onAcks(batch: AckBatch): void {
    this.applyOutcomes(batch);
    if (this.stopping) this.checkDrained();
    else if (this.blocked.size > 0) this.retryBlocked();
  }

  /** Resolves a batch of outcomes, then acks each touched connection once. */
  private applyOutcomes(batch: AckBatch): void {
    const t = batch.triples;
    const gen = ++this.ackGeneration;
    this.touched.length = 0;
    for (let i = 0; i < batch.count; i++) {
      const producerId = t[3 * i]!;
      const outcome = t[3 * i + 2]!;
      if (ingestOfProducer(producerId) !== this.init.index) {
        // Only a corrupted record (an --unsafe queue) gets here: counted, never silent.
        this.counters.acksForForeignProducers = (this.counters.acksForForeignProducers ?? 0) + 1;
        continue;
      }
      const conn = this.conns.get(producerId >>> INGEST_ID_BITS);
      if (outcome === 1) this.counters.acked!++;
      else this.counters.rejected!++;
      if (!conn || conn.refused || conn.producerId !== producerId) {
        this.counters.acksForClosedConnections!++;
        continue;
      }
      if (!conn.window.resolve(t[3 * i + 1]!, outcome)) this.counters.duplicateAcks!++;
      if (conn.touchedGeneration !== gen) {
        conn.touchedGeneration = gen;
        this.touched.push(conn);
      }
    }
    this.counters.ackEntries! += batch.count;
    for (const conn of this.touched) {
      if (conn.closed) continue;
      conn.sendAck();
      conn.endIfDone();
    }
    if (batch.doneNs >= statsFromNs(this.ctl))
      recordNs(this.profiler.get("ack.done_to_written"), monoNowNs() - batch.doneNs, batch.count);
  }

  private checkIdle(): void {
    const now = performance.now();
    for (const conn of this.conns.values()) {
      if (conn.closed || conn.blocked || conn.window.unresolved() > 0) continue;
      if (now - conn.lastActivityMs < this.cfg.idleTimeoutMs) continue;
      // Verdict on a later scan only: bytes already in the kernel (a stalled
      // event loop) get one more I/O poll to arrive before the connection is
      // called idle or its frame truncated.
      if (conn.idleSuspectMs !== conn.lastActivityMs) {
        conn.idleSuspectMs = conn.lastActivityMs;
        continue;
      }
      this.counters.idleTimeouts!++;
      if (conn.reader.pendingBytes() > 0) {
        this.failConn(
          conn,
          ErrorCode.TRUNCATED,
          `${conn.reader.pendingBytes()} bytes of an unfinished frame, then ${this.cfg.idleTimeoutMs} ms of silence`,
        );
      } else {
        conn.fail(ErrorCode.IDLE_TIMEOUT, `idle for ${this.cfg.idleTimeoutMs} ms`);
      }
    }
  }

  /** Stop: accept nothing more, read nothing more, wait for every pushed event's outcome, then FINAL acks. */
  stop(): void {
    if (this.stopping) return;
    this.stopping = true;
    this.listener?.stop(false);
    if (this.retryTimer) clearTimeout(this.retryTimer);
    if (this.idleTimer) clearInterval(this.idleTimer);
    clearInterval(this.lagProbe);
    for (const conn of this.conns.values()) conn.pause();
    this.target.close();
    // Bounded: a pipeline that lost events (an --unsafe queue) would never drain.
    setTimeout(() => this.finishStop(true), this.cfg.stopDrainTimeoutMs);
    this.checkDrained();
  }

  private checkDrained(): void {
    if (this.counters.ackEntries! >= this.counters.eventsIn!) this.finishStop(false);
  }

  private drainedOnce = false;
  /** FINAL acks (or, if the drain timed out, an ERROR naming what is unresolved), close, report. */
  private finishStop(timedOut: boolean): void {
    if (this.drainedOnce) return;
    this.drainedOnce = true;
    this.counters.eventsUnresolvedAtStop = this.counters.eventsIn! - this.counters.ackEntries!;
    for (const conn of this.conns.values()) {
      if (!timedOut) conn.sendFinal();
      else {
        conn.sendAck();
        conn.fail(
          ErrorCode.SHUTTING_DOWN,
          `stopped after ${this.cfg.stopDrainTimeoutMs} ms with ${conn.window.unresolved()} admitted events of this connection unresolved`,
        );
      }
    }
    const deadline = performance.now() + STOP_GRACE_MS;
    const waitClosed = setInterval(() => {
      const late = performance.now() > deadline;
      if (this.conns.size > 0 && !late) return;
      clearInterval(waitClosed);
      for (const conn of this.conns.values()) conn.socket.terminate();
      this.counters.connectionsTerminatedAtStop = late ? this.conns.size : 0;
      this.listener?.stop(true);
      this.post({
        type: "stopped",
        stats: {
          role: "ingest",
          index: this.init.index,
          counters: this.inline
            ? { ...this.counters, "inline.events": this.inline.events }
            : this.counters,
          histograms: this.profiler.encode(),
          stalls: this.stalls.encode(),
        },
      });
    }, 5);
  }
}
