/**
 * Starts and stops member processes on one host: `bun run cluster` and the
 * crash/partition tests use it. Member N keeps its data in DIR/member-N and
 * its stdout/stderr lines go to `onLine`. Ports are given, or found free
 * (bound to port 0 and released just before the members start).
 */

import { join } from "node:path";
import type { Subprocess } from "bun";
import type { MemberStatus } from "./http.ts";

const MEMBER_MAIN = join(import.meta.dir, "member-main.ts");
/** How long a member may take to answer GET /status after spawn. */
export const MEMBER_START_TIMEOUT_MS = 20_000;

export interface MemberPorts {
  peer: number;
  client: number;
  http: number;
}

export interface LaunchOptions {
  members: number;
  dataDir: string;
  host?: string;
  /** Per member (index 0 = member 1); omitted: free ports. */
  ports?: MemberPorts[];
  /** Extra member flags (e.g. --fsync false, --fault-injection true). */
  memberArgs?: string[];
  onLine?: (id: number, line: string) => void;
}

export interface MemberProcess {
  id: number;
  ports: MemberPorts;
  dataDir: string;
  proc: Subprocess<"ignore", "pipe", "pipe"> | null;
}

export async function freePorts(n: number, host = "127.0.0.1"): Promise<number[]> {
  const listeners = Array.from({ length: n }, () =>
    Bun.listen({ hostname: host, port: 0, socket: { data() {} } }),
  );
  const ports = listeners.map((l) => l.port);
  for (const l of listeners) l.stop(true);
  return ports;
}

export class LocalCluster {
  readonly members: MemberProcess[];
  readonly host: string;

  private constructor(
    private readonly o: LaunchOptions,
    ports: MemberPorts[],
  ) {
    this.host = o.host ?? "127.0.0.1";
    this.members = ports.map((p, i) => ({
      id: i + 1,
      ports: p,
      dataDir: join(o.dataDir, `member-${i + 1}`),
      proc: null,
    }));
  }

  static async create(o: LaunchOptions): Promise<LocalCluster> {
    let ports = o.ports;
    if (!ports) {
      const f = await freePorts(3 * o.members, o.host);
      ports = Array.from({ length: o.members }, (_, i) => ({
        peer: f[3 * i]!,
        client: f[3 * i + 1]!,
        http: f[3 * i + 2]!,
      }));
    }
    return new LocalCluster(o, ports);
  }

  get peersFlag(): string {
    return this.members.map((m) => `${m.id}=${this.host}:${m.ports.peer}`).join(",");
  }

  clientAddresses(): string[] {
    return this.members.map((m) => `${this.host}:${m.ports.client}`);
  }

  member(id: number): MemberProcess {
    const m = this.members[id - 1];
    if (!m) throw new RangeError(`no member ${id} (1..${this.members.length})`);
    return m;
  }

  /** Spawns member `id` (again, after a kill: it restarts from its data dir). */
  spawn(id: number): MemberProcess {
    const m = this.member(id);
    if (m.proc && m.proc.exitCode === null && !m.proc.killed)
      throw new Error(`member ${id} is already running`);
    const args = [
      "--id",
      String(id),
      "--peers",
      this.peersFlag,
      "--data-dir",
      m.dataDir,
      "--client-port",
      String(m.ports.client),
      "--http-port",
      String(m.ports.http),
      "--host",
      this.host,
      ...(this.o.memberArgs ?? []),
    ];
    const proc = Bun.spawn([process.execPath, MEMBER_MAIN, ...args], {
      stdin: "ignore",
      stdout: "pipe",
      stderr: "pipe",
    });
    m.proc = proc;
    void pipeLines(proc.stdout, (l) => this.o.onLine?.(id, l));
    void pipeLines(proc.stderr, (l) => this.o.onLine?.(id, l));
    return m;
  }

  async startAll(): Promise<void> {
    for (const m of this.members) this.spawn(m.id);
    await Promise.all(this.members.map((m) => this.waitUp(m.id)));
  }

  /** Waits until member `id` answers GET /status; throws if it exits or takes too long. */
  async waitUp(id: number, timeoutMs = MEMBER_START_TIMEOUT_MS): Promise<MemberStatus> {
    const m = this.member(id);
    const until = performance.now() + timeoutMs;
    while (performance.now() < until) {
      if (m.proc && m.proc.exitCode !== null)
        throw new Error(`member ${id} exited with code ${m.proc.exitCode} while starting`);
      const st = await this.status(id);
      if (st) return st;
      await Bun.sleep(50);
    }
    throw new Error(`member ${id} did not answer /status within ${timeoutMs} ms`);
  }

  /** GET /status of member `id`, or null when it does not answer within 1 s. */
  async status(id: number): Promise<MemberStatus | null> {
    return fetchStatus(`${this.host}:${this.member(id).ports.http}`);
  }

  /** Sends `signal` to member `id` and, for a killing signal, waits for it to exit. */
  async signal(id: number, signal: "SIGKILL" | "SIGTERM" | "SIGSTOP" | "SIGCONT"): Promise<void> {
    const p = this.member(id).proc;
    if (!p || p.exitCode !== null) return;
    p.kill(signal);
    if (signal === "SIGKILL" || signal === "SIGTERM") await p.exited;
  }

  /** Stops every member: SIGCONT (in case one is paused), SIGTERM, then SIGKILL after `graceMs`. */
  async stopAll(graceMs = 5000): Promise<void> {
    await Promise.all(
      this.members.map(async (m) => {
        const p = m.proc;
        if (!p || p.exitCode !== null) return;
        p.kill("SIGCONT");
        p.kill("SIGTERM");
        const t = setTimeout(() => p.kill("SIGKILL"), graceMs);
        await p.exited;
        clearTimeout(t);
      }),
    );
  }
}

export async function fetchStatus(
  httpAddress: string,
  timeoutMs = 1000,
): Promise<MemberStatus | null> {
  try {
    const r = await fetch(`http://${httpAddress}/status`, {
      signal: AbortSignal.timeout(timeoutMs),
    });
    return r.ok ? ((await r.json()) as MemberStatus) : null;
  } catch {
    return null;
  }
}

async function pipeLines(
  stream: ReadableStream<Uint8Array>,
  onLine: (l: string) => void,
): Promise<void> {
  const dec = new TextDecoder();
  let rest = "";
  for await (const chunk of stream) {
    rest += dec.decode(chunk, { stream: true });
    const lines = rest.split("\n");
    rest = lines.pop()!;
    for (const l of lines) onLine(l);
  }
  if (rest) onLine(rest);
}
