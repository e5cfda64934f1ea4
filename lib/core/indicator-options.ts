import { DIAGNOSTICS_COMPONENT } from './health.constants.js';
import { messages } from './health.messages.js';
import { check, isObject, shape, type Rule } from './option.rules.js';
import {
  bool,
  componentType,
  nameRule,
  probesRule,
  refresh,
  threshold,
  timeout,
  ttl,
} from './value.rules.js';
import type { IndicatorProbe } from '../interfaces/health-check.interface.js';
import type { HealthIndicatorOptions } from '../interfaces/health-indicator-options.interface.js';

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
  /** Made for a client auto-discovery found (`autoIndicators`), not declared: reports say so. */
  autoDiscovered?: boolean;
}

/** @internal What an indicator takes from the module's options when it sets none of its own. */
export interface IndicatorDefaults {
  defaultTimeoutMs: number;
  cacheTtlMs: number;
  refreshIntervalMs: number | undefined;
}

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

/** @internal Every key of `@HealthIndicator()` options: the one list, derived from their rules. */
export const INDICATOR_OPTION_KEYS = Object.freeze(
  Object.keys(INDICATOR_RULES),
) as readonly (keyof HealthIndicatorOptions)[];

/** @internal Validates one indicator's decorator options and applies the module's defaults. */
export function resolveIndicatorOptions(
  cls: string,
  raw: unknown,
  module: IndicatorDefaults,
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
