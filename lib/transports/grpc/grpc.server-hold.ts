import type { ModulesContainer } from '@nestjs/core';

/** `Transport.GRPC` of `@nestjs/microservices`, as its servers' `transportId` says it. */
const GRPC_TRANSPORT = 4;

/** The grpc-js server a Nest gRPC transport server runs, as far as shutting it down goes. */
interface GrpcJsServer {
  tryShutdown(callback: (error?: Error) => void): void;
  forceShutdown(): void;
}

/** A Nest gRPC transport server (`ServerGrpc`), as far as its grpc-js server goes. */
interface GrpcTransportServer {
  transportId: number;
  createClient(): Promise<GrpcJsServer>;
  close(): Promise<unknown>;
}

interface Subscribable {
  subscribe(next: (value: unknown) => void): { unsubscribe(): void };
}

function isGrpcServer(value: unknown): value is GrpcTransportServer {
  const server = value as Partial<GrpcTransportServer> | null;
  return server?.transportId === GRPC_TRANSPORT && typeof server.createClient === 'function';
}

/**
 * @internal Runs `before` (which ends the Watch streams) right before each gRPC server of the
 * application shuts down, whoever closes it and when: Nest's `app.close()` of a gRPC-only app
 * closes the transport before any hook, cutting the streams still open, and a graceful close
 * (`gracefulShutdown: true`, grpc-js' `tryShutdown`) would wait for them for ever. Servers come
 * from Nest's registry of transport servers (`@nestjs/core` 11.1.6 and later; none before, where
 * the hooks alone end the streams).
 */
export function holdGrpcShutdowns(
  modules: ModulesContainer,
  before: () => Promise<void>,
): { unsubscribe(): void } | undefined {
  const registry = (modules as { getRpcTargetRegistry?: () => Subscribable }).getRpcTargetRegistry;
  return registry?.call(modules).subscribe((server) => {
    if (!isGrpcServer(server)) return;
    const create = server.createClient.bind(server);
    server.createClient = async () => hold(await create(), before);
    // A server already listening when this runs has its grpc-js server unheld: its close is.
    const close = server.close.bind(server);
    server.close = async () => {
      await before();
      return close();
    };
  });
}

function hold(grpc: GrpcJsServer, before: () => Promise<void>): GrpcJsServer {
  const tryShutdown = grpc.tryShutdown.bind(grpc);
  const forceShutdown = grpc.forceShutdown.bind(grpc);
  grpc.tryShutdown = (callback) => void before().then(() => tryShutdown(callback));
  // Nest does not wait for a forced shutdown: the port is let go once the streams have ended.
  grpc.forceShutdown = () => void before().then(forceShutdown);
  return grpc;
}
