/**
 * The member's HTTP port, etcd's conventions: GET /health (200 when the
 * member knows a leader and has applied everything it knows committed, else
 * 503), GET /status (JSON), GET /metrics (Prometheus text). With
 * --fault-injection: POST /debug/faults {"cut":[ids],"direction":"out"|"in"|"both"}
 * or {"heal":[ids]|"all"} drives the transport's fault switch (tests only).
 */
import type { Server } from "bun";
import type { FaultDirection } from "./faults.ts";
import type { Member } from "./member.ts";

export interface MemberStatus {
  id: number;
  role: string;
  term: number;
  leaderId: number | null;
  commitIndex: number;
  appliedIndex: number;
  lastIndex: number;
  snapshotIndex: number;
  storage: string;
  fsync: boolean;
  peers: { id: number; matchIndex: number | null; connected: boolean }[];
}

export function memberStatus(m: Member): MemberStatus {
  const st = m.node.status();
  return {
    id: m.o.id,
    role: st.role,
    term: st.term,
    leaderId: st.leader,
    commitIndex: st.commit,
    appliedIndex: m.machine.appliedIndex,
    lastIndex: st.lastIndex,
    snapshotIndex: m.storage.snapshot().index,
    storage: m.storage.kind,
    fsync: m.o.fsync,
    peers: [...m.o.peers.keys()]
      .filter((id) => id !== m.o.id)
      .map((id) => ({
        id,
        matchIndex: st.progress[id]?.match ?? null,
        connected: m.transport.connected(id),
      })),
  };
}

export function startHttp(m: Member): Server<undefined> {
  try {
    return Bun.serve({
      hostname: m.o.host,
      port: m.o.httpPort,
      fetch: (req) => route(m, req),
    });
  } catch (err) {
    throw new Error(
      `http port ${m.o.host}:${m.o.httpPort} is not available: ${(err as Error).message}`,
    );
  }
}

async function route(m: Member, req: Request): Promise<Response> {
  const url = new URL(req.url);
  if (req.method === "GET" && url.pathname === "/health") {
    const st = memberStatus(m);
    const healthy = st.leaderId !== null && st.appliedIndex >= st.commitIndex;
    return Response.json(
      { health: healthy, leaderId: st.leaderId },
      { status: healthy ? 200 : 503 },
    );
  }
  if (req.method === "GET" && url.pathname === "/status") return Response.json(memberStatus(m));
  if (req.method === "GET" && url.pathname === "/metrics") {
    return new Response(m.metrics.prometheus(m.o.id, m.storage.walBytesWritten()), {
      headers: { "content-type": "text/plain; version=0.0.4" },
    });
  }
  if (req.method === "POST" && url.pathname === "/debug/faults" && m.o.faultInjection)
    return faults(m, req);
  return new Response(`not found: ${req.method} ${url.pathname}\n`, { status: 404 });
}

async function faults(m: Member, req: Request): Promise<Response> {
  let body: { cut?: unknown; heal?: unknown; direction?: unknown };
  try {
    body = (await req.json()) as typeof body;
  } catch {
    return new Response("body must be JSON\n", { status: 400 });
  }
  const ids = (v: unknown) => Array.isArray(v) && v.every((x) => Number.isInteger(x));
  const sw = m.transport.faults;
  if (body.cut !== undefined) {
    const dir = body.direction ?? "both";
    if (!ids(body.cut) || (dir !== "out" && dir !== "in" && dir !== "both")) {
      return new Response('cut needs [ids] and direction "out", "in" or "both"\n', { status: 400 });
    }
    sw.cut(body.cut as number[], dir as FaultDirection);
  } else if (body.heal === "all" || ids(body.heal)) {
    sw.heal(body.heal as number[] | "all");
  } else
    return new Response('send {"cut":[ids],"direction":...} or {"heal":[ids]|"all"}\n', {
      status: 400,
    });
  return Response.json(sw.describe());
}
