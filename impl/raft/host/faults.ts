/**
 * The transport's fault-injecting switch, driven by tests through the
 * member's HTTP port (POST /debug/faults, only with --fault-injection true):
 * it cuts links to chosen peers, in one direction or both, on the real
 * sockets' path (messages are dropped and counted as if the network lost
 * them; the connections stay up, as a partition that drops packets would).
 */

export type FaultDirection = "out" | "in" | "both";

export class FaultSwitch {
  /** Peers whose messages from this member are dropped. */
  private readonly cutOut = new Set<number>();
  /** Peers whose messages to this member are dropped. */
  private readonly cutIn = new Set<number>();

  cut(peers: readonly number[], direction: FaultDirection): void {
    for (const p of peers) {
      if (direction !== "in") this.cutOut.add(p);
      if (direction !== "out") this.cutIn.add(p);
    }
  }

  heal(peers: readonly number[] | "all"): void {
    if (peers === "all") {
      this.cutOut.clear();
      this.cutIn.clear();
      return;
    }
    for (const p of peers) {
      this.cutOut.delete(p);
      this.cutIn.delete(p);
    }
  }

  blocksOut(peer: number): boolean {
    return this.cutOut.has(peer);
  }

  blocksIn(peer: number): boolean {
    return this.cutIn.has(peer);
  }

  describe(): { out: number[]; in: number[] } {
    return { out: [...this.cutOut].sort(), in: [...this.cutIn].sort() };
  }
}
