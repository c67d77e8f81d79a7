/**
 * The `etcd` commit backend: each batch is one put through etcd's v3 HTTP
 * gateway (POST /v3/kv/put), key `eventlab/<stage id>/<consumer>/<batch seq>`
 * (the stage id drawn per pipeline start, so a restart never overwrites), value
 * the batch's event records. Acked after etcd answers 200 (etcd answers a put
 * once it is committed by its Raft quorum and applied). A failed attempt goes
 * to the next endpoint after a short pause, until the CommitHost's deadline.
 * Owner: the pipeline's main thread.
 */
import { type CommitBackend, CommitFailedError, type CommitLink } from "./commit-host.ts";

/** One attempt's timeout, ms; the deadline of the whole batch is the CommitHost's. */
const ATTEMPT_TIMEOUT_MS = 2000;
/** Pause before the next attempt, ms. */
const RETRY_PAUSE_MS = 50;
/** Named maximum: attempts per batch (at RETRY_PAUSE_MS + a timeout each, past any sane deadline). */
const MAX_ATTEMPTS = 100_000;

function base64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64");
}

export class EtcdCommitBackend implements CommitBackend {
  readonly name = "etcd";
  readonly stageId: string;
  private closed = false;
  private next = 0;

  constructor(private readonly endpoints: string[]) {
    const r = new Uint32Array(2);
    crypto.getRandomValues(r);
    this.stageId = `${r[0]!.toString(16)}${r[1]!.toString(16)}`;
  }

  get where(): string {
    return `etcd ${this.endpoints.join(",")} keys eventlab/${this.stageId}/`;
  }

  open(consumer: number): CommitLink {
    return {
      commit: (seq, records) => this.put(`eventlab/${this.stageId}/${consumer}/${seq}`, records),
      close: () => {},
    };
  }

  private async put(key: string, records: Uint8Array[]): Promise<void> {
    const total = records.reduce((n, r) => n + r.length, 0);
    const value = new Uint8Array(total);
    let off = 0;
    for (const r of records) {
      value.set(r, off);
      off += r.length;
    }
    const body = JSON.stringify({
      key: base64(new TextEncoder().encode(key)),
      value: base64(value),
    });
    for (let attempt = 0; attempt < MAX_ATTEMPTS && !this.closed; attempt++) {
      const url = `${this.endpoints[this.next % this.endpoints.length]}/v3/kv/put`;
      try {
        const r = await fetch(url, {
          method: "POST",
          body,
          headers: { "content-type": "application/json" },
          signal: AbortSignal.timeout(ATTEMPT_TIMEOUT_MS),
        });
        if (r.ok) {
          await r.arrayBuffer();
          return;
        }
        // A 4xx (e.g. request too large) will not change on a retry.
        if (r.status >= 400 && r.status < 500)
          throw new CommitFailedError(`etcd put ${key}: HTTP ${r.status} ${await r.text()}`);
      } catch (err) {
        if (err instanceof CommitFailedError) throw err;
        // unreachable or timed out: try the next endpoint
      }
      this.next++;
      await Bun.sleep(RETRY_PAUSE_MS);
    }
    throw new Error(`etcd put ${key} not done`);
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}
