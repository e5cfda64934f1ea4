import {
  Inject,
  Injectable,
  type INestApplicationContext,
  type LoggerService,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
  type OnModuleDestroy,
} from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { Server } from 'node:http';
import { HEALTH_LOGGER, RESOLVED_HEALTH_OPTIONS } from '../core/health.constants.js';
import { messages } from '../core/health.messages.js';
import { ProbeWatcher } from '../core/probe.watcher.js';
import { ReadinessState } from '../core/readiness.state.js';
import type { ResolvedHealthOptions } from '../options/health.options.js';
import { drainHttpServer } from './http-server.drain.js';
import {
  closeApplication,
  closeAwaitsAdapter,
  NestInternals,
  SERVER_REGISTRY_RELEASE,
} from './nest.internals.js';
import { SignalOwnership } from './signal.owners.js';
import { TransportServers } from './transport.servers.js';

/**
 * @internal A shutdown that Kubernetes gets right, for one application. On a signal (or
 * `beginShutdown()`): readiness fails at once, the application keeps serving for `delayMs` while
 * the endpoints are withdrawn, then the HTTP server drains and the microservice servers stop
 * taking messages, then Nest's own `app.close()` runs every hook, and the process exits 0 once no
 * other application in it is still closing.
 *
 * Who calls `app.close()`: the library, once the application handed itself over
 * (`HealthService.handleShutdown(app)`); else Nest's signal handler (`enableShutdownHooks()`),
 * held for the delay by the HTTP adapter's `beforeClose()`, the public hook Nest 12 awaits before
 * any other. Where neither can hold the hooks back (no HTTP server, NestJS 11), start-up says so.
 */
