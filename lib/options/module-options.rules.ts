import { constants } from 'node:os';
import { MAX_TIMER_MS } from '../core/health.constants.js';
import { arrayOf, either, is, isObject, mapOf, shape, type Rule } from '../core/option.rules.js';
import { isGroupName, PROBES, RESERVED_NAMES } from '../core/probe.definitions.js';
import {
  bool,
  delay,
  integer,
  ms,
  nameRule,
  refresh,
  strings,
  text,
  timeout,
  ttl,
} from '../core/value.rules.js';
import type { HealthModuleOptions } from '../interfaces/health-module-options.interface.js';
import { InternalNetworkGuard } from '../transports/http/internal-network.guard.js';

/** OpenTelemetry's instrument name syntax, in dot-separated parts (no empty one). */
const OTEL_PREFIX = /^[A-Za-z][\w/-]*(\.[\w/-]+)*$/;

/** @internal The rules of `HealthModule.forRoot()` options, one per option, nested ones included. */
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

const probeServer = either(
  shape(
    {
      port: is(integer(0, 65_535), 'a port number from 1 to 65535 (0: any free port)'),
      host: is(
        (v) => typeof v === 'string' && /^[A-Za-z0-9.:_%-]{1,253}$/.test(v),
        "an address or host name such as '0.0.0.0', '::' or 'localhost'",
      ),
      maxStallMs: is(integer(500, MAX_TIMER_MS), ms('500')),
      grpcPort: is(integer(0, 65_535), 'a port number from 1 to 65535 (0: any free port)'),
    },
    '{ port, host?, maxStallMs?, grpcPort? }, or false',
  ),
  is((v) => v === false, 'false'),
);
const checkNames = arrayOf(nameRule, 'an array of check names, such as ["typeorm", "redis"]');
const autoIndicators = either(
  shape(
    {
      probes: shape(
        { ready: checkNames, startup: checkNames },
        "{ ready?: ['<check>', ...], startup?: ['<check>', ...] }",
      ),
      critical: checkNames,
      exclude: checkNames,
    },
    'true, false, or { probes?, critical?, exclude? }',
  ),
  bool,
);
export const MODULE_RULES: Record<keyof HealthModuleOptions, Rule> = {
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
  openTelemetry: either(
    shape(
      {
        meterProvider: is(
          (v) => isObject(v) && typeof v.getMeter === 'function',
          'an OpenTelemetry MeterProvider (an object with getMeter())',
        ),
        prefix: is(
          (v) => typeof v === 'string' && OTEL_PREFIX.test(v) && v.length <= 200,
          'a metric name prefix of up to 200 characters such as "orders" or "shop.orders": letters, digits, "_", "-" and "/" in dot-separated parts, starting with a letter',
        ),
      },
      'true, false, or { meterProvider?, prefix? }',
    ),
    bool,
  ),
  grpc: either(
    shape(
      { maxWatchStreams: is(integer(1, 1_000_000), 'an integer from 1 to 1000000') },
      'true, false, or { maxWatchStreams? }',
    ),
    bool,
  ),
  statusPage: either(
    shape(
      { maxStreams: is(integer(1, 1000), 'an integer from 1 to 1000') },
      'true, false, or { maxStreams? }',
    ),
    bool,
  ),
  autoIndicators,
};
