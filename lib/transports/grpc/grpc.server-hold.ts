import type { NestInternals } from '../../lifecycle/nest.internals.js';

/** The grpc-js server a Nest gRPC transport server runs, as far as shutting it down goes. */
interface GrpcJsServer {
  tryShutdown(callback: (error?: Error) => void): void;
  forceShutdown(): void;
}

/** A Nest gRPC transport server (`ServerGrpc`), as far as its grpc-js server goes. */
interface GrpcTransportServer {
  transportId: unknown;
  createClient(): Promise<GrpcJsServer>;
  close(): Promise<unknown>;
}

function isGrpcServer(value: unknown, grpcTransport: unknown): value is GrpcTransportServer {
  const server = value as Partial<GrpcTransportServer> | null;
  return server?.transportId === grpcTransport && typeof server?.createClient === 'function';
}

/**
 * @internal Runs `before` (which ends the Watch streams) right before each gRPC server of the
 * application shuts down, whoever closes it and when: Nest's `app.close()` of a gRPC-only app
 * closes the transport before any hook, cutting the streams still open, and a graceful close
 * (`gracefulShutdown: true`, grpc-js' `tryShutdown`) would wait for them for ever. Servers come
 * from Nest's registry of transport servers (none before `@nestjs/core` 11.1.6, where the hooks
 * alone end the streams, as start-up says); what is replaced on them is put back when the
 * application closes. `grpcTransport`: `Transport.GRPC` of `@nestjs/microservices`.
 */
export function holdGrpcShutdowns(
  internals: NestInternals,
  grpcTransport: unknown,
  before: () => Promise<void>,
): { unsubscribe(): void } | undefined {
  return internals.servers?.subscribe((server) => {
    if (!isGrpcServer(server, grpcTransport)) return;
    internals.replace(server, 'createClient', (create) => async () => {
      const grpc = await create.call(server);
      hold(internals, grpc, before);
      return grpc;
    });
    // A server already listening when this runs has its grpc-js server unheld: its close is.
    internals.replace(server, 'close', (close) => async () => {
      await before();
      return close.call(server);
    });
  });
}

function hold(internals: NestInternals, grpc: GrpcJsServer, before: () => Promise<void>): void {
  internals.replace(
    grpc,
    'tryShutdown',
    (tryShutdown) => (callback) => void before().then(() => tryShutdown.call(grpc, callback)),
  );
  // Nest does not wait for a forced shutdown: the port is let go once the streams have ended.
  internals.replace(
    grpc,
    'forceShutdown',
    (forceShutdown) => () => void before().then(() => forceShutdown.call(grpc)),
  );
}
