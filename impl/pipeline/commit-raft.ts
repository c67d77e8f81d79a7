/**
 * The `raft` commit backend: one RaftClient (impl/raft/client) per process
 * manager, each its own client session, so the cluster commits each batch
 * once (resends carry the same session seq) and in the order it was sent.
 * A batch is one APPEND whose records are the batch's whole event records.
 *
 * Session ids are drawn at random per pipeline start: a restarted pipeline
 * must not reuse a session whose seqs the cluster already holds (it would
 * take the new batches for duplicates of the old ones and never apply them).
 * Owner: the pipeline's main thread.
 */
import { RaftClient, RaftClientError } from "../raft/client/client.ts";
import { type CommitBackend, CommitFailedError, type CommitLink } from "./commit-host.ts";

/**
 * The client's own deadline is set past any commit deadline: the CommitHost
 * rejects late batches itself, while the client keeps resending them (holding
 * their slot) so later batches of the session cannot overtake them.
 */
const CLIENT_DEADLINE_MS = 24 * 3600 * 1000;
/** Session ids: random below 2^40, times 64, plus the consumer index + 1 (JS-safe, >= 1). */
const SESSION_RANDOM_BITS = 40;

export class RaftCommitBackend implements CommitBackend {
  readonly name = "raft";
  private readonly clients: RaftClient[] = [];
  private readonly sessionBase: number;

  constructor(
    private readonly members: string[],
    private readonly maxInFlight: number,
  ) {
    const r = new Uint32Array(2);
    crypto.getRandomValues(r);
    this.sessionBase = ((r[0]! & 0xff) * 2 ** 32 + r[1]!) % 2 ** SESSION_RANDOM_BITS;
  }

  get where(): string {
    return `raft members ${this.members.join(",")}`;
  }

  open(consumer: number): CommitLink {
    const client = new RaftClient({
      members: this.members,
      clientId: this.sessionBase * 64 + consumer + 1,
      maxInFlight: this.maxInFlight,
      deadlineMs: CLIENT_DEADLINE_MS,
    });
    this.clients.push(client);
    return {
      commit: async (_seq, records) => {
        try {
          await client.append(records);
        } catch (err) {
          if (err instanceof RaftClientError && err.kind === "limit")
            throw new CommitFailedError(err.message);
          throw err;
        }
      },
      close: () => client.close(),
    };
  }

  async close(): Promise<void> {
    for (const c of this.clients) c.close();
  }
}

/** "1=HOST:PORT,2=..." -> the addresses, in member id order. */
export function parseRaftPeers(flag: string): string[] {
  return flag
    .split(",")
    .map((p) => p.split("="))
    .sort((a, b) => Number(a[0]) - Number(b[0]))
    .map((p) => p[1]!);
}
