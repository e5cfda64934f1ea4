import type { ProbeName } from '../interfaces/health-check.interface.js';
import type {
  HealthModuleOptions,
  ShutdownOptions,
} from '../interfaces/health-module-options.interface.js';
import { DEFAULT_MODULE_OPTIONS } from '../core/health.constants.js';
import { messages } from '../core/health.messages.js';
import { DEFAULT_INTERNAL_NETWORKS } from '../core/network.policy.js';
import { check, isObject, shape } from '../core/option.rules.js';
import { isInstalled } from '../core/peers.js';
import { groupDefinition, PROBES, type ProbeDefinition } from '../core/probe.definitions.js';
import type { ResolvedHealthOptions } from '../core/resolved-options.js';
import { InternalNetworkGuard } from '../transports/http/internal-network.guard.js';
import { MODULE_RULES } from './module-options.rules.js';

export type { ResolvedHealthOptions } from '../core/resolved-options.js';
export {
  INDICATOR_OPTION_KEYS,
  resolveIndicatorOptions,
  type ResolvedIndicatorOptions,
} from '../core/indicator-options.js';

/** @internal Every key of the module options but those that shape the module (`BUILD_TIME_OPTIONS`). */
export const MODULE_OPTION_KEYS = Object.freeze(Object.keys(MODULE_RULES));

/** Options that shape the module when it is built: a `forRootAsync()` factory cannot give them. */
const BUILD_TIME_OPTIONS = ['controllerDecorators', 'isGlobal'] as const;

/** @internal Validates module options and merges the defaults, or throws what to change. */
export function resolveHealthOptions(raw: unknown): ResolvedHealthOptions {
  const options = raw;
  if (!isObject(options)) throw new Error(messages.optionsNotObject(options));
  const misplaced = BUILD_TIME_OPTIONS.find((key) => Object.hasOwn(options, key));
  if (misplaced !== undefined) throw new Error(messages.buildTimeOption(misplaced));
  check(options, shape(MODULE_RULES, 'an object'), messages.moduleOptionProblem);
  const given = options as HealthModuleOptions;
  const identity = Object.fromEntries(
    (['version', 'releaseId', 'serviceId', 'description'] as const)
      .filter((key) => given[key] !== undefined)
      .map((key) => [key, given[key]]),
  );
  return {
    path: (given.path ?? DEFAULT_MODULE_OPTIONS.path).replace(/^\/+|\/+$/g, ''),
    defaultTimeoutMs: given.defaultTimeoutMs ?? DEFAULT_MODULE_OPTIONS.defaultTimeoutMs,
    cacheTtlMs: given.cacheTtlMs ?? DEFAULT_MODULE_OPTIONS.cacheTtlMs,
    identity: Object.freeze(identity),
    internalNetworks: given.internalNetworks ?? DEFAULT_INTERNAL_NETWORKS,
    trustProxy: given.trustProxy ?? DEFAULT_MODULE_OPTIONS.trustProxy,
    probes: resolveProbes(given),
    deniedStatus: given.deniedStatus ?? DEFAULT_MODULE_OPTIONS.deniedStatus,
    guard: given.guard ?? InternalNetworkGuard,
    redact: given.redact ?? [],
    shutdown: given.shutdown === false ? false : resolveShutdown(given.shutdown),
    probeTimeoutMs: given.probeTimeoutMs ?? DEFAULT_MODULE_OPTIONS.probeTimeoutMs,
    startupBudgetMs: given.startupBudgetMs ?? DEFAULT_MODULE_OPTIONS.startupBudgetMs,
    slowCheckMs: given.slowCheckMs ?? DEFAULT_MODULE_OPTIONS.slowCheckMs,
    logger: given.logger,
    refreshIntervalMs: given.refreshIntervalMs ?? probeServerRefresh(given),
    metrics: given.metrics ? (given.metrics === true ? {} : given.metrics) : false,
    openTelemetry: resolveOpenTelemetry(given.openTelemetry),
    probeServer: resolveProbeServer(given),
    grpc: resolveGrpc(given),
    statusPage: resolveStatusPage(given.statusPage),
    autoIndicators: resolveAutoIndicators(given.autoIndicators),
  };
}

/** OpenTelemetry's metrics: the global provider and no prefix unless given. */
function resolveOpenTelemetry(
  given: HealthModuleOptions['openTelemetry'],
): ResolvedHealthOptions['openTelemetry'] {
  if (!given) return false;
  const { meterProvider, prefix = '' } = given === true ? {} : given;
  return meterProvider === undefined ? { prefix } : { meterProvider, prefix };
}

function resolveAutoIndicators(
  given: HealthModuleOptions['autoIndicators'],
): ResolvedHealthOptions['autoIndicators'] {
  if (!given) return false;
  const { probes = {}, critical = [], exclude = [] } = given === true ? {} : given;
  return Object.freeze({
    ready: probes.ready ?? [],
    startup: probes.startup ?? [],
    critical,
    exclude,
  });
}

