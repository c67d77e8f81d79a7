/**
 * The client's requests between submission and answer: at most `maxInFlight`
 * admitted (the rest wait FIFO, at most `maxQueued`), kept in admission
 * order, which for appends is seq order (resends must keep it).
 */
import type { AcceptedEntry } from "../host/log-machine.ts";

export interface Outcome {
  index?: number;
  upToIndex?: number;
  entries?: AcceptedEntry[];
  attempts: number;
}

export interface Request {
  kind: "append" | "read";
  seq: number;
  body: (reqId: number) => Uint8Array;
  reqId: number;
  sent: boolean;
  attempts: number;
  attemptStartMs: number;
  deadlineMs: number;
  /** The caller has its answer (or its timeout); an expired append stays to be resent. */
  settled: boolean;
  promise: Promise<Outcome>;
  resolve: (o: Outcome) => void;
  reject: (e: Error) => void;
}

export class Outstanding {
  private readonly byId = new Map<number, Request>();
  private readonly waiting: (() => void)[] = [];

  constructor(
    private readonly maxInFlight: number,
    private readonly maxQueued: number,
  ) {}

  async admit(
    spec: Pick<Request, "kind" | "seq" | "body">,
    reqId: number,
    deadlineMs: number,
  ): Promise<Request> {
    if (this.byId.size >= this.maxInFlight) {
      if (this.waiting.length >= this.maxQueued) {
        throw new Error(`RaftClient: ${this.maxQueued} callers already wait for an in-flight slot`);
      }
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    }
    let resolve!: (o: Outcome) => void;
    let reject!: (e: Error) => void;
    const promise = new Promise<Outcome>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    const req: Request = {
      ...spec,
      reqId,
      sent: false,
      attempts: 0,
      attemptStartMs: 0,
      deadlineMs,
      settled: false,
      promise,
      resolve,
      reject,
    };
    this.byId.set(reqId, req);
    return req;
  }

  get(reqId: number): Request | undefined {
    return this.byId.get(reqId);
  }

  inOrder(): Request[] {
    return [...this.byId.values()];
  }

  resolve(req: Request, o: Outcome): void {
    this.remove(req);
    if (!req.settled) req.resolve(o);
    req.settled = true;
  }

  reject(req: Request, e: Error): void {
    this.remove(req);
    if (!req.settled) req.reject(e);
    req.settled = true;
  }

  /** Deadline passed: the caller is told; an append keeps being resent (its outcome is unknown). */
  expire(req: Request, e: Error): void {
    if (req.kind !== "append") {
      this.reject(req, e);
      return;
    }
    req.settled = true;
    req.reject(e);
  }

  failAll(e: Error): void {
    for (const r of this.inOrder()) this.reject(r, e);
  }

  private remove(req: Request): void {
    if (!this.byId.delete(req.reqId)) return;
    this.waiting.shift()?.();
  }
}
