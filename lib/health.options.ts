import { DEFAULT_MODULE_OPTIONS, DIAGNOSTICS_COMPONENT, MAX_TIMER_MS } from './health.constants.js';
import { messages } from './health.messages.js';
import type { IndicatorProbe } from './interfaces/health-check.interface.js';
import type { HealthIndicatorOptions } from './interfaces/health-indicator-options.interface.js';
import type { LoggerService } from '@nestjs/common';
import { constants } from 'node:os';
import type {
  HealthModuleOptions,
  ProbeAccess,
  ShutdownOptions,
} from './interfaces/health-module-options.interface.js';
import type { ProbeName } from './interfaces/health-check.interface.js';
import { InternalNetworkGuard } from './internal-network.guard.js';
import { DEFAULT_INTERNAL_NETWORKS, type TrustProxy } from './network.policy.js';
import type { RedactionRule } from './redactor.js';

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
  access: Readonly<Record<ProbeName, ProbeAccess>>;
  deniedStatus: 403 | 404;
  guard: NonNullable<HealthModuleOptions['guard']>;
  redact: readonly (RedactionRule | RegExp)[];
  shutdown: false | Required<ShutdownOptions>;
  probeTimeoutMs: number;
  controllerDecorators: readonly ClassDecorator[];
  slowCheckMs: number;
  logger: LoggerService | false | undefined;
  refreshIntervalMs: number | undefined;
  metrics: false | { registry?: unknown };
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

type Check = { test: (v: unknown) => boolean; valid: string };

const timeout: Check = {
  test: (v) => Number.isInteger(v) && (v as number) >= 1 && (v as number) <= MAX_TIMER_MS,
  valid: `an integer number of milliseconds from 1 to ${MAX_TIMER_MS}`,
};
const ttl: Check = {
  test: (v) => Number.isInteger(v) && (v as number) >= 0 && (v as number) <= MAX_TIMER_MS,
  valid: `an integer number of milliseconds from 0 (no caching) to ${MAX_TIMER_MS}`,
};
const text: Check = {
  test: (v) => typeof v === 'string' && v.trim().length > 0 && v.length <= 256,
  valid: 'a non-empty string of at most 256 characters',
};
const path: Check = {
  test: (v) => typeof v === 'string' && /^\/?([A-Za-z0-9._~-]+(\/[A-Za-z0-9._~-]+)*)?\/?$/.test(v),
  valid: `a route prefix such as "health" or "internal/health" (letters, digits, ".", "_", "~", "-" between slashes; "" for the root)`,
};
const bool: Check = { test: (v) => typeof v === 'boolean', valid: 'true or false' };
const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const name: Check = {
  test: (v) => typeof v === 'string' && NAME.test(v),
  valid: 'a string of 1-64 letters, digits, ".", "_" or "-", starting with a letter or digit',
};
const PROBES: readonly IndicatorProbe[] = ['startup', 'ready', 'deep'];
const probes: Check = {
  test: (v) =>
    Array.isArray(v) && v.length > 0 && v.every((p) => PROBES.includes(p as IndicatorProbe)),
  valid: `a non-empty array of ${PROBES.map((p) => `'${p}'`).join(', ')}`,
};

const strings = (v: unknown) => Array.isArray(v) && v.every((item) => typeof item === 'string');
const ACCESS: readonly unknown[] = ['public', 'status', 'internal'];
const PROBE_NAMES: readonly string[] = ['live', 'ready', 'startup', 'deep'];

const SHUTDOWN_KEYS: readonly string[] = ['signals', 'delayMs', 'gracePeriodMs'];
const isSignal = (v: unknown) => typeof v === 'string' && v in constants.signals;
const shutdown: Check = {
  test: (v) =>
    v === false ||
    (isObject(v) &&
      Object.keys(v).every((key) => SHUTDOWN_KEYS.includes(key)) &&
      (v.signals === undefined || (Array.isArray(v.signals) && v.signals.every(isSignal))) &&
      (v.delayMs === undefined || ttl.test(v.delayMs)) &&
      (v.gracePeriodMs === undefined || ttl.test(v.gracePeriodMs))),
  valid:
    "false, or { signals?: signal names such as ['SIGTERM'], delayMs?: ms >= 0, gracePeriodMs?: ms >= 0 }",
};

const refresh: Check = {
  test: (v) => Number.isInteger(v) && (v as number) >= 100 && (v as number) <= MAX_TIMER_MS,
  valid: `an integer number of milliseconds from 100 to ${MAX_TIMER_MS}`,
};
const threshold: Check = {
  test: (v) => Number.isInteger(v) && (v as number) >= 1 && (v as number) <= 100,
  valid: 'an integer from 1 to 100',
};

