import type {
  ConfigurableModuleAsyncOptions,
  ConfigurableModuleOptionsFactory,
  LoggerService,
  Type,
} from '@nestjs/common';
import type { InternalNetworkGuard } from '../transports/http/internal-network.guard.js';
import type { TrustProxy } from '../core/network.policy.js';
import type { RedactionRule } from '../core/redactor.js';
import type { HealthGroupOptions, ProbeAccess, ProbeName } from './health-check.interface.js';

export type { HealthGroupOptions, ProbeAccess } from './health-check.interface.js';

/** How the application shuts down on a signal (see the README's Kubernetes guide). */
export interface ShutdownOptions {
  /** The signals handled. Default `['SIGTERM', 'SIGINT']`; `[]` handles none (`beginShutdown()` still works). */
  signals?: readonly NodeJS.Signals[];
  /**
   * How long the server keeps serving, readiness failing, before Nest closes, in ms. Default 5000
   * in Kubernetes (`KUBERNETES_SERVICE_HOST` is set), else 0.
   */
  delayMs?: number;
  /**
   * The pod's `terminationGracePeriodSeconds` in ms (default 30000): start-up warns when the delay
   * cannot fit, and a shutdown still running near its end exits with code 1 before the SIGKILL.
   */
  gracePeriodMs?: number;
}

/** Options of `HealthModule.forRoot()` / `forRootAsync()`. All are optional. */
export interface HealthModuleOptions {
  /** Route prefix of the probes. Default `'health'`: `/health/live`, `/health/ready`... */
  path?: string;
  /** Timeout of an indicator that sets none, in ms. Default 500, well inside the kubelet's 1 s. */
  defaultTimeoutMs?: number;
  /** How long an indicator's result is reused, in ms; 0 disables caching. Default 1000. */
  cacheTtlMs?: number;
  /** The service's version, in every response. */
  version?: string;
  /** The release (build, commit) id, in every response. */
  releaseId?: string;
  /** A unique id of the service, in every response. */
  serviceId?: string;
  /** A human-friendly description of the service, in every response. */
  description?: string;
  /**
   * CIDRs whose clients are internal. Default: loopback, RFC 1918, 100.64.0.0/10, link-local and
   * unique-local IPv6. Giving it replaces the default.
   */
  internalNetworks?: readonly string[];
  /**
   * Which proxies may report the client's address (`X-Forwarded-For`, `Forwarded`): `false`
   * (default: none; a request with such headers is external), a number of hops, or their CIDRs.
   */
  trustProxy?: TrustProxy;
  /** Who sees what, per probe. Default `{ live: 'public', ready: 'status', startup: 'status', deep: 'internal' }`. */
  access?: Partial<Record<ProbeName, ProbeAccess>>;
  /**
   * Named views of some checks, each served at `<path>/<name>` like a probe (and at
   * `<path>/<name>/<check>` for one of them): `{ payments: { include: ['stripe', 'database'] } }`.
   */
  groups?: Readonly<Record<string, HealthGroupOptions>>;
  /** What an external caller gets from an `internal` route: 403 (default) or 404, to hide it. */
  deniedStatus?: 403 | 404;
  /** A subclass of `InternalNetworkGuard` that decides who is internal on the probe routes. */
  guard?: Type<InternalNetworkGuard>;
  /** Rules masked in every output, in addition to the built-in ones (see `Redactor`). */
  redact?: readonly (RedactionRule | RegExp)[];
  /** Graceful shutdown on signals; `false` leaves signals and closing to the application. */
  shutdown?: false | ShutdownOptions;
  /**
   * The probes' `timeoutSeconds` in ms, as declared in your manifest (default 1000, the kubelet's
   * default): start-up warns about an indicator whose timeout is not below it.
   */
  probeTimeoutMs?: number;
  /**
   * How long start-up may take, as your startupProbe allows it (failureThreshold × periodSeconds,
   * in ms; default 30000, the kubelet's defaults). Until start-up has completed or this is spent, a
   * check that has not passed yet is logged once as not passing yet, not as an error. `0`: a
   * failure is an error from the first.
   */
  startupBudgetMs?: number;
  /** Logs a warning when a check takes longer than this (ms); 0 never. Default 250. */
  slowCheckMs?: number;
  /** Where the module logs (status changes, slow checks, shutdown): a logger of yours, or `false` for silence. Default: Nest's `Logger`. */
  logger?: LoggerService | false;
  /**
   * Runs every indicator in the background every this many ms (with jitter, never overlapping
   * itself); probes then read the latest result. Default: off (indicators run when probed).
   */
  refreshIntervalMs?: number;
  /** `GET <path>/metrics` in Prometheus format, through `prom-client`. Default `false`. */
  metrics?: boolean | MetricsOptions;
  /**
   * Records the same metrics on an OpenTelemetry `MeterProvider` (`@opentelemetry/api`): the
   * global one, taken when the application initialises (start the SDK before
   * `NestFactory.create()`), or the one given. Default `false`.
   */
  openTelemetry?: boolean | OpenTelemetryOptions;
  /**
   * A probe server of its own, on its own port, in a worker thread: it answers the probes
   * whatever the main event loop is doing, and serves apps without an HTTP server. Default off.
   */
  probeServer?: false | ProbeServerOptions;
  /**
   * Serves the standard gRPC health service (`grpc.health.v1.Health`: Check, Watch, List) from
   * the same probes, on the application's gRPC microservices that list `HEALTH_GRPC_PACKAGE` and
   * `HEALTH_PROTO_PATH`, past Nest's RPC pipeline (app-wide guards and interceptors do not apply).
   * Needs `@nestjs/microservices`, `@grpc/grpc-js` and `@grpc/proto-loader`. For the kubelet's
   * probes, prefer `probeServer.grpcPort`. Default `false`.
   */
  grpc?: boolean | GrpcHealthOptions;
  /**
   * A live status page for operators at `<path>/status`, on the app's port and on the probe
   * server, read as `deep` is (internal callers only by default; `deniedStatus` for others).
   * Default `false`.
   */
  statusPage?: boolean | StatusPageOptions;
  /**
   * A check for every client in the application's providers that a built-in indicator knows
   * (TypeORM, Sequelize, pg, mysql2, Redis, RabbitMQ, BullMQ, MongoDB...), found at start-up by
   * its shape, unless an indicator of yours checks it already. They go into `deep` only, where a
   * failure degrades it, until you promote them by name. Default `false`. See docs/indicators.md.
   */
  autoIndicators?: boolean | AutoIndicatorsOptions;
}

