import type { HealthCheck } from '../interfaces/health-check.interface.js';
import type { HealthIndicatorOptions } from '../interfaces/health-indicator-options.interface.js';

/** @internal An indicator that no provider declares: one for a client auto-discovery found. */
export interface SourcedIndicator {
  /** Its name in start-up errors (`RedisHealthIndicator(redis)`). */
  readonly label: string;
  /** Its options, as `@HealthIndicator()` would give them. */
  readonly options: HealthIndicatorOptions;
  readonly check: HealthCheck;
}

/**
 * @internal Where indicators come from besides `@HealthIndicator()` providers. The explorer asks
 * once at start-up, after the decorated ones are known and before any probe selects its checks,
 * so that every transport reads a table that already holds them. Its indicators are marked as
 * auto-discovered in every report.
 */
export interface IndicatorSource {
  /** `declared`: the decorated indicators, by name (their names are taken). */
  indicators(declared: ReadonlyMap<string, object>): readonly SourcedIndicator[];
}

/** @internal The injection token of the `IndicatorSource`, when the application has one. */
export const INDICATOR_SOURCE = Symbol('nestjs-probes:IndicatorSource');
