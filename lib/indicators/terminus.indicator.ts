import { describe, messages } from '../core/health.messages.js';
import type { CheckResult, HealthStatus } from '../interfaces/health-check.interface.js';
import { BuiltInIndicator } from './support/built-in.indicator.js';
import { settingKeysOf } from './support/setting.rules.js';
import { abortable } from './support/client-call.js';

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

const SEVERITY: Record<TerminusStatus, number> = { up: 0, degraded: 1, down: 2 };
const TO_STATUS: Record<TerminusStatus, HealthStatus> = {
  up: 'pass',
  degraded: 'warn',
  down: 'fail',
};
const HOW = { degraded: 'is degraded', down: 'is down' } as const;

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const isTerminusStatus = (value: unknown): value is TerminusStatus =>
  value === 'up' || value === 'degraded' || value === 'down';

const EXPECTED =
  "return a terminus HealthIndicatorResult, such as { heap: { status: 'up' } } (check.up(), check.down(), check.degraded())";

/** The entries of a terminus result, or why it is not one. */
function entriesOf(result: unknown): [string, TerminusIndicatorDetailLike][] | string {
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
