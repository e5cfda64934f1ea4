import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';

/**
 * What a `FakePostgres` does with a new connection: `fatal`, a session opened and killed in one
 * write; `reset`, a session opened, then reset as the first query arrives; `pass`, forwarded to
 * the real server.
 */
export type FakePostgresMode = 'fatal' | 'reset' | 'pass';

/** The message of the FATAL error the fake sends, as PostgreSQL does on `pg_terminate_backend()`. */
export const FATAL_MESSAGE = 'terminating connection due to administrator command';

/** One backend message: its type, its length (itself included), its body. */
function message(type: string, body: Buffer): Buffer {
  const head = Buffer.alloc(5);
  head.write(type, 0, 'latin1');
  head.writeInt32BE(4 + body.length, 1);
  return Buffer.concat([head, body]);
}

const int32s = (...values: number[]) => {
  const buffer = Buffer.alloc(4 * values.length);
  values.forEach((value, i) => buffer.writeInt32BE(value, 4 * i));
  return buffer;
};
const cstrings = (...values: string[]) => Buffer.from(values.map((v) => `${v}\0`).join(''));

/** A session that opens: trust authentication, a few parameters, ready for a query. */
const OPENED = Buffer.concat([
  message('R', int32s(0)), // AuthenticationOk
  message('S', cstrings('server_version', '16.0')),
  message('S', cstrings('standard_conforming_strings', 'on')),
  message('S', cstrings('client_encoding', 'UTF8')),
  message('K', int32s(4242, 1234)), // BackendKeyData
  message('Z', Buffer.from('I')), // ReadyForQuery, idle
]);

/**
 * A session that opens and, in the same write, is killed: a client reads it all at once, so it
 * learns of the FATAL error in the same tick it is told the connection is ready.
 */
const OPENED_THEN_KILLED = Buffer.concat([
  OPENED,
  message(
    'E',
    Buffer.concat([cstrings('SFATAL', 'VFATAL', 'C57P01', `M${FATAL_MESSAGE}`), Buffer.from([0])]),
  ),
]);

/** The SSLRequest code: the client asks for TLS before its startup message. */
const SSL_REQUEST = 80877103;

/**
 * A PostgreSQL server that misbehaves as one shutting down does: it accepts a session, says it is
 * ready and, in the same write, sends a FATAL ErrorResponse and closes (or, in `reset` mode,
 * resets the connection when the first query comes). With an `upstream`, its `pass` mode
 * forwards connections to a real server, so that an ORM can start through it.
 */
export class FakePostgres {
  private server?: Server;
  private readonly sockets = new Set<Socket>();
  /** Sessions opened so far (and killed, or reset). */
  sessions = 0;

  constructor(
    private mode: FakePostgresMode = 'fatal',
    private readonly upstream?: { host: string; port: number },
  ) {}

  get port(): number {
    return (this.server!.address() as AddressInfo).port;
  }

  async start(): Promise<this> {
    const server = createServer((socket) => this.accept(socket));
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', resolve);
    });
    return this;
  }

  /** Changes what new connections get; the connections open so far are closed. */
  set(mode: FakePostgresMode): void {
    if (mode === 'pass' && !this.upstream) throw new Error('pass mode needs an upstream');
    this.mode = mode;
    for (const socket of this.sockets) socket.destroy();
  }

  get openSockets(): number {
    return this.sockets.size;
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    const server = this.server;
    this.server = undefined;
    if (server) await new Promise((resolve) => server.close(resolve));
  }

  private accept(socket: Socket): void {
    this.track(socket);
    socket.on('error', () => socket.destroy());
    if (this.mode === 'pass') this.forward(socket);
    else this.misbehave(socket, this.mode);
  }

  private forward(client: Socket): void {
    const upstream = connect(this.upstream!.port, this.upstream!.host);
    this.track(upstream);
    client.pipe(upstream).pipe(client);
    const close = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('close', close);
    upstream.on('close', close).on('error', close);
  }

  private misbehave(socket: Socket, mode: 'fatal' | 'reset'): void {
    let received = Buffer.alloc(0);
    let opened = false;
    socket.on('data', (chunk) => {
      if (opened) {
        socket.resetAndDestroy(); // The query: a connection reset, mid-query.
        return;
      }
      received = Buffer.concat([received, chunk]);
      // Untyped messages: a length, then a code (the protocol version, or a request).
      while (received.length >= 8 && received.length >= received.readInt32BE(0)) {
        const length = received.readInt32BE(0);
        const code = received.readInt32BE(4);
        received = received.subarray(length);
        if (code === SSL_REQUEST) {
          socket.write('N'); // No TLS: the client goes on in clear.
          continue;
        }
        this.sessions++;
        opened = true;
        if (mode === 'fatal') socket.end(OPENED_THEN_KILLED);
        else socket.write(OPENED);
        return;
      }
    });
  }

  private track(socket: Socket): void {
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
  }
}
