/**
 * The applied state of a simulated node. Every node keeps a CommandLog (the
 * Normal entries it applied, in index order: what SimCluster.applied returns)
 * and optionally a user state machine (e.g. the key-value store of kv.ts).
 * A snapshot holds both, so a node restored from a snapshot (restart, or
 * InstallSnapshot from the leader) has the same applied history as one that
 * applied every entry.
 */
import { assert } from "../../core/assert.ts";
import { type Entry, EntryType } from "../types.ts";

/** A deterministic state machine fed committed entries in index order. */
export interface StateMachine {
  /** Applies one committed Normal entry. */
  apply(e: Entry): void;
  /** Serialises the whole state (taken right after applying some index). */
  snapshot(): Uint8Array;
  /** Replaces the whole state with a snapshot's. */
  restore(data: Uint8Array): void;
}

export interface AppliedCommand {
  index: number;
  term: number;
  data: Uint8Array;
}

/** Named start size of the encoded command log; it doubles as it fills. */
const INITIAL_ENCODED_BYTES = 4096;

/**
 * The applied commands of one node, plus its optional user machine. Each
 * command is encoded once, at the first snapshot after it was applied, onto a
 * growing byte log, so a snapshot is one copy of that log instead of re-encoding the whole history
 * command by command (which made snapshots the simulator's hot spot).
 */
export class AppliedState {
  commands: AppliedCommand[] = [];
  /** Highest index applied (including no-ops), or the snapshot's index after a restore. */
  appliedIndex = 0;
  /** The snapshot's command section, (u32 index, u32 term, u32 len, bytes) per command. */
  private encoded = new Uint8Array(INITIAL_ENCODED_BYTES);
  private encodedBytes = 0;
  /**
   * Commands [0, encodedCount) are on the byte log. The rest are encoded at
   * the next snapshot, not at apply: a run without snapshots never pays for it.
   */
  private encodedCount = 0;

  constructor(readonly user: StateMachine | null) {}

  apply(e: Entry): void {
    // Checked inline: assert's message closure would be allocated on every apply (on every node).
    if (e.index !== this.appliedIndex + 1)
      assert(false, `apply index ${e.index} after ${this.appliedIndex}`);
    this.appliedIndex = e.index;
    if (e.type !== EntryType.Normal) return;
    this.commands.push(e); // the entry itself (never written after it is appended): no copy per node
    this.user?.apply(e);
  }

  /** Appends the commands applied since the last snapshot to the byte log. */
  private encodePending(): void {
    const cs = this.commands;
    for (let i = this.encodedCount; i < cs.length; i++) {
      const c = cs[i]!;
      this.encodeCommand(c.index, c.term, c.data);
    }
    this.encodedCount = cs.length;
  }

  private encodeCommand(index: number, term: number, data: Uint8Array): void {
    const need = this.encodedBytes + 12 + data.length;
    if (need > this.encoded.length) {
      const grown = new Uint8Array(Math.max(need, this.encoded.length * 2));
      grown.set(this.encoded.subarray(0, this.encodedBytes));
      this.encoded = grown;
    }
    const dv = new DataView(this.encoded.buffer, this.encodedBytes, 12);
    dv.setUint32(0, index, true);
    dv.setUint32(4, term, true);
    dv.setUint32(8, data.length, true);
    this.encoded.set(data, this.encodedBytes + 12);
    this.encodedBytes = need;
  }

  /** Layout: u32 appliedIndex, u32 count, count x (u32 index, u32 term, u32 len, bytes), then the user machine's bytes. */
  snapshot(): Uint8Array {
    this.encodePending();
    const user = this.user?.snapshot() ?? new Uint8Array(0);
    const out = new Uint8Array(8 + this.encodedBytes + user.length);
    const dv = new DataView(out.buffer);
    dv.setUint32(0, this.appliedIndex, true);
    dv.setUint32(4, this.commands.length, true);
    out.set(this.encoded.subarray(0, this.encodedBytes), 8);
    out.set(user, 8 + this.encodedBytes);
    return out;
  }

  restore(data: Uint8Array): void {
    const dv = new DataView(data.buffer, data.byteOffset, data.byteLength);
    assert(data.length >= 8, "snapshot shorter than its header");
    this.appliedIndex = dv.getUint32(0, true);
    const count = dv.getUint32(4, true);
    const commands: AppliedCommand[] = [];
    let at = 8;
    for (let i = 0; i < count; i++) {
      assert(at + 12 <= data.length, "snapshot truncated in its command list");
      const len = dv.getUint32(at + 8, true);
      assert(at + 12 + len <= data.length, "snapshot truncated in a command");
      commands.push({
        index: dv.getUint32(at, true),
        term: dv.getUint32(at + 4, true),
        data: data.slice(at + 12, at + 12 + len),
      });
      at += 12 + len;
    }
    this.commands = commands;
    this.encoded = data.slice(8, at);
    this.encodedBytes = at - 8;
    this.encodedCount = commands.length;
    this.user?.restore(data.slice(at));
  }
}