@Injectable()
export class ShutdownCoordinator
  implements OnApplicationBootstrap, OnModuleDestroy, OnApplicationShutdown
{
  /** The application, once handed over: the library closes it. */
  private app?: INestApplicationContext;
  /** The delay, the drain and the microservice servers' close, run once. */
  private holding?: Promise<void>;
  private delay?: Promise<void>;
  private endDelay?: () => void;
  /** A signal or beginShutdown() started the shutdown (not a plain app.close()). */
  private began = false;
  /** Nest's close has begun, whoever called it. */
  private nestIsClosing = false;
  /** The library called app.close() itself. */
  private closingItself = false;
  /** Nest's own signal handler closes this application at once: why, for the shutdown log. */
  private closesAtOnce?: string;
  private readonly servers: TransportServers;
  private readonly ownership = new SignalOwnership((signal, again) =>
    again ? this.endDelay?.() : this.begin(signal),
  );

  constructor(
    @Inject(HEALTH_LOGGER) private readonly logger: LoggerService,
    @Inject(RESOLVED_HEALTH_OPTIONS) private readonly options: ResolvedHealthOptions,
    private readonly state: ReadinessState,
    private readonly adapterHost: HttpAdapterHost,
    private readonly internals: NestInternals,
    // Not used: depending on it makes Nest run this onModuleDestroy before the watcher's (hooks
    // run dependents first), so that watchers see readiness fail before their streams complete.
    _watcher: ProbeWatcher,
  ) {
    this.servers = new TransportServers(internals);
  }

  /** The application hands its shutdown over: the library closes it (`app.close()`). */
  handle(app: INestApplicationContext): void {
    this.app = app;
  }

  onApplicationBootstrap(): void {
    this.holdAdapterClose();
    if (!this.servers.known) this.logger.warn(messages.noServerRegistry(SERVER_REGISTRY_RELEASE));
    const { shutdown } = this.options;
    if (!shutdown || shutdown.signals.length === 0) return;
    this.ownership.subscribe(shutdown.signals);
    // Once main.ts has gone on from creating the application: a standalone context has
    // bootstrapped before NestFactory.createApplicationContext() returns it.
    setImmediate(() => this.checkWhoCloses(shutdown.signals));
  }

  /** Nest is closing the application: readiness fails from its first hook on. */
  onModuleDestroy(): void {
    this.nestIsClosing = true;
    this.state.shuttingDown = true;
  }

  onApplicationShutdown(): void {
    this.nestIsClosing = true;
    this.servers.dispose();
    // After a signal, this application's listener stays until the process exits: it turns
    // Nest's re-raised signal into exit(0) once the last application has closed.
    if (!this.began) this.ownership.unsubscribe();
    else if (!this.closingItself) this.ownership.closed('nest');
  }

  /** Starts the graceful shutdown; a second request cuts the remaining delay short. */
  begin(signal?: NodeJS.Signals): void {
    if (this.began) {
      this.endDelay?.();
      return;
    }
    this.began = true;
    this.state.shuttingDown = true;
    const shutdown = this.options.shutdown || { delayMs: 0, gracePeriodMs: 0 };
    this.logger.log(
      this.closesAtOnce !== undefined && signal !== undefined
        ? messages.shutdownAtOnce(signal, this.closesAtOnce)
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
    void this.close(signal);
  }

  /**
   * After the delay and the drain: Nest's own close, by the library for an application handed
   * over, unless Nest's signal handler is already running it.
   */
  private async close(signal?: NodeJS.Signals): Promise<void> {
    try {
      await this.hold();
      if (this.nestIsClosing) return;
      if (this.app === undefined) {
        this.logger.error(messages.shutdownNotClosed(signal ?? 'beginShutdown()'));
        process.exitCode = 1;
      } else {
        this.closingItself = true;
        await closeApplication(this.app, signal);
      }
    } catch (error) {
      this.logger.error(messages.shutdownFailed, (error as Error)?.stack);
      process.exitCode = 1;
    }
    this.ownership.closed('done');
  }

  /** The delay, the drain, and no more messages: what comes before any hook, once. */
  private hold(): Promise<void> {
    this.holding ??= (async () => {
      // Nest's signal handler may get here before this coordinator's own listener has begun.
      await new Promise((resolve) => setImmediate(resolve));
      if (this.delay) {
        await this.delay;
        // Streams end first (the status page's): an open one would hold the drain to the end.
        this.state.draining = true;
        const server = this.adapterHost.httpAdapter?.getHttpServer() as Server | undefined;
        const drainedIn = await drainHttpServer(server);
        if (drainedIn !== undefined) this.logger.log(messages.drained(drainedIn));
      }
      await this.servers.close();
    })();
    return this.holding;
  }

  /**
   * Makes Nest's close wait for the delay before the adapter stops serving (or the microservices
   * taking messages) and hooks run, through the HTTP adapter's `beforeClose()`, which Nest 12
   * awaits first; for this application only, until it has closed.
   */
  private holdAdapterClose(): void {
    const adapter = this.adapterHost.httpAdapter;
    if (!adapter) return;
    this.internals.replace(adapter, 'beforeClose', (original) => async () => {
      this.nestIsClosing = true;
      this.state.shuttingDown = true;
      await this.hold();
      await original?.call(adapter);
    });
  }

  /**
   * Says at start-up when Nest's own handler will close the application at once, before the
   * delay (only the HTTP adapter's hook can hold it, on NestJS 12), or when nothing will close it
   * on its signals. An HTTP app that only calls `init()` (an e2e test, supertest) is not told: it
   * serves no one and gets no signal.
   */
  private checkWhoCloses(signals: readonly NodeJS.Signals[]): void {
    const nestListens = signals.some((signal) => this.ownership.othersListen(signal));
    const http = Boolean(this.adapterHost.httpAdapter);
    const why = !closeAwaitsAdapter()
      ? 'on NestJS 11'
      : http
        ? undefined
        : 'of an application without an HTTP server (a microservice, a standalone context)';
    if (nestListens && why !== undefined) {
      this.closesAtOnce = why;
      this.logger.warn(messages.shutdownHooksAtOnce(why));
    } else if (
      !nestListens &&
      this.app === undefined &&
      (!http || this.state.listener !== 'none')
    ) {
      this.logger.warn(messages.shutdownNotHandled(signals));
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
}