/** Options of the status page (see docs/status-page.md). */
export interface StatusPageOptions {
  /**
   * Live streams open at once, on each port (the app's, the probe server's); one more is
   * answered 503 and its page retries. Default 10.
   */
  maxStreams?: number;
}

/**
 * Where the checks of `autoIndicators` go, by their names (`typeorm`, `redis`, `bullmq.emails`:
 * the start-up log lists them). A name that no check has stops start-up.
 */
export interface AutoIndicatorsOptions {
  /** Checks that gate a probe as well: `{ ready: ['typeorm', 'redis'] }`. They are critical. */
  probes?: { ready?: readonly string[]; startup?: readonly string[] };
  /** Checks that fail `deep` when they fail; the others only degrade it (`warn`). */
  critical?: readonly string[];
  /** Clients left unchecked. */
  exclude?: readonly string[];
}

/** Options of the gRPC health service. */
export interface GrpcHealthOptions {
  /**
   * Watch streams open at once, over all clients, on the app's gRPC servers and apart on the
   * probe server's gRPC port; one more ends at once with `RESOURCE_EXHAUSTED` (clients retry with
   * backoff). Default 1000.
   */
  maxWatchStreams?: number;
}

/** Options of the probe server (see the README's "Probe server"). */
export interface ProbeServerOptions {
  /** Its port, such as 9000: a `containerPort` your Service does not expose. `0` picks a free one. */
  port: number;
  /** The address it listens on. Default `'0.0.0.0'`: every IPv4 interface, the pod's address too. */
  host?: string;
  /**
   * Liveness fails when the main event loop has not turned for this long (ms), and passes again as
   * soon as it does; readiness fails meanwhile too. Default 10000.
   */
  maxStallMs?: number;
  /**
   * Serves the standard gRPC health service (`grpc.health.v1.Health`: Check, Watch, List) on this
   * port too, from the same worker: for `grpc:` probes of the kubelet, the blackbox exporter and
   * `grpc-health-probe`, answered whatever the main event loop is doing. Needs `@grpc/grpc-js`;
   * not Nest's gRPC transport. Default: none.
   */
  grpcPort?: number;
}

/** Options of the metrics route. */
export interface MetricsOptions {
  /** The prom-client registry to register in. Default: prom-client's default registry. */
  registry?: unknown;
}

/** Options of the OpenTelemetry metrics. */
export interface OpenTelemetryOptions {
  /** The `MeterProvider` to record on. Default: OpenTelemetry's global one (`metrics.getMeterProvider()`). */
  meterProvider?: { getMeter(name: string, version?: string): unknown };
  /**
   * Put before every metric name, with a dot: `'orders'` records `orders.health.check.status`.
   * Default: none (`health.check.status`).
   */
  prefix?: string;
}

/**
 * Options that shape the module itself, applied when it is built (`forRoot()` or
 * `forRootAsync()`), before any application reads it: never from a `forRootAsync()` factory.
 */
export interface HealthModuleExtras {
  /** Whether `HealthService` can be injected everywhere without importing the module. Default `true`. */
  isGlobal?: boolean;
  /**
   * Decorators applied to the probes' HTTP controller, for app-wide guards and interceptors that
   * need marking: `[Public(), SkipThrottle()]`, or `[UseGuards(MyGuard)]`. The kubelet sends no
   * credentials. With `forRootAsync()`, give them beside `useFactory`.
   */
  controllerDecorators?: readonly ClassDecorator[];
}

/** Options of `HealthModule.forRootAsync()`: `imports`, `inject` and one of `useFactory`, `useClass`, `useExisting`. */
export type HealthModuleAsyncOptions = ConfigurableModuleAsyncOptions<
  HealthModuleOptions,
  'createHealthOptions'
> &
  HealthModuleExtras;

/** What a `useClass`/`useExisting` options provider implements. */
export type HealthOptionsFactory = ConfigurableModuleOptionsFactory<
  HealthModuleOptions,
  'createHealthOptions'
>;
