import type { AbandonedCalls } from './abandoned-calls.js';
import type { CheckOutcome } from './check-outcome.js';
import type { Settled } from './check.call.js';
import { errorMessage, fromResolvedValue } from './check-result.normalizer.js';
import type { ResolvedIndicatorOptions } from './indicator-options.js';
import type { Redactor } from './redactor.js';
import type { CheckReport } from '../interfaces/health-check.interface.js';

/**
 * @internal The outcome of one run, from how its call ended: whatever check() resolved with,
 * normalised and redacted once, its output noting calls still held, frozen.
 */
export function toOutcome(
  settled: Settled,
  durationMs: number,
  options: ResolvedIndicatorOptions,
  redactor: Redactor,
  abandoned: AbandonedCalls,
): CheckOutcome {
  const result =
    'value' in settled
      ? fromResolvedValue(settled.value)
      : 'error' in settled
        ? { status: 'fail' as const, output: errorMessage(settled.error) }
        : {
            status: 'fail' as const,
            output:
              'waiting' in settled ? settled.waiting : `timed out after ${options.timeoutMs} ms`,
          };
  const note =
    'waiting' in settled
      ? undefined
      : abandoned.note('timedOut' in settled ? settled.call : undefined);
  if (note !== undefined && result.status !== 'pass') {
    result.output = result.output === undefined ? note : `${result.output}; ${note}`;
  }
  const observedAt = Date.now();
  const report: CheckReport = {
    componentId: options.name,
    componentType: result.componentType ?? options.componentType,
    status: result.status,
    observedValue: result.observedValue ?? Math.round(durationMs * 100) / 100,
    observedUnit: result.observedValue === undefined ? 'ms' : result.observedUnit,
    time: new Date(observedAt).toISOString(),
  };
  if (report.observedUnit === undefined) delete report.observedUnit;
  if (options.autoDiscovered) report.autoDiscovered = true;
  if (result.output !== undefined && result.status !== 'pass') {
    report.output = redactor.output(result.output);
  }
  if (result.details !== undefined) report.details = redactor.details(result.details);
  return {
    check: options.name,
    key: `${options.name}:${options.measurement}`,
    critical: options.critical,
    status: result.status,
    report: Object.freeze(report),
    observedAt,
    durationMs,
    failed: result.status === 'fail',
    timedOut: 'timedOut' in settled || 'waiting' in settled,
  };
}

/** @internal Below `threshold` consecutive failures (`failures`, this one counted), a failure reports `warn`. */
export function damped(outcome: CheckOutcome, failures: number, threshold: number): CheckOutcome {
  if (outcome.status !== 'fail' || failures >= threshold) return outcome;
  const output = `${outcome.report.output ?? 'failed'} (failure ${failures} of ${threshold})`;
  return {
    ...outcome,
    status: 'warn',
    report: Object.freeze({ ...outcome.report, status: 'warn', output }),
  };
}
