/**
 * A TCP proxy in front of a broker, so a test can cut a client's connections as a network failure
 * would, without touching the broker other tests share.
 */
import { createConnection, createServer, type Server, type Socket } from 'node:net';

export class TcpProxy {
  private constructor(
    readonly server: Server,
    private readonly sockets: Set<Socket>,
  ) {}

  /** A proxy on a free port of 127.0.0.1 forwarding to `targetPort`. */
  static async start(targetPort: number): Promise<TcpProxy> {
    const sockets = new Set<Socket>();
    const server = createServer((client) => {
      const upstream = createConnection({ port: targetPort, host: '127.0.0.1' });
      for (const s of [client, upstream]) {
        sockets.add(s);
        s.on('close', () => sockets.delete(s));
        s.on('error', () => {});
      }
      client.pipe(upstream);
      upstream.pipe(client);
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return new TcpProxy(server, sockets);
  }

  get port(): number {
    return (this.server.address() as { port: number }).port;
  }

  /** Destroys every connection through the proxy (both sides); returns how many client connections. New ones are accepted. */
  cut(): number {
    const n = this.sockets.size / 2;
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
    return n;
  }

  async close(): Promise<void> {
    this.cut();
    await new Promise((resolve) => this.server.close(resolve));
  }
}
