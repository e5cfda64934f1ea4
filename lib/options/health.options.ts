import {
  DEFAULT_MODULE_OPTIONS,
  DIAGNOSTICS_COMPONENT,
  MAX_TIMER_MS,
} from '../core/health.constants.js';
import { messages } from '../core/health.messages.js';
import type { IndicatorProbe } from '../interfaces/health-check.interface.js';
import type { HealthIndicatorOptions } from '../interfaces/health-indicator-options.interface.js';
import type { LoggerService } from '@nestjs/common';
import { constants } from 'node:os';
import type {
  GrpcHealthOptions,
  HealthModuleOptions,
  ProbeServerOptions,
  ShutdownOptions,
} from '../interfaces/health-module-options.interface.js';
import type { ProbeName } from '../interfaces/health-check.interface.js';
import { InternalNetworkGuard } from '../transports/http/internal-network.guard.js';
import { DEFAULT_INTERNAL_NETWORKS, type TrustProxy } from '../core/network.policy.js';
import type { RedactionRule } from '../core/redactor.js';
import {
  groupDefinition,
  isGroupName,
  NAME_PATTERN,
  PROBES,
  RESERVED_NAMES,
  type ProbeDefinition,
} from '../core/probe.definitions.js';
import { GRPC_ALIASES } from '../transports/grpc/health.grpc.js';
import {
  arrayOf,
  check,
  either,
  is,
  isObject,
  mapOf,
  shape,
  type Rule,
} from '../core/option.rules.js';

/** @internal Module options after validation, with every default applied. */
export interface ResolvedHealthOptions {
  path: string;
  defaultTimeoutMs: number;
  cacheTtlMs: number;
  /** The fields every response carries (`version`, `releaseId`, `serviceId`, `description`). */
  identity: Readonly<
    Pick<HealthModuleOptions, 'version' | 'releaseId' | 'serviceId' | 'description'>
  >;
  internalNetworks: readonly string[];
  trustProxy: TrustProxy;
  /** The probes and the health groups, with the access the options give each. */
  probes: readonly ProbeDefinition[];
  deniedStatus: 403 | 404;
  guard: NonNullable<HealthModuleOptions['guard']>;
  redact: readonly (RedactionRule | RegExp)[];
  shutdown: false | Required<ShutdownOptions>;
  probeTimeoutMs: number;
  startupBudgetMs: number;
  slowCheckMs: number;
  logger: LoggerService | false | undefined;
  refreshIntervalMs: number | undefined;
  metrics: false | { registry?: unknown };
  probeServer: false | Required<ProbeServerOptions>;
  grpc: false | Required<GrpcHealthOptions>;
}

/** @internal An indicator's options after validation, with the module's defaults applied. */
export interface ResolvedIndicatorOptions {
  name: string;
  critical: boolean;
  timeoutMs: number;
  cacheTtlMs: number;
  probes: ReadonlySet<IndicatorProbe>;
  measurement: string;
  componentType: string;
  refreshIntervalMs: number | undefined;
  failureThreshold: number;
}

const integer = (min: number, max: number) => (v: unknown) =>
  Number.isInteger(v) && (v as number) >= min && (v as number) <= max;
const ms = (from: string) => `an integer number of milliseconds from ${from} to ${MAX_TIMER_MS}`;

const timeout = is(integer(1, MAX_TIMER_MS), ms('1'));
const ttl = is(integer(0, MAX_TIMER_MS), ms('0 (no caching)'));
const delay = is(integer(0, MAX_TIMER_MS), ms('0'));
const text = is(
  (v) => typeof v === 'string' && v.trim().length > 0 && v.length <= 256,
  'a non-empty string of at most 256 characters',
);
const SEGMENT = /^[A-Za-z0-9._~-]+$/;
const path = is(
  (v) =>
    typeof v === 'string' &&
    v
      .replace(/^\/|\/$/g, '')
      .split('/')
      .every((segment, _, all) =>
        segment === '' ? all.length === 1 : SEGMENT.test(segment) && !/^\.{1,2}$/.test(segment),
      ),
  `a route prefix such as "health" or "internal/health" (letters, digits, ".", "_", "~", "-" between slashes, no "." or ".." segment; "" for the root)`,
);
const bool = is((v) => typeof v === 'boolean', 'true or false');
const nameRule = is(
  (v) => typeof v === 'string' && NAME_PATTERN.test(v),
  'a string of 1-64 letters, digits, ".", "_" or "-", starting with a letter or digit',
);
const INDICATOR_PROBES: readonly IndicatorProbe[] = ['startup', 'ready', 'deep'];
const quoted = (values: readonly string[]) => values.map((v) => `'${v}'`).join(', ');
const probesRule = arrayOf(
  is((v) => INDICATOR_PROBES.includes(v as IndicatorProbe), `one of ${quoted(INDICATOR_PROBES)}`),
  `a non-empty array of ${quoted(INDICATOR_PROBES)}`,
  1,
);
const strings = (valid: string) =>
  arrayOf(
    is((v) => typeof v === 'string', 'a string'),
    valid,
  );

