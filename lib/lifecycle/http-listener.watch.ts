import { Injectable, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { Server } from 'node:net';
import { ReadinessState } from '../core/readiness.state.js';
import { NestInternals } from './nest.internals.js';

type Listen = (...args: unknown[]) => unknown;

/**
 * @internal Tells readiness whether the application's own HTTP server listens, so that `ready`
 * never passes (on the probe server, over gRPC) while the app's port refuses connections:
 * - from the moment Nest's `listen()` reaches the adapter until the server listens, readiness
 *   answers `starting`;
 * - if the server fails to listen (`EADDRINUSE`), readiness fails for good, saying why;
 * - an app Nest never makes listen (`init()` only: supertest listens the server itself, on a port
 *   of its own) is not held back, nor are apps with no HTTP server (microservices, contexts).
 */
@Injectable()
export class HttpListenerWatch implements OnModuleInit {
  constructor(
    private readonly adapterHost: HttpAdapterHost,
    private readonly state: ReadinessState,
    private readonly internals: NestInternals,
  ) {}

  onModuleInit(): void {
    const adapter = this.adapterHost.httpAdapter as
      { getHttpServer(): unknown; listen: Listen } | undefined;
    const server = adapter?.getHttpServer() as Server | undefined;
    if (!adapter || typeof server?.once !== 'function') return;
    if (server.listening) {
      this.state.listener = 'listening';
      return;
    }
    // The adapter's own listen(), on this application's adapter only, until it closes: neither
    // Nest nor the server tells that a listen has begun before it has succeeded.
    this.internals.replace(adapter, 'listen', (listen) => (...args) => {
      let returned: unknown;
      try {
        returned = listen.apply(adapter, args);
      } catch (error) {
        // A bad port is thrown at once.
        this.state.listenFailed((error as Error)?.message ?? String(error));
        throw error;
      }
      this.listenCalled(server);
      return returned;
    });
  }

  /** Follows a listen that has begun (or has already succeeded: Node binds an address at once). */
  private listenCalled(server: Server): void {
    if (server.listening) {
      this.state.listener = 'listening';
      return;
    }
    this.state.listener = 'pending';
    const listening = () => {
      server.removeListener('error', failed);
      this.state.listener = 'listening';
    };
    const failed = (error: NodeJS.ErrnoException) => {
      server.removeListener('listening', listening);
      this.state.listenFailed(error?.message ?? String(error));
      // No one else handles it (a listen() called outside Nest's): unhandled, as it would be.
      if (server.listenerCount('error') === 0) throw error;
    };
    server.once('listening', listening);
    // First: Nest's own handler is still there to be counted.
    server.prependOnceListener('error', failed);
  }
}
