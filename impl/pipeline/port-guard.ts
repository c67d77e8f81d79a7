/**
 * Refusing a port that is already in use. The ingest Workers bind one port
 * together with SO_REUSEPORT, and Linux lets any other socket with that option
 * (a second `bun run pipeline`) bind it too, silently splitting the
 * connections between two servers. So before the Workers bind, the port is
 * bound once without SO_REUSEPORT, which fails while anyone listens there,
 * and released at once. A server started in the few milliseconds between this
 * check and the first Worker's bind is not caught.
 */

/** A server was asked to listen on a port someone else already listens on. */
export class PortInUseError extends Error {
  override name = "PortInUseError";
  constructor(
    readonly host: string,
    readonly port: number,
  ) {
    super(
      `port ${port} on ${host} is already in use (another pipeline or server listens there): stop it or choose another --port`,
    );
  }
}

/** Throws PortInUseError when something listens on host:port; port 0 (any free port) always passes. */
export function refuseIfPortInUse(host: string, port: number): void {
  if (port === 0) return;
  let probe: { stop(closeActiveConnections?: boolean): void };
  try {
    probe = Bun.listen({ hostname: host, port, socket: { data() {} } });
  } catch (err) {
    if ((err as { code?: string }).code === "EADDRINUSE") throw new PortInUseError(host, port);
    throw err;
  }
  probe.stop(true);
}
