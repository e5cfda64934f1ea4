import {
  Logger,
  Module,
  type DynamicModule,
  type LoggerService,
  type OnApplicationShutdown,
  type Type,
} from '@nestjs/common';
import { DiscoveryModule, HttpAdapterHost, ModulesContainer } from '@nestjs/core';
import {
  HEALTH_CONTROLLER_CLASS,
  HEALTH_LOGGER,
  RESOLVED_HEALTH_OPTIONS,
} from './core/health.constants.js';
import { HealthEvents } from './core/health.events.js';
import { HealthLog } from './observability/health.log.js';
import { EventLoopStalls } from './observability/event-loop.stalls.js';
import { HealthMetrics } from './observability/health.metrics.js';
import { HealthTelemetry } from './observability/health.telemetry.js';
import {
  ASYNC_OPTIONS_TYPE,
  ConfigurableModuleClass,
  HEALTH_MODULE_OPTIONS,
  OPTIONS_TYPE,
} from './health.module-definition.js';
import { messages } from './core/health.messages.js';
import { resolveHealthOptions, type ResolvedHealthOptions } from './options/health.options.js';
import { HealthService } from './health.service.js';
import { HttpListenerWatch } from './lifecycle/http-listener.watch.js';
import { IndicatorExplorer } from './core/indicator.explorer.js';
import { INDICATOR_SOURCE } from './core/indicator.source.js';
import { AutoIndicators } from './discovery/auto-indicators.source.js';
import { IndicatorRegistry } from './core/indicator.registry.js';
import { InternalNetworkGuard } from './transports/http/internal-network.guard.js';
import { NetworkPolicy } from './core/network.policy.js';
import { ProcessDiagnostics } from './core/process.diagnostics.js';
import { ReadinessState } from './core/readiness.state.js';
import { ShutdownCoordinator } from './lifecycle/shutdown.coordinator.js';
import { Redactor } from './core/redactor.js';
import { documentHealthRoutes } from './transports/openapi/health.swagger.js';
import { checkGrpcPeers, GrpcAppPort } from './transports/grpc/grpc.app-port.js';
import { ProbeEvaluator } from './core/probe.evaluator.js';
import { ProbeWatcher } from './core/probe.watcher.js';
import { ProbeServer } from './transports/probe-server/probe-server.js';
import { StatusRecorder } from './core/status.history.js';
import { StatusFeed } from './transports/http/status-page/status.feed.js';
import { mountModule, NestInternals, unmountModule } from './lifecycle/nest.internals.js';

const ignore = () => undefined;
/** The `logger: false` option: nothing is written. */
const SILENT: LoggerService = { log: ignore, warn: ignore, error: ignore };

/**
 * Health checks for the application: import it once, with `forRoot()` or `forRootAsync()`.
 * It serves `live`, `ready`, `startup` and `deep` under `path` and makes `HealthService` injectable
 * everywhere (it is global unless `isGlobal: false`).
 */
@Module({
  imports: [DiscoveryModule],
  providers: [
    {
      provide: RESOLVED_HEALTH_OPTIONS,
      inject: [
        { token: HEALTH_MODULE_OPTIONS, optional: true },
        { token: HEALTH_CONTROLLER_CLASS, optional: true },
        ModulesContainer,
      ],
      // Runs when providers are instantiated, before Nest registers routes and microservice
      // handlers: the one place where options are validated (start-up fails here with what to
      // change) and the application's routes are mounted.
      useFactory: async (
        raw: unknown,
        controller: Type<unknown> | undefined,
        modules: ModulesContainer,
      ) => {
        // Imported as a class: neither options nor controllers exist.
        if (controller === undefined) {
          throw new Error(messages.notConfigured);
        }
        // A second copy would register the same routes again (Fastify refuses, Express serves
        // one of them) and discover every indicator twice.
        const copies = [...modules.values()].filter((module) => module.metatype === HealthModule);
        if (copies.length > 1) throw new Error(messages.importedTwice);
        const options = resolveHealthOptions(raw);
        mountModule(modules, HealthModule, options.path);
        // The gRPC health service needs Nest's gRPC transport (else start-up stops).
        if (options.grpc) checkGrpcPeers();
        // OpenAPI documentation of the routes, when @nestjs/swagger is installed (else a no-op).
        await documentHealthRoutes(controller, options.probes, {
          metrics: options.metrics !== false,
        });
        return options;
      },
    },
    {
      provide: NetworkPolicy,
      inject: [RESOLVED_HEALTH_OPTIONS],
      useFactory: (options: ResolvedHealthOptions) =>
        new NetworkPolicy(options.internalNetworks, options.trustProxy, options.deniedStatus),
    },
    {
      provide: Redactor,
      inject: [RESOLVED_HEALTH_OPTIONS],
      useFactory: (options: ResolvedHealthOptions) => new Redactor(options.redact),
    },
    InternalNetworkGuard,
    {
      provide: HEALTH_LOGGER,
      inject: [RESOLVED_HEALTH_OPTIONS],
      useFactory: ({ logger }: ResolvedHealthOptions): LoggerService =>
        logger === false ? SILENT : (logger ?? new Logger('HealthModule')),
    },
    HealthEvents,
    HealthLog,
    HealthMetrics,
    HealthTelemetry,
    EventLoopStalls,
    IndicatorRegistry,
    IndicatorExplorer,
    // `autoIndicators`: checks for the clients the application has, found as it starts.
    { provide: INDICATOR_SOURCE, useClass: AutoIndicators },
    ProcessDiagnostics,
    ReadinessState,
    NestInternals,
    HttpListenerWatch,
    ShutdownCoordinator,
    ProbeEvaluator,
    ProbeWatcher,
    StatusRecorder,
    StatusFeed,
    {
      provide: ProbeServer,
      inject: [
        RESOLVED_HEALTH_OPTIONS,
        HEALTH_LOGGER,
        ProbeWatcher,
        IndicatorRegistry,
        HealthMetrics,
        ReadinessState,
        HttpAdapterHost,
        EventLoopStalls,
        StatusRecorder,
      ],
      // Started while providers are created, before any onModuleInit: a slow start-up answers
      // `starting` on the probe port instead of refusing connections.
      useFactory: async (...dependencies: ConstructorParameters<typeof ProbeServer>) => {
        const server = new ProbeServer(...dependencies);
        await server.start();
        return server;
      },
    },
    {
      provide: GrpcAppPort,
      inject: [HealthService, RESOLVED_HEALTH_OPTIONS, HEALTH_LOGGER, NestInternals],
      // Follows the gRPC servers before any is made: a hybrid app may start them before init.
      useFactory: async (...dependencies: ConstructorParameters<typeof GrpcAppPort>) => {
        const port = new GrpcAppPort(...dependencies);
        await port.start();
        return port;
      },
    },
    HealthService,
  ],
  exports: [HealthService, NetworkPolicy, Redactor, InternalNetworkGuard],
})
export class HealthModule extends ConfigurableModuleClass implements OnApplicationShutdown {
  /** @internal */
  constructor(private readonly modules: ModulesContainer) {
    super();
  }

  /** The application's route path is forgotten with it. */
  onApplicationShutdown(): void {
    unmountModule(this.modules, HealthModule);
  }

  /** Registers the health module with options given inline (all optional). */
  static override forRoot(options: typeof OPTIONS_TYPE = {}): DynamicModule {
    return super.forRoot(options);
  }

  /** Registers the health module with options from a factory, class or existing provider. */
  static override forRootAsync(options: typeof ASYNC_OPTIONS_TYPE): DynamicModule {
    return super.forRootAsync(options);
  }
}
