import { Inject, Injectable, type LoggerService, type OnModuleDestroy } from '@nestjs/common';
import { distinctUntilChanged, map } from 'rxjs';
import { HEALTH_LOGGER, RESOLVED_HEALTH_OPTIONS } from '../../core/health.constants.js';
import { messages } from '../../core/health.messages.js';
import { isInstalled } from '../../core/peers.js';
import type { ProbeDefinition } from '../../core/probe.definitions.js';
import type { ResolvedHealthOptions } from '../../options/health.options.js';
import { HealthService } from '../../health.service.js';
import {
  grpcServerOptions,
  NestInternals,
  SERVER_REGISTRY_RELEASE,
  type GrpcServerOptions,
} from '../../lifecycle/nest.internals.js';
import { HealthHandlers, type HealthSource } from './health.handlers.js';
import { HEALTH_GRPC_PACKAGE, servingStatus } from './health.grpc.js';
import { HEALTH_SERVICE_DEFINITION } from './health.wire.js';

/** A grpc-js server, as far as it is used here. */
interface GrpcJsServer {
  addService(service: object, implementation: object): void;
  tryShutdown(callback: (error?: Error) => void): void;
  forceShutdown(): void;
}

/** @internal What serving gRPC takes: Nest's transport, and the gRPC packages it loads. */
export const GRPC_PEERS = ['@nestjs/microservices', '@grpc/grpc-js', '@grpc/proto-loader'];

/** @internal Stops start-up, naming what to install, when the `grpc` option cannot be served. */
export function checkGrpcPeers(installed: (pkg: string) => boolean = isInstalled): void {
  const missing = GRPC_PEERS.filter((pkg) => !installed(pkg));
  if (missing.length > 0) throw new Error(messages.grpcPeersMissing(missing));
}

/** Whether a service definition is `grpc.health.v1.Health`'s (the one Nest makes of the proto). */
function isHealthService(service: object): boolean {
  const check = (service as { Check?: { path?: unknown } }).Check;
  return check?.path === HEALTH_SERVICE_DEFINITION.Check.path;
}

function listsHealthPackage(options: GrpcServerOptions): boolean {
  const packages = [options.package ?? []].flat();
  return packages.includes(HEALTH_GRPC_PACKAGE);
}

/**
 * @internal `grpc.health.v1.Health` on the application's own gRPC servers: those of its Nest gRPC
 * transports that list `HEALTH_GRPC_PACKAGE`. The service is added to each one's grpc-js server
 * directly, as it starts (`NestInternals.onGrpcServerLoad()`), not through Nest's RPC pipeline:
 * health is not business traffic, and it needs no guard, interceptor, filter or observable per
 * call. Nest then adds the service of the proto with no handler: that one is left out. Before
 * the grpc-js server shuts down, whoever closes it and however, its Watch streams end with `OK`.
 */
@Injectable()
export class GrpcAppPort implements OnModuleDestroy {
  private readonly handlers: HealthHandlers<ProbeDefinition>;
  private subscription?: { unsubscribe(): void };

  constructor(
    private readonly health: HealthService,
    @Inject(RESOLVED_HEALTH_OPTIONS) private readonly options: ResolvedHealthOptions,
    @Inject(HEALTH_LOGGER) private readonly logger: LoggerService,
    private readonly internals: NestInternals,
  ) {
    const { maxWatchStreams } = options.grpc || { maxWatchStreams: 0 };
    this.handlers = new HealthHandlers(this.source(), maxWatchStreams, (subject, cause) =>
      this.logger.error(messages.grpcFailed(subject), (cause as Error)?.stack),
    );
  }

  /** Watch streams open now, over every gRPC server of the application. */
  get openWatches(): number {
    return this.handlers.openWatches;
  }

  /**
   * Follows the application's gRPC servers from now on: called while providers are created,
   * before any server is made (a hybrid app may start its servers before `app.init()`).
   */
  async start(): Promise<void> {
    if (!this.options.grpc) return;
    // Installed: the grpc option could not be on otherwise (checked with the options).
    const { Transport } = (await import('@nestjs/microservices')) as {
      Transport: { GRPC: unknown };
    };
    const servers = this.internals.servers;
    if (servers === undefined) {
      const feature = "the gRPC health service on the application's gRPC servers";
      throw new Error(messages.nestTooOld(feature, SERVER_REGISTRY_RELEASE));
    }
    this.subscription = servers.subscribe((server) => {
      const options = grpcServerOptions(server, Transport.GRPC);
      if (options === undefined || !listsHealthPackage(options)) return;
      this.internals.onGrpcServerLoad(server as object, (grpc) =>
        this.serve(grpc as GrpcJsServer, options.url),
      );
    });
  }

  /** Ends the Watch streams, if no server has closed yet. */
  async onModuleDestroy(): Promise<void> {
    this.subscription?.unsubscribe();
    await this.handlers.endWatches();
  }

  /**
   * Serves the health service on a grpc-js server, and holds its shutdown for the streams. `url`:
   * the transport's, for the message (Nest's default when it has none).
   */
  private serve(server: GrpcJsServer, url = 'localhost:5000'): void {
    try {
      server.addService(HEALTH_SERVICE_DEFINITION, this.handlers);
    } catch (error) {
      const message = messages.grpcServedTwice(url, (error as Error).message);
      this.logger.error(message);
      throw new Error(message, { cause: error });
    }
    // Nest adds the service of the proto next, with no handler (grpc-js would refuse it): ours stands.
    this.internals.replace(server, 'addService', (add) => (service, implementation) => {
      if (!isHealthService(service)) add.call(server, service, implementation);
    });
    const before = () => this.handlers.endWatches();
    this.internals.replace(
      server,
      'tryShutdown',
      (tryShutdown) => (callback) => void before().then(() => tryShutdown.call(server, callback)),
    );
    // Nest does not wait for a forced shutdown: the port is let go once the streams have ended.
    this.internals.replace(
      server,
      'forceShutdown',
      (forceShutdown) => () => void before().then(() => forceShutdown.call(server)),
    );
  }

  /** The probes as `HealthService` answers them, on the main thread. */
  private source(): HealthSource<ProbeDefinition> {
    const health = this.health;
    return {
      // The table is the options': it does not change once the application is made.
      probes: health.probes,
      status: (probe) => {
        const result = health.answer(probe);
        if (result instanceof Promise) return result.then(({ status }) => servingStatus(status));
        return servingStatus(result.status);
      },
      watch: (probe, next, done) => {
        const subscription = health
          .watch(probe.name)
          .pipe(map(servingStatus), distinctUntilChanged())
          .subscribe({ next, error: done, complete: () => done() });
        return () => subscription.unsubscribe();
      },
    };
  }
}