/** The gRPC health service on the app's gRPC servers. */
function resolveGrpc(given: HealthModuleOptions): ResolvedHealthOptions['grpc'] {
  if (!given.grpc) return false;
  checkGroupNames(given, 'grpc');
  const settings = given.grpc === true ? {} : given.grpc;
  return {
    maxWatchStreams: settings.maxWatchStreams ?? DEFAULT_MODULE_OPTIONS.grpc.maxWatchStreams,
  };
}

/** While gRPC health is served, no group may take a name its service gives a probe. */
function checkGroupNames(given: HealthModuleOptions, option: string): void {
  for (const name of Object.keys(given.groups ?? {})) {
    const probe = PROBES.find((definition) => definition.aliases.includes(name));
    if (probe !== undefined) throw new Error(messages.grpcAliasTaken(name, probe.name, option));
  }
}

/** The probes' table: the four probes with the access the options give them, then the groups. */
function resolveProbes(given: HealthModuleOptions): readonly ProbeDefinition[] {
  const probes = PROBES.map((probe) => {
    const access = given.access?.[probe.name as ProbeName];
    return access === undefined ? probe : Object.freeze({ ...probe, access });
  });
  const groups = Object.entries(given.groups ?? {})
    .filter(([, group]) => group !== undefined)
    .map(([name, group]) => groupDefinition(name, group));
  return Object.freeze([...probes, ...groups]);
}

/** The status page with its defaults. */
function resolveStatusPage(
  given: HealthModuleOptions['statusPage'],
): ResolvedHealthOptions['statusPage'] {
  if (!given) return false;
  return { ...DEFAULT_MODULE_OPTIONS.statusPage, ...(given === true ? {} : definedOnly(given)) };
}

/** The probe server with its defaults; `port` is required. */
function resolveProbeServer(options: HealthModuleOptions): ResolvedHealthOptions['probeServer'] {
  const given = options.probeServer;
  if (given === undefined || given === false) return false;
  if (given.port === undefined) {
    const problem = { kind: 'invalid' as const, at: 'probeServer.port', value: undefined };
    throw new Error(
      messages.moduleOptionProblem({ ...problem, valid: 'a port number, such as 9000' }),
    );
  }
  const { grpcPort } = given;
  if (grpcPort !== undefined) {
    if (grpcPort !== 0 && grpcPort === given.port) {
      const valid = `a port other than probeServer.port (${given.port}), such as ${given.port + 1}`;
      const problem = { kind: 'invalid' as const, at: 'probeServer.grpcPort', value: grpcPort };
      throw new Error(messages.moduleOptionProblem({ ...problem, valid }));
    }
    checkGrpcJs();
    checkGroupNames(options, 'probeServer.grpcPort');
  }
  const settings = typeof options.grpc === 'object' ? options.grpc : {};
  const maxWatchStreams = settings.maxWatchStreams ?? DEFAULT_MODULE_OPTIONS.grpc.maxWatchStreams;
  return {
    ...DEFAULT_MODULE_OPTIONS.probeServer,
    ...definedOnly(given),
    port: given.port,
    grpc: { maxWatchStreams },
  };
}

/**
 * The probe server answers from results published by the main thread, never by asking it: the
 * checks then run in the background, as often as they are cached for (at least every second).
 */
function probeServerRefresh(given: HealthModuleOptions): number | undefined {
  if (!given.probeServer) return undefined;
  const cacheTtlMs = given.cacheTtlMs ?? DEFAULT_MODULE_OPTIONS.cacheTtlMs;
  return Math.max(cacheTtlMs, DEFAULT_MODULE_OPTIONS.probeServerRefreshMs);
}

/** @internal The probe server's gRPC port runs grpc-js in its worker: start-up stops without it. */
export function checkGrpcJs(installed: (pkg: string) => boolean = isInstalled): void {
  if (!installed('@grpc/grpc-js')) throw new Error(messages.probeServerGrpcMissing);
}

function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** In Kubernetes the endpoints are withdrawn a few seconds after SIGTERM: wait that long there. */
function resolveShutdown(given: ShutdownOptions = {}): Required<ShutdownOptions> {
  const inKubernetes = Boolean(process.env.KUBERNETES_SERVICE_HOST);
  return {
    signals: given.signals ?? DEFAULT_MODULE_OPTIONS.shutdown.signals,
    delayMs:
      given.delayMs ?? (inKubernetes ? DEFAULT_MODULE_OPTIONS.shutdown.kubernetesDelayMs : 0),
    gracePeriodMs: given.gracePeriodMs ?? DEFAULT_MODULE_OPTIONS.shutdown.gracePeriodMs,
  };
}
