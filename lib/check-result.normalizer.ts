import { DETAILS_LIMITS, OUTPUT_MAX_LENGTH } from './health.constants.js';
import { describe } from './health.messages.js';
import type { ComponentType, HealthStatus } from './interfaces/health-check.interface.js';

/** @internal What one run of a check amounts to, before timing and naming are added. */
export interface NormalizedResult {
  status: HealthStatus;
  observedValue?: number | string | boolean;
  observedUnit?: string;
  componentType?: ComponentType;
  output?: string;
  details?: Record<string, unknown>;
}

const STATUSES: readonly unknown[] = ['pass', 'warn', 'fail'];

/** @internal Truncates a text to the output bound, on one line. */
export function boundText(text: string, max = OUTPUT_MAX_LENGTH): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}

function fail(output: string): NormalizedResult {
  return { status: 'fail', output };
}

/**
 * @internal Turns whatever `check()` resolved with into a result. Nothing or a CheckResult is
 * honoured; any other value is the indicator's bug and fails the check, saying what to return.
 */
export function fromResolvedValue(value: unknown): NormalizedResult {
  if (value === undefined || value === null) return { status: 'pass' };
  if (typeof value !== 'object' || Array.isArray(value)) {
    return fail(
      `check() resolved with ${describe(value)}; resolve with nothing (pass) or a CheckResult object, or throw to fail`,
    );
  }
  try {
    return fromCheckResult(value as Record<string, unknown>);
  } catch {
    return fail('check() resolved with an object whose fields cannot be read');
  }
}

function fromCheckResult(value: Record<string, unknown>): NormalizedResult {
  const { status, observedValue, observedUnit, componentType, output, details } = value;
  if (status !== undefined && !STATUSES.includes(status)) {
    return fail(`check() resolved with status ${describe(status)}; use 'pass', 'warn' or 'fail'`);
  }
  const valueOk =
    observedValue === undefined ||
    typeof observedValue === 'string' ||
    typeof observedValue === 'boolean' ||
    (typeof observedValue === 'number' && Number.isFinite(observedValue));
  if (!valueOk) {
    return fail(
      `check() resolved with observedValue ${describe(observedValue)}; use a finite number, a string or a boolean`,
    );
  }
  for (const [field, text] of Object.entries({ observedUnit, componentType, output })) {
    if (text !== undefined && typeof text !== 'string') {
      return fail(`check() resolved with ${field} ${describe(text)}; use a string`);
    }
  }
  const result: NormalizedResult = { status: (status as HealthStatus | undefined) ?? 'pass' };
  if (observedValue !== undefined) {
    result.observedValue =
      typeof observedValue === 'string' ? boundText(observedValue) : (observedValue as number);
  }
  if (observedUnit !== undefined) result.observedUnit = boundText(observedUnit as string, 32);
  if (componentType !== undefined) result.componentType = boundText(componentType as string, 128);
  if (output !== undefined) result.output = output as string;
  if (details !== undefined) {
    const safe = jsonSafe(details, 0, new WeakSet());
    result.details =
      typeof safe === 'object' && safe !== null && !Array.isArray(safe)
        ? (safe as Record<string, unknown>)
        : { value: safe };
  }
  return result;
}

/**
 * @internal The message of whatever a check threw or rejected with. Never a stack, never the
 * error object itself: only text, which the caller bounds and redacts.
 */
export function errorMessage(error: unknown, depth = 0): string {
  try {
    if (typeof error === 'string') return error.trim() || 'check() failed with an empty message';
    if (typeof error === 'object' && error !== null) {
      const { message, code, name, errors } = error as Record<string, unknown>;
      if (typeof message === 'string' && message.trim()) return message;
      // Node's happy-eyeballs connect rejects with an AggregateError whose message is empty.
      if (Array.isArray(errors) && errors.length > 0 && depth < 3) {
        return errorMessage(errors[0], depth + 1);
      }
      if (typeof code === 'string' && code) return code;
      if (error instanceof Error)
        return `${typeof name === 'string' ? name : 'Error'} without a message`;
    }
    return `check() failed with a non-Error value: ${describe(error)}`;
  } catch {
    return 'check() failed with an error that cannot be read';
  }
}

/**
 * @internal A JSON-safe, bounded copy of free-form details: circular references, functions,
 * symbols, bigints, errors and huge structures can never break or bloat a response.
 */
export function jsonSafe(value: unknown, depth: number, seen: WeakSet<object>): unknown {
  switch (typeof value) {
    case 'string':
      return boundText(value, DETAILS_LIMITS.stringLength);
    case 'number':
      return Number.isFinite(value) ? value : String(value);
    case 'boolean':
      return value;
    case 'bigint':
      return value.toString();
    case 'undefined':
    case 'function':
    case 'symbol':
      return undefined;
  }
  if (value === null) return null;
  const object = value as object;
  if (object instanceof Date) return Number.isNaN(object.getTime()) ? null : object.toISOString();
  if (object instanceof Error) return boundText(errorMessage(object), DETAILS_LIMITS.stringLength);
  if (ArrayBuffer.isView(object))
    return `[${object.constructor.name} of ${object.byteLength} bytes]`;
  if (seen.has(object)) return '[Circular]';
  if (depth >= DETAILS_LIMITS.depth) return Array.isArray(object) ? '[Array]' : '[Object]';
  seen.add(object);
  try {
    if (Array.isArray(object) || object instanceof Set) {
      const items = Array.from(object as Iterable<unknown>);
      const copy = items
        .slice(0, DETAILS_LIMITS.items)
        .map((item) => jsonSafe(item, depth + 1, seen) ?? null);
      if (items.length > DETAILS_LIMITS.items) copy.push(`[${items.length - copy.length} more]`);
      return copy;
    }
    const entries = object instanceof Map ? [...object.entries()] : Object.entries(object);
    const copy: Record<string, unknown> = {};
    for (const [key, item] of entries.slice(0, DETAILS_LIMITS.keys)) {
      const safe = readSafely(() => jsonSafe(item, depth + 1, seen));
      if (safe !== undefined) copy[String(key)] = safe;
    }
    if (entries.length > DETAILS_LIMITS.keys) {
      copy['…'] = `${entries.length - DETAILS_LIMITS.keys} more keys`;
    }
    return copy;
  } catch {
    return '[Unreadable]';
  } finally {
    seen.delete(object);
  }
}

function readSafely(read: () => unknown): unknown {
  try {
    return read();
  } catch {
    return '[Unreadable]';
  }
}
