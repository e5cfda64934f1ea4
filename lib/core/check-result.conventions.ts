import { describe } from './health.messages.js';
import type { CheckResult, HealthStatus } from '../interfaces/health-check.interface.js';
import { fromTerminusResult } from './terminus-result.js';

/**
 * @internal The shapes people return from a health check besides a `CheckResult`, and what each
 * says. Whatever says "unhealthy" must fail: a check that reported its failure in a shape of its
 * own and passed would be a lie.
 */

/** Status words, case-insensitive: ours, Spring's, terminus', and the common ones. */
const STATUS_WORDS: Readonly<Record<string, HealthStatus>> = {
  pass: 'pass',
  ok: 'pass',
  up: 'pass',
  healthy: 'pass',
  warn: 'warn',
  warning: 'warn',
  degraded: 'warn',
  fail: 'fail',
  failed: 'fail',
  failure: 'fail',
  down: 'fail',
  error: 'fail',
  unhealthy: 'fail',
  out_of_service: 'fail',
};

/** Boolean fields that say whether it is healthy. */
const FLAGS = ['healthy', 'ok', 'up'] as const;

/** Every field with a meaning; an object with none of them is judged by its shape. */
export const KNOWN_FIELDS: ReadonlySet<string> = new Set([
  'status',
  'observedValue',
  'observedUnit',
  'componentType',
  'output',
  'details',
  'message',
  'error',
  ...FLAGS,
]);

const SEVERITY: Record<HealthStatus, number> = { pass: 0, warn: 1, fail: 2 };

/** What the fields of a result say, the worst first; or why they cannot be read. */
export interface Verdict {
  status: HealthStatus;
  /** Why it did not pass, when no `output` says so: the field that said it. */
  why?: string;
}

const VALID_STATUS = `use 'pass', 'warn' or 'fail' (or 'up', 'ok', 'healthy', 'degraded', 'down', 'error'...)`;

/** The status the fields say, the worst of them winning; a string when one is unreadable. */
export function verdictOf(value: Record<string, unknown>): Verdict | string {
  const verdicts: Verdict[] = [{ status: 'pass' }];
  const { status, error } = value;
  if (status !== undefined) {
    const word = typeof status === 'string' ? STATUS_WORDS[status.toLowerCase()] : undefined;
    if (word === undefined)
      return `check() resolved with status ${describe(status)}; ${VALID_STATUS}`;
    verdicts.push({ status: word, why: `status "${String(status)}"` });
  }
  for (const flag of FLAGS) {
    const said = value[flag];
    if (said === undefined) continue;
    if (typeof said !== 'boolean') {
      return `check() resolved with ${flag} ${describe(said)}; use true or false`;
    }
    if (!said) verdicts.push({ status: 'fail', why: `check() resolved with ${flag}: false` });
  }
  if (error !== undefined && error !== null && error !== false && error !== '') {
    verdicts.push({ status: 'fail', why: 'check() resolved with an error' });
  }
  return verdicts.reduce((worst, next) =>
    SEVERITY[next.status] > SEVERITY[worst.status] ? next : worst,
  );
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * A terminus `HealthIndicatorResult` (`{ db: { status: 'down', message } }`), which migrating
 * checks return: an object with none of our fields whose every value has a terminus status.
 */
export function fromTerminusShape(value: Record<string, unknown>): CheckResult | undefined {
  const entries = Object.entries(value);
  const terminus =
    entries.length > 0 &&
    entries.every(([key, entry]) => {
      if (KNOWN_FIELDS.has(key) || !isRecord(entry)) return false;
      const status = entry.status;
      return status === 'up' || status === 'down' || status === 'degraded';
    });
  return terminus
    ? fromTerminusResult(value as Parameters<typeof fromTerminusResult>[0])
    : undefined;
}

/** Whether a value is an Error, from this realm or another (a `vm` context, a worker). */
export function isError(value: unknown): value is Error {
  return value instanceof Error || Object.prototype.toString.call(value) === '[object Error]';
}
