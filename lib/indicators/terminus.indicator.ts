import { messages } from '../core/health.messages.js';
import type { CheckResult } from '../interfaces/health-check.interface.js';
import { BuiltInIndicator } from './support/built-in.indicator.js';
import { settingKeysOf } from './support/setting.rules.js';
import { abortable } from './support/client-call.js';

import {
  entriesOf,
  fromTerminusResult,
  isRecord,
  type HealthIndicatorResultLike,
} from '../core/terminus-result.js';

export {
  fromTerminusResult,
  type HealthIndicatorResultLike,
  type TerminusIndicatorDetailLike,
  type TerminusStatus,
} from '../core/terminus-result.js';

/**
 * A terminus `HealthIndicatorFunction`, as written in `HealthCheckService.check([...])`:
 * `() => memory.checkHeap('heap', 150 * 1024 * 1024)`. It may return a `HealthCheckAttempt`
 * (`() => indicator.check('db').attempt(fn)`), which is awaited. It is also given the check's
 * `AbortSignal`, for functions of your own that can stop their work.
 */
export type TerminusCheckFunction = (options: {
  signal: AbortSignal;
}) => PromiseLike<HealthIndicatorResultLike> | HealthIndicatorResultLike;

/** Settings of `TerminusHealthIndicator`. */
export interface TerminusIndicatorSettings {
  /** The terminus indicator function to run on each check. Required. */
  check: TerminusCheckFunction;
}

/**
 * The indicator results inside what a terminus call resolved with, or threw: a
 * `HealthIndicatorResult` itself, or a whole `HealthCheckResult` (`{ status: 'ok', details }`,
 * as `HealthCheckService.check([...])` resolves with, or carries in its 503 exception).
 */
function unwrap(value: unknown): unknown {
  if (isRecord(value) && typeof value.status === 'string' && isRecord(value.details)) {
    return value.details;
  }
  return value;
}

/**
 * What a terminus error carries: a `HealthCheckError`'s `causes` and message, or the result in
 * the 503 exception of `HealthCheckService.check([...])` (whose message says nothing).
 */
function carriedBy(error: unknown): { causes: unknown; message?: string } | undefined {
  if (!isRecord(error) && !(error instanceof Error)) return undefined;
  const { causes, getResponse, message } = error as Record<string, unknown>;
  // The older API: `throw new HealthCheckError(message, this.getStatus(key, false, data))`.
  if (isRecord(causes)) {
    return { causes, message: typeof message === 'string' && message.trim() ? message : undefined };
  }
  if (typeof getResponse === 'function') {
    try {
      const response: unknown = getResponse.call(error);
      if (isRecord(response) && typeof response.status === 'string' && isRecord(response.details)) {
        const shutting = response.status === 'shutting_down';
        return { causes: response.details, message: shutting ? 'shutting down' : undefined };
      }
    } catch {
      return undefined;
    }
  }
  return undefined;
}

/**
 * Runs a terminus indicator function and maps its outcome to a `CheckResult`: its result as
 * `fromTerminusResult()` does; a thrown terminus `HealthCheckError` (older terminus) to `fail` with
 * the error's message and its causes as details. A whole terminus endpoint works too
 * (`() => health.check([...])`): its `details` are read, resolved or from its 503 exception. Any
 * other error is rethrown, for the runner to report as `fail` with its message. The function cannot
 * be stopped (terminus functions take no signal), but the returned promise rejects as soon as
 * `signal` aborts.
 */
export async function runTerminusCheck(
  check: TerminusCheckFunction,
  signal: AbortSignal = new AbortController().signal,
): Promise<CheckResult> {
  signal.throwIfAborted();
  let result: unknown;
  try {
    result = await abortable(
      (async () => check({ signal }))() as Promise<HealthIndicatorResultLike>,
      signal,
    );
  } catch (error) {
    if (signal.aborted && error === signal.reason) throw error;
    const carried = carriedBy(error);
    if (carried === undefined || typeof entriesOf(carried.causes) === 'string') throw error;
    const { causes, message } = carried;
    const fromCauses = fromTerminusResult(causes as HealthIndicatorResultLike);
    // The causes' own message is kept when it says more than the error's.
    const cause = fromCauses.status === 'pass' ? undefined : fromCauses.output;
    const output =
      message === undefined
        ? (cause ?? 'the terminus check failed')
        : cause === undefined || message.includes(cause)
          ? message
          : `${message}: ${cause}`;
    return { status: 'fail', output, details: causes as object };
  }
  return fromTerminusResult(unwrap(result) as HealthIndicatorResultLike);
}

/**
 * Runs an existing `@nestjs/terminus` indicator as one of ours, so a migration can move the probes
 * first and rewrite the indicators later. Terminus' services come from DI like any dependency:
 *
 * ```ts
 * TerminusHealthIndicator.registerAsync({
 *   name: 'heap',
 *   inject: [MemoryHealthIndicator], // terminus' own, from TerminusModule
 *   useFactory: (memory: MemoryHealthIndicator) => ({
 *     check: () => memory.checkHeap('heap', 150 * 1024 * 1024),
 *   }),
 * });
 * ```
 *
 * `up` passes, `degraded` warns, `down` fails with the result's `message` (else `<key> is down`);
 * the result's other data become the details. See `fromTerminusResult()` and `runTerminusCheck()`.
 */
export class TerminusHealthIndicator extends BuiltInIndicator<TerminusIndicatorSettings> {
  static override readonly defaults = { name: 'terminus', componentType: 'component' };
  static override readonly settingKeys = settingKeysOf<TerminusIndicatorSettings>('check');
  static override readonly peer = '@nestjs/terminus';

  protected override validate(settings: TerminusIndicatorSettings): void {
    const bad = (setting: string, got: unknown, valid: string) =>
      new Error(messages.badSetting(this.constructor.name, setting, got, valid));
    const { check } = settings as { check: unknown };
    if (typeof check !== 'function') {
      // A promise, or a HealthCheckAttempt, would be settled once and then answer for ever.
      const thenable = isRecord(check) && typeof check.then === 'function';
      throw bad(
        'check',
        check,
        thenable
          ? 'a function that starts a new check on each call; wrap it: "check: () => indicator.check(\'db\').attempt(fn)"'
          : 'a terminus indicator function, such as "check: () => memory.checkHeap(\'heap\', 150 * 1024 * 1024)"',
      );
    }
  }

  check(signal: AbortSignal): Promise<CheckResult> {
    return runTerminusCheck(this.settings.check, signal);
  }
}
