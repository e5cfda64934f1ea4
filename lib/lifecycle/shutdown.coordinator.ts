import {
  Inject,
  Injectable,
  type LoggerService,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { HttpAdapterHost, ModulesContainer, NestApplication } from '@nestjs/core';
import {
  callAppShutdownHook,
  callBeforeAppShutdownHook,
  callModuleDestroyHook,
} from '@nestjs/core/hooks/index.js';
import type { Server, ServerResponse } from 'node:http';
import { HEALTH_LOGGER, RESOLVED_HEALTH_OPTIONS } from '../core/health.constants.js';
import { messages } from '../core/health.messages.js';
import type { ResolvedHealthOptions } from '../options/health.options.js';
import { ReadinessState } from '../core/readiness.state.js';
import { holdContextClose, TransportServers } from './transport.servers.js';

type Listener = (signal: NodeJS.Signals) => void;

/** How long a draining server lets idle keep-alive sockets be before closing them. */
const IDLE_GRACE_MS = 500;

/**
 * @internal A shutdown that Kubernetes gets right. On a signal (or `beginShutdown()`): readiness
 * fails at once, the server keeps serving for `delayMs` while the endpoints are withdrawn, then it
 * drains (accepts nothing new, lets in-flight requests finish), then Nest runs its hooks and the
 * process exits 0. Delay and drain sit in the HTTP adapter's `beforeClose()`, which Nest awaits
 * before any `onModuleDestroy`: the application's connections stay intact until no request can
 * need them.
 */
@Injectable()
export class ShutdownCoordinator implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly listeners = new Map<NodeJS.Signals, Listener>();
  private delay?: Promise<void>;
  private endDelay?: () => void;
  private nestIsClosing = false;
  private closed = false;
  /** A signal or beginShutdown() started the shutdown (not a plain app.close()). */
  private signalled = false;
  /** NestJS 11 with enableShutdownHooks(): Nest closes at once on a signal, whatever is asked here. */
  private closesAtOnce = false;
  /** The microservice servers: they stop taking messages once the delay is over. */
  private readonly servers: TransportServers;

  constructor(
    @Inject(HEALTH_LOGGER) private readonly logger: LoggerService,
    @Inject(RESOLVED_HEALTH_OPTIONS) private readonly options: ResolvedHealthOptions,
    private readonly state: ReadinessState,
    private readonly adapterHost: HttpAdapterHost,
    private readonly modules: ModulesContainer,
  ) {
    this.servers = new TransportServers(modules);
  }

  onApplicationBootstrap(): void {
    this.holdCloseForTheDelay();
    const { shutdown } = this.options;
    if (!shutdown) return;
    // NestJS 11 closes without ever calling beforeClose(): its own signal handler would run the
    // hooks at once, before the delay. Say so, since that cannot work.
    const nest11 =
      typeof (NestApplication.prototype as unknown as { prepareClose?: unknown }).prepareClose !==
      'function';
    const nestListens = shutdown.signals.some((signal) => process.listenerCount(signal) > 0);
    // Nest 11's own handler closes at once on these signals: the shutdown log must not promise a delay.
    this.closesAtOnce = nest11 && nestListens;
    if (this.closesAtOnce) this.logger.warn(messages.nest11ShutdownHooks);
    for (const signal of shutdown.signals) {
      const listener: Listener = (received) => this.onSignal(received);
      this.listeners.set(signal, listener);
      process.on(signal, listener);
    }
  }

  onApplicationShutdown(): void {
    this.closed = true;
    this.servers.dispose();
    // After a signal, Nest re-raises it once closed: stay subscribed to turn it into exit(0).
    if (!this.signalled) this.unsubscribe();
  }

  /** Starts the graceful shutdown; a second request cuts the remaining delay short. */
  begin(signal?: NodeJS.Signals): void {
    if (this.signalled) {
      this.endDelay?.();
      return;
    }
    this.signalled = true;
    this.state.shuttingDown = true;
    const shutdown = this.options.shutdown || { delayMs: 0, gracePeriodMs: 0 };
    this.logger.log(
      this.closesAtOnce && signal !== undefined
        ? messages.shutdownAtOnce(signal)
        : messages.shutdownBegins(signal, shutdown.delayMs),
    );
    this.delay = new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, shutdown.delayMs);
      this.endDelay = () => {
        clearTimeout(timer);
        resolve();
      };
    });
    if (shutdown.gracePeriodMs > 0) this.startWatchdog(shutdown.gracePeriodMs);
    // Nest's own signal handler (enableShutdownHooks) starts closing within this tick; when it
    // has not, the application did not enable it, and this coordinator closes the app itself.
    setImmediate(() => {
      if (!this.nestIsClosing) void this.closeWithoutNestHooks(signal);
    });
  }

  private onSignal(signal: NodeJS.Signals): void {
    if (this.closed) process.exit(0);
    this.begin(signal);
  }

  /**
   * Makes Nest's close wait for the delay before the adapter stops serving (or the microservices
   * taking messages) and hooks run.
   */
  private holdCloseForTheDelay(): void {
    const adapter = this.adapterHost.httpAdapter;
    if (!adapter) {
      holdContextClose(this.modules, async () => {
        await this.closing();
        await this.servers.close();
      });
      return;
    }
    const original = adapter.beforeClose?.bind(adapter);
    adapter.beforeClose = async () => {
      await this.closing();
      if (this.delay) await this.drain();
      // The microservices of a hybrid app stop taking messages too, before any hook runs.
      await this.servers.close();
      await original?.();
    };
  }

  /**
   * Nest has begun closing (its adapter or a transport server is being closed), for any reason:
   * readiness fails from now on, and after a signal the delay runs out first.
   */
  private async closing(): Promise<void> {
    this.nestIsClosing = true;
    this.state.shuttingDown = true;
    // Nest's signal handler may get here before this coordinator's own handler has begun.
    await new Promise((resolve) => setImmediate(resolve));
    await this.delay;
  }

  /**
   * Lets keep-alive clients go (responses from now on close their connection), then stops
   * accepting connections and waits for in-flight requests, closing connections as they fall
   * idle: keep-alive clients would otherwise hold the server open for ever.
   */
  private async drain(): Promise<void> {
    const server = this.adapterHost.httpAdapter?.getHttpServer() as Server | undefined;
    if (!server?.listening) return;
    const started = Date.now();
    server.prependListener('request', (_request, response: ServerResponse) => {
      if (!response.headersSent) response.setHeader('Connection', 'close');
    });
    // A request may be on its way on a socket that looks idle, and server.close() closes idle
    // sockets at once (Node 19+): it is called only after a grace period, during which every
    // response tells its client to let go of the connection.
    await new Promise((resolve) => setTimeout(resolve, IDLE_GRACE_MS));
    await new Promise<void>((resolve) => {
      const sweep = setInterval(() => server.closeIdleConnections(), 25);
      server.close(() => {
        clearInterval(sweep);
        resolve();
      });
    });
    this.logger.log(messages.drained(Date.now() - started));
  }

  /** The sequence of `app.close()`, for applications that did not call enableShutdownHooks(). */
  private async closeWithoutNestHooks(signal?: NodeJS.Signals): Promise<void> {
    try {
      const adapter = this.adapterHost.httpAdapter;
      // The delay, the drain, and no more messages: what Nest's own close would do first.
      if (adapter?.beforeClose) await adapter.beforeClose();
      else {
        await this.delay;
        await this.servers.close();
      }
      // The order Nest uses: modules by distance, descending, reversed.
      const modules = [...this.modules.values()]
        .toSorted((a, b) => b.distance - a.distance)
        .toReversed();
      for (const module of modules) await callModuleDestroyHook(module);
      for (const module of modules) await callBeforeAppShutdownHook(module, signal);
      await adapter?.close();
      for (const module of modules) await callAppShutdownHook(module, signal);
      process.exit(0);
    } catch (error) {
      this.logger.error(messages.shutdownFailed, (error as Error)?.stack);
      process.exit(1);
    }
  }

  /** Exits before the kubelet's SIGKILL when draining outlives the grace period, saying why. */
  private startWatchdog(gracePeriodMs: number): void {
    const margin = Math.min(1000, gracePeriodMs / 10);
    setTimeout(() => {
      this.logger.error(messages.shutdownTooSlow(gracePeriodMs));
      process.exit(1);
    }, gracePeriodMs - margin).unref();
  }

  private unsubscribe(): void {
    for (const [signal, listener] of this.listeners) process.removeListener(signal, listener);
    this.listeners.clear();
  }
}
