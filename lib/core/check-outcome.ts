import type { CheckReport, HealthStatus } from '../interfaces/health-check.interface.js';

/** @internal One finished run of an indicator: immutable, shared by every probe that reads it. */
export interface CheckOutcome {
  /** The indicator's name. */
  readonly check: string;
  /** `<name>:<measurement>`: its key in a report's `checks`. */
  readonly key: string;
  /** Whether its failure fails a probe (else it degrades it). */
  readonly critical: boolean;
  readonly status: HealthStatus;
  /** The entry served under `checks["<name>:<measurement>"]`. */
  readonly report: CheckReport;
  /** When the run finished (ms since the epoch). */
  readonly observedAt: number;
  readonly durationMs: number;
  /** Whether the run itself failed, even when `failureThreshold` reports it as `warn`. */
  readonly failed: boolean;
  /** Whether the run timed out (or waited for an earlier call that did), rather than answering. */
  readonly timedOut: boolean;
}

/** A background result older than this many intervals (plus the timeout) is stale. */
const STALE_AFTER_INTERVALS = 3;

/** @internal How old a result of a check run every `intervalMs` may be before it is stale. */
export function staleAfterMs(intervalMs: number, timeoutMs: number): number {
  return intervalMs * STALE_AFTER_INTERVALS + timeoutMs;
}

/**
 * @internal The outcome as a failure when it is older than `maxAgeMs`: a schedule that should
 * have refreshed it has stalled. `undefined` while it is fresh.
 */
export function staleOutcome(
  outcome: CheckOutcome,
  maxAgeMs: number,
  now: number,
): CheckOutcome | undefined {
  const age = now - outcome.observedAt;
  if (age <= maxAgeMs) return undefined;
  const output = `stale: the last result is ${(age / 1000).toFixed(1)} s old`;
  return {
    ...outcome,
    failed: true,
    status: 'fail',
    report: Object.freeze({ ...outcome.report, status: 'fail', output }),
  };
}
