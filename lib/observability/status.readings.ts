import type { HealthStatus } from '../interfaces/health-check.interface.js';
import type { IndicatorRegistry } from '../core/indicator.registry.js';
import type { ProbeEvaluator } from '../core/probe.evaluator.js';

/**
 * @internal The statuses the metrics show, read from the core when they are collected (a
 * Prometheus scrape, an OpenTelemetry collection), the same for both: never as transports
 * answer, since the probe server answers from a worker, gRPC Watch from the watcher, and the
 * app's port may never be asked.
 */

/** The statuses a status metric has a series for, one of them at 1. */
export const STATUSES: readonly HealthStatus[] = ['pass', 'warn', 'fail'];

/** @internal A check as the status metrics show it. */
export interface CheckReading {
  check: string;
  critical: boolean;
  /** `undefined` before its first result. */
  status: HealthStatus | undefined;
}

/** @internal A probe or group as the status metrics show it. */
export interface ProbeReading {
  probe: string;
  status: HealthStatus;
}

/**
 * @internal Each check's current status, as the probes read it (a stale background result
 * fails), from the results at hand: nothing runs.
 */
export function readChecks(indicators: IndicatorRegistry, now = Date.now()): CheckReading[] {
  return indicators.all.map((runner) => ({
    check: runner.name,
    critical: runner.options.critical,
    status: runner.peek(now)?.status,
  }));
}

/**
 * @internal Each probe's current status, as every transport answers it now (gates included),
 * without the deep probe's diagnostics, which decide no status. None for a probe whose checks
 * have no result yet.
 */
export function readProbes(
  indicators: IndicatorRegistry,
  evaluator: ProbeEvaluator,
): ProbeReading[] {
  return indicators.probes.flatMap((definition) => {
    const status = evaluator.peek(definition, { diagnostics: false })?.status;
    return status === undefined ? [] : [{ probe: definition.name, status }];
  });
}