const ACCESS: readonly unknown[] = ['public', 'status', 'internal'];
const PROBE_NAMES: readonly string[] = PROBES.map((probe) => probe.name);
const accessRule = is((v) => ACCESS.includes(v), "'public', 'status' or 'internal'");
const INCLUDE_VALID = 'a non-empty array of check names, such as ["database", "cache"]';
const groupRule = shape(
  {
    include: arrayOf(
      nameRule,
      'a non-empty array of check names, such as ["database", "cache"]',
      1,
    ),
    access: accessRule,
    readinessGates: is((v) => typeof v === 'boolean', 'true or false'),
  },
  "{ include: ['<check>', ...], access?, readinessGates? }",
);
const GROUP_NAME_VALID = `a name of 1-64 letters, digits, ".", "_" or "-", starting with a letter or digit, other than ${RESERVED_NAMES.map((n) => `"${n}"`).join(', ')} (the module's own routes)`;
const groupsRule: Rule = (value, at) => {
  if (!isObject(value)) {
    return { kind: 'invalid', at, value, valid: 'an object mapping group names to groups' };
  }
  for (const [key, entry] of Object.entries(value)) {
    if (!isGroupName(key)) {
      return { kind: 'invalid', at: `${at} name`, value: key, valid: GROUP_NAME_VALID };
    }
    const problem = entry === undefined ? undefined : groupRule(entry, `${at}.${key}`);
    if (problem) return problem;
    if (isObject(entry) && entry.include === undefined) {
      return {
        kind: 'invalid',
        at: `${at}.${key}.include`,
        value: undefined,
        valid: INCLUDE_VALID,
      };
    }
  }
  return undefined;
};
/** Signals a process cannot catch: listening to them fails with EINVAL. */
const UNCATCHABLE: readonly string[] = ['SIGKILL', 'SIGSTOP'];
const signal = is(
  (v) => typeof v === 'string' && v in constants.signals && !UNCATCHABLE.includes(v),
  "a signal the process can handle, such as 'SIGTERM' or 'SIGINT' (not SIGKILL or SIGSTOP)",
);
const shutdown = either(
  shape(
    {
      signals: arrayOf(signal, "an array of signal names such as ['SIGTERM', 'SIGINT']"),
      delayMs: delay,
      gracePeriodMs: delay,
    },
    '{ signals?, delayMs?, gracePeriodMs? }, or false',
  ),
  is((v) => v === false, 'false'),
);

const refresh = is(integer(100, MAX_TIMER_MS), ms('100'));
const probeServer = either(
  shape(
    {
      port: is(integer(0, 65_535), 'a port number from 1 to 65535 (0: any free port)'),
      host: is(
        (v) => typeof v === 'string' && /^[A-Za-z0-9.:_%-]{1,253}$/.test(v),
        "an address or host name such as '0.0.0.0', '::' or 'localhost'",
      ),
      maxStallMs: is(integer(500, MAX_TIMER_MS), ms('500')),
    },
    '{ port, host?, maxStallMs? }, or false',
  ),
  is((v) => v === false, 'false'),
);
const threshold = is(integer(1, 100), 'an integer from 1 to 100');
const COMPONENT_TYPES: readonly unknown[] = ['component', 'datastore', 'system'];
/** A URI with a scheme (RFC 3986): letters, digits, "+", "." or "-", a colon, no white space. */
const URI = /^[A-Za-z][A-Za-z0-9+.-]*:\S+$/;
const componentType = is(
  (v) => COMPONENT_TYPES.includes(v) || (typeof v === 'string' && v.length <= 256 && URI.test(v)),
  "'component', 'datastore', 'system', or a URI with a scheme and no spaces (at most 256 characters), such as 'urn:example:queue' or 'https://example.com/types/queue'",
);

