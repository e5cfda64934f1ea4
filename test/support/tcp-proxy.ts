import { createServer, connect, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

/** What the proxy does with connections. */
export type ProxyMode = 'pass' | 'refuse' | 'blackhole';

/**
 * A TCP proxy the test owns, between a client and a real server, to make a dependency fail
 * without touching the shared server:
 * - `pass`: forwards both ways;
 * - `refuse`: drops every connection and refuses new ones (the upstream is gone);
 * - `blackhole`: accepts, but forwards nothing either way (a hung server or a dead network).
 *
 * A black hole drops the bytes rather than holding them back, as a firewall that lost its state
 * would: a connection that lived through one is out of step for good. Clients must give such a
 * connection up (the indicators do, at their timeout), or a test ends the black hole with
 * `refuse()` before `heal()`.
 */
export class TcpProxy {
  private server?: Server;
  private readonly sockets = new Set<Socket>();
  private mode: ProxyMode = 'pass';
  private boundPort = 0;
  /** Connections accepted so far: a client that pools them opens few. */
  accepted = 0;

  constructor(private readonly target: { host: string; port: number }) {}

  get port(): number {
    return this.boundPort;
  }

  /** Sockets open on either side, the proxy's own included. */
  get openSockets(): number {
    return this.sockets.size;
  }

  async start(): Promise<this> {
    await this.listen();
    return this;
  }

  /** Forwards again; listens again on the same port if it was refusing. */
  async heal(): Promise<void> {
    this.mode = 'pass';
    if (!this.server) await this.listen();
  }

  /** Drops every connection and stops listening: new connections are refused. */
  async refuse(): Promise<void> {
    this.mode = 'refuse';
    this.destroyAll();
    await this.closeServer();
  }

  /** Keeps connections open but forwards nothing; new connections are accepted and ignored. */
  blackhole(): void {
    this.mode = 'blackhole';
  }

  async stop(): Promise<void> {
    this.destroyAll();
    await this.closeServer();
  }

  private listen(): Promise<void> {
    const server = createServer((client) => this.accept(client));
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.boundPort, '127.0.0.1', () => {
        this.boundPort = (server.address() as AddressInfo).port;
        resolve();
      });
    });
  }

  private accept(client: Socket): void {
    this.accepted++;
    this.track(client);
    if (this.mode === 'refuse') {
      client.destroy();
      return;
    }
    const upstream = connect(this.target.port, this.target.host);
    this.track(upstream);
    const forward = (from: Socket, to: Socket) =>
      from.on('data', (chunk) => {
        if (this.mode === 'pass') to.write(chunk);
      });
    forward(client, upstream);
    forward(upstream, client);
    const close = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('close', close).on('error', close);
    upstream.on('close', close).on('error', close);
  }

  private track(socket: Socket): void {
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
  }

  private destroyAll(): void {
    for (const socket of this.sockets) socket.destroy();
  }

  private closeServer(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return Promise.resolve();
    return new Promise((resolve) => server.close(() => resolve()));
  }
}