const MODULE_CHECKS: Record<keyof HealthModuleOptions, Check> = {
  path,
  defaultTimeoutMs: timeout,
  cacheTtlMs: ttl,
  version: text,
  releaseId: text,
  serviceId: text,
  description: text,
  internalNetworks: {
    test: strings,
    valid:
      'an array of CIDRs such as ["10.0.0.0/8", "fd00::/8"] (an empty array: nobody is internal)',
  },
  trustProxy: {
    test: (v) =>
      v === false ||
      (Number.isInteger(v) && (v as number) >= 0 && (v as number) <= 32) ||
      strings(v),
    valid:
      "false, a number of trusted proxy hops (0-32), or an array of the trusted proxies' CIDRs",
  },
  access: {
    test: (v) =>
      isObject(v) &&
      Object.entries(v).every(
        ([probe, access]) => PROBE_NAMES.includes(probe) && ACCESS.includes(access),
      ),
    valid: `an object mapping "live", "ready", "startup" or "deep" to 'public', 'status' or 'internal'`,
  },
  deniedStatus: { test: (v) => v === 403 || v === 404, valid: '403 or 404' },
  guard: {
    test: (v) =>
      typeof v === 'function' &&
      (v === InternalNetworkGuard || v.prototype instanceof InternalNetworkGuard),
    valid: 'InternalNetworkGuard or a class that extends it',
  },
  redact: {
    test: (v) =>
      Array.isArray(v) &&
      v.every(
        (rule) => rule instanceof RegExp || (isObject(rule) && rule.pattern instanceof RegExp),
      ),
    valid: 'an array of RegExps or { pattern: RegExp, replacement?: string | function } rules',
  },
  shutdown,
  probeTimeoutMs: timeout,
  controllerDecorators: {
    test: (v) => Array.isArray(v) && v.every((d) => typeof d === 'function'),
    valid: 'an array of class decorators, such as [Public(), SkipThrottle()]',
  },
  slowCheckMs: ttl,
  logger: {
    test: (v) =>
      v === false ||
      (isObject(v) && ['log', 'warn', 'error'].every((m) => typeof v[m] === 'function')),
    valid: 'false, or a LoggerService (an object with log(), warn() and error())',
  },
  refreshIntervalMs: refresh,
  metrics: {
    test: (v) =>
      typeof v === 'boolean' || (isObject(v) && Object.keys(v).every((k) => k === 'registry')),
    valid: 'true, false, or { registry } (a prom-client Registry)',
  },
};

const INDICATOR_CHECKS: Record<keyof HealthIndicatorOptions, Check> = {
  name,
  critical: bool,
  timeoutMs: timeout,
  cacheTtlMs: ttl,
  probes,
  measurement: name,
  componentType: text,
  refreshIntervalMs: refresh,
  failureThreshold: threshold,
};

/** @internal Every key of `@HealthIndicator()` options: the one list, derived from their rules. */
export const INDICATOR_OPTION_KEYS = Object.freeze(
  Object.keys(INDICATOR_CHECKS),
) as readonly (keyof HealthIndicatorOptions)[];

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** @internal Validates every given option against its rule; undefined means "use the default". */
function validate(
  raw: Record<string, unknown>,
  rules: Record<string, Check>,
  unknown: (key: string) => string,
  invalid: (key: string, value: unknown, valid: string) => string,
): void {
  for (const [key, value] of Object.entries(raw)) {
    const rule = rules[key];
    if (!rule) throw new Error(unknown(key));
    if (value !== undefined && !rule.test(value)) throw new Error(invalid(key, value, rule.valid));
  }
}

/** @internal Validates module options and merges the defaults, or throws what to change. */
export function resolveHealthOptions(raw: unknown = {}): ResolvedHealthOptions {
  const options = raw ?? {};
  if (!isObject(options)) throw new Error(messages.optionsNotObject(options));
  validate(
    options,
    MODULE_CHECKS,
    (key) => messages.unknownOption(key, Object.keys(MODULE_CHECKS)),
    messages.invalidOption,
  );
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
    access: Object.freeze({ ...DEFAULT_MODULE_OPTIONS.access, ...given.access }),
    deniedStatus: given.deniedStatus ?? DEFAULT_MODULE_OPTIONS.deniedStatus,
    guard: given.guard ?? InternalNetworkGuard,
    redact: given.redact ?? [],
    shutdown: given.shutdown === false ? false : resolveShutdown(given.shutdown),
    probeTimeoutMs: given.probeTimeoutMs ?? DEFAULT_MODULE_OPTIONS.probeTimeoutMs,
    controllerDecorators: given.controllerDecorators ?? [],
    slowCheckMs: given.slowCheckMs ?? DEFAULT_MODULE_OPTIONS.slowCheckMs,
    logger: given.logger,
    refreshIntervalMs: given.refreshIntervalMs,
    metrics: given.metrics ? (given.metrics === true ? {} : given.metrics) : false,
  };
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
    throw new Error(messages.invalidIndicatorOption(cls, 'options', raw, 'an object with a name'));
  }
  validate(
    raw,
    INDICATOR_CHECKS,
    (key) => messages.unknownIndicatorOption(cls, key, Object.keys(INDICATOR_CHECKS)),
    (key, value, valid) => messages.invalidIndicatorOption(cls, key, value, valid),
  );
  const given = raw as Partial<HealthIndicatorOptions>;
  if (given.name === undefined) {
    throw new Error(messages.invalidIndicatorOption(cls, 'name', undefined, name.valid));
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
