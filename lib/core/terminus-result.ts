import { describe } from './health.messages.js';
import type { CheckResult, HealthStatus } from '../interfaces/health-check.interface.js';

/*
 * A terminus result, as one of the shapes a check may resolve with (check-result.conventions.ts),
 * read by the core; `TerminusHealthIndicator` runs terminus' indicator functions.
 */

// Structural types only: '@nestjs/terminus' is an optional peer, and these declarations must not
// import it. Terminus' own types (`HealthIndicatorResult`...) are assignable to them.

/** The status of one key of a terminus `HealthIndicatorResult`. */
export type TerminusStatus = 'up' | 'degraded' | 'down';

/** One key's entry in a terminus result: `{ status: 'down', message: '...', ...data }`. */
export interface TerminusIndicatorDetailLike {
  status: TerminusStatus;
  [data: string]: unknown;
}

/**
 * A terminus `HealthIndicatorResult`, such as `{ heap: { status: 'up' } }`: one key per indicator
 * (usually one), each with its status and free-form data.
 */
export type HealthIndicatorResultLike = Record<string, TerminusIndicatorDetailLike>;

const SEVERITY: Record<TerminusStatus, number> = { up: 0, degraded: 1, down: 2 };
const TO_STATUS: Record<TerminusStatus, HealthStatus> = {
  up: 'pass',
  degraded: 'warn',
  down: 'fail',
};
const HOW = { degraded: 'is degraded', down: 'is down' } as const;

/** @internal */
export const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const isTerminusStatus = (value: unknown): value is TerminusStatus =>
  value === 'up' || value === 'degraded' || value === 'down';

const EXPECTED =
  "return a terminus HealthIndicatorResult, such as { heap: { status: 'up' } } (check.up(), check.down(), check.degraded())";

/** @internal The entries of a terminus result, or why it is not one. */
export function entriesOf(result: unknown): [string, TerminusIndicatorDetailLike][] | string {
  if (!isRecord(result)) return `the terminus check resolved with ${describe(result)}; ${EXPECTED}`;
  const entries = Object.entries(result);
  if (entries.length === 0) return `the terminus check resolved with an empty object; ${EXPECTED}`;
  for (const [key, detail] of entries) {
    if (!isRecord(detail) || !isTerminusStatus(detail.status)) {
      const got = isRecord(detail) ? `status ${describe(detail.status)}` : describe(detail);
      return `the terminus check resolved with ${got} under "${key}"; ${EXPECTED}`;
    }
  }
  return entries as [string, TerminusIndicatorDetailLike][];
}

/** The text a terminus entry gives for itself: its `message`, else `<key> is down`. */
function textOf(key: string, detail: TerminusIndicatorDetailLike): string {
  const { message } = detail;
  if (typeof message === 'string' && message.trim()) return message;
  return `${key} ${HOW[detail.status as keyof typeof HOW] ?? 'is up'}`;
}

/**
 * A `CheckResult` from a terminus `HealthIndicatorResult`, for a custom indicator that calls
 * terminus indicators itself:
 *
 * ```ts
 * async check() {
 *   return fromTerminusResult(await this.memory.checkHeap('heap', 150 * 1024 * 1024));
 * }
 * ```
 *
 * `up` → pass, `degraded` → warn, `down` → fail, with the entry's `message` (else `<key> is down`)
 * as the output, and its other data as details. With several keys the worst status wins, the
 * output names each key at that status (`<key>: <message>`), and the details are keyed by the
 * terminus key. Anything that is not a terminus result fails, saying what to return.
 */
export function fromTerminusResult(result: HealthIndicatorResultLike): CheckResult {
  const entries = entriesOf(result);
  if (typeof entries === 'string') return { status: 'fail', output: entries };
  const worst = entries.reduce<TerminusStatus>(
    (status, [, detail]) => (SEVERITY[detail.status] > SEVERITY[status] ? detail.status : status),
    'up',
  );
  const status = TO_STATUS[worst];
  if (entries.length === 1) {
    const [[key, detail]] = entries;
    const { status: _status, ...data } = detail;
    if (worst !== 'up') delete data.message; // it is the output
    const checked: CheckResult = { status };
    if (worst !== 'up') checked.output = textOf(key, detail);
    if (Object.keys(data).length > 0) checked.details = data;
    return checked;
  }
  const checked: CheckResult = { status, details: Object.fromEntries(entries) };
  if (worst !== 'up') {
    checked.output = entries
      .filter(([, detail]) => detail.status === worst)
      .map(([key, detail]) => `${key}: ${textOf(key, detail)}`)
      .join('; ');
  }
  return checked;
}