const MODULE_RULES: Record<keyof HealthModuleOptions, Rule> = {
  path,
  defaultTimeoutMs: timeout,
  cacheTtlMs: ttl,
  version: text,
  releaseId: text,
  serviceId: text,
  description: text,
  internalNetworks: strings(
    'an array of CIDRs such as ["10.0.0.0/8", "fd00::/8"] (an empty array: nobody is internal)',
  ),
  trustProxy: either(
    is(
      (v) => v === false || integer(0, 32)(v),
      "false, a number of trusted proxy hops (0-32), or an array of the trusted proxies' CIDRs",
    ),
    strings("an array of the trusted proxies' CIDRs"),
  ),
  access: mapOf(
    () => PROBE_NAMES,
    accessRule,
    `an object mapping ${PROBE_NAMES.map((p) => `"${p}"`).join(', ')} to 'public', 'status' or 'internal'`,
  ),
  groups: groupsRule,
  deniedStatus: is((v) => v === 403 || v === 404, '403 or 404'),
  guard: is(
    (v) =>
      typeof v === 'function' &&
      (v === InternalNetworkGuard || v.prototype instanceof InternalNetworkGuard),
    'InternalNetworkGuard or a class that extends it',
  ),
  redact: arrayOf(
    is(
      (rule) => rule instanceof RegExp || (isObject(rule) && rule.pattern instanceof RegExp),
      'a RegExp or { pattern: RegExp, replacement?: string | function }',
    ),
    'an array of RegExps or { pattern: RegExp, replacement?: string | function } rules',
  ),
  shutdown,
  probeTimeoutMs: timeout,
  startupBudgetMs: is(integer(0, MAX_TIMER_MS), ms('0 (a failure is an error from the first)')),
  slowCheckMs: is(integer(0, MAX_TIMER_MS), ms('0 (never warn)')),
  logger: is(
    (v) =>
      v === false ||
      (isObject(v) && ['log', 'warn', 'error'].every((m) => typeof v[m] === 'function')),
    'false, or a LoggerService (an object with log(), warn() and error())',
  ),
  refreshIntervalMs: refresh,
  probeServer,
  metrics: either(
    shape({ registry: is(() => true, 'a prom-client Registry') }, 'true, false, or { registry }'),
    bool,
  ),
  grpc: either(
    shape(
      { maxWatchStreams: is(integer(1, 1_000_000), 'an integer from 1 to 1000000') },
      'true, false, or { maxWatchStreams? }',
    ),
    bool,
  ),
};

const INDICATOR_RULES: Record<keyof HealthIndicatorOptions, Rule> = {
  name: nameRule,
  critical: bool,
  timeoutMs: timeout,
  cacheTtlMs: ttl,
  probes: probesRule,
  measurement: nameRule,
  componentType,
  refreshIntervalMs: refresh,
  failureThreshold: threshold,
};

/** @internal Every key of the module options but those that shape the module (`BUILD_TIME_OPTIONS`). */
export const MODULE_OPTION_KEYS = Object.freeze(Object.keys(MODULE_RULES));

/** @internal Every key of `@HealthIndicator()` options: the one list, derived from their rules. */
export const INDICATOR_OPTION_KEYS = Object.freeze(
  Object.keys(INDICATOR_RULES),
) as readonly (keyof HealthIndicatorOptions)[];

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
    probeServer: resolveProbeServer(given.probeServer),
    grpc: resolveGrpc(given),
  };
}

/** The gRPC health service, whose aliases no group may take while it is on. */
function resolveGrpc(given: HealthModuleOptions): ResolvedHealthOptions['grpc'] {
  if (!given.grpc) return false;
  for (const name of Object.keys(given.groups ?? {})) {
    const alias = GRPC_ALIASES.get(name);
    if (alias !== undefined) throw new Error(messages.grpcAliasTaken(name, alias));
  }
  const settings = given.grpc === true ? {} : given.grpc;
  return {
    maxWatchStreams: settings.maxWatchStreams ?? DEFAULT_MODULE_OPTIONS.grpc.maxWatchStreams,
  };
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

/** The probe server with its defaults; `port` is required. */
function resolveProbeServer(
  given: HealthModuleOptions['probeServer'],
): ResolvedHealthOptions['probeServer'] {
  if (given === undefined || given === false) return false;
  if (given.port === undefined) {
    const problem = { kind: 'invalid' as const, at: 'probeServer.port', value: undefined };
    throw new Error(
      messages.moduleOptionProblem({ ...problem, valid: 'a port number, such as 9000' }),
    );
  }
  return { ...DEFAULT_MODULE_OPTIONS.probeServer, ...definedOnly(given), port: given.port };
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

/** @internal Validates one indicator's decorator options and applies the module's defaults. */
export function resolveIndicatorOptions(
  cls: string,
  raw: unknown,
  module: ResolvedHealthOptions,
): ResolvedIndicatorOptions {
  if (!isObject(raw)) {
    throw new Error(
      messages.indicatorOptionProblem(cls, {
        kind: 'invalid',
        at: 'options',
        value: raw,
        valid: 'an object with a name',
      }),
    );
  }
  const rules = shape(INDICATOR_RULES, 'an object with a name');
  check(raw, rules, (problem) => messages.indicatorOptionProblem(cls, problem));
  const given = raw as Partial<HealthIndicatorOptions>;
  if (given.name === undefined) {
    throw new Error(messages.indicatorOptionProblem(cls, nameRule(undefined, 'name')!));
  }
  if (given.name === DIAGNOSTICS_COMPONENT) throw new Error(messages.reservedName(given.name, cls));
  return {
    name: given.name,
    critical: given.critical ?? true,
    timeoutMs: given.timeoutMs ?? module.defaultTimeoutMs,
    cacheTtlMs: given.cacheTtlMs ?? module.cacheTtlMs,
    probes: new Set(given.probes ?? ['ready']),
    measurement: given.measurement ?? 'responseTime',
    componentType: given.componentType ?? 'component',
    refreshIntervalMs: given.refreshIntervalMs ?? module.refreshIntervalMs,
    failureThreshold: given.failureThreshold ?? 1,
  };
}
