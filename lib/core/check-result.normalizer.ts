import { DETAILS_LIMITS } from './health.constants.js';
import { fromTerminusShape, isError, verdictOf } from './check-result.conventions.js';
import { boundText } from './bounded-text.js';
import { describe } from './health.messages.js';
import type { ComponentType, HealthStatus } from '../interfaces/health-check.interface.js';

/** @internal What one run of a check amounts to, before timing and naming are added. */
export interface NormalizedResult {
  status: HealthStatus;
  observedValue?: number | string | boolean;
  observedUnit?: string;
  componentType?: ComponentType;
  output?: string;
  /** Raw: the redactor makes a JSON-safe, redacted, bounded copy (`Redactor.details`). */
  details?: unknown;
}

function fail(output: string): NormalizedResult {
  return { status: 'fail', output };
}

export { boundText };

/**
 * @internal Turns whatever `check()` resolved with into a result: nothing, `true` or a
 * `CheckResult` as documented; the common shapes of other libraries by what they say
 * (`{ healthy: false }`, `{ status: 'down' }`, a returned Error, a terminus result...); any other
 * object passes; any other value is the indicator's bug and fails, saying what to return.
 */
export function fromResolvedValue(value: unknown): NormalizedResult {
  if (value === undefined || value === null || value === true) return { status: 'pass' };
  if (value === false) return fail('check() resolved with false');
  if (isError(value)) return fail(errorMessage(value));
  if (typeof value !== 'object' || Array.isArray(value)) {
    return fail(
      `check() resolved with ${describe(value)}; resolve with nothing (pass) or a CheckResult object, or throw to fail`,
    );
  }
  try {
    const record = value as Record<string, unknown>;
    return fromCheckResult(
      (fromTerminusShape(record) as Record<string, unknown> | undefined) ?? record,
    );
  } catch {
    return fail('check() resolved with an object whose fields cannot be read');
  }
}

function fromCheckResult(value: Record<string, unknown>): NormalizedResult {
  const { observedValue, observedUnit, componentType, output, details, message, error } = value;
  const verdict = verdictOf(value);
  if (typeof verdict === 'string') return fail(verdict);
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
  const result: NormalizedResult = { status: verdict.status };
  if (observedValue !== undefined) {
    result.observedValue =
      typeof observedValue === 'string' ? boundText(observedValue) : (observedValue as number);
  }
  if (observedUnit !== undefined) result.observedUnit = boundText(observedUnit as string, 32);
  if (componentType !== undefined) result.componentType = boundText(componentType as string, 128);
  if (output !== undefined) result.output = output as string;
  else if (verdict.status !== 'pass') result.output = whyNot(error, message, verdict.why);
  if (details !== undefined) result.details = details;
  return result;
}

/** The output of a result that did not pass and gave none: its error, its message, or the field. */
function whyNot(error: unknown, message: unknown, field: string | undefined): string | undefined {
  if (error !== undefined && error !== null && error !== false && error !== '') {
    return errorMessage(error);
  }
  if (typeof message === 'string' && message.trim()) return message;
  return field;
}

/**
 * @internal The message of whatever a check threw or rejected with. Never a stack, never the
 * error object itself: only text, which the caller bounds and redacts.
 */
export function errorMessage(error: unknown, depth = 0): string {
  try {
    if (typeof error === 'string') return error.trim() || 'check() failed with an empty message';
    if (typeof error === 'object' && error !== null) {
      const { message, code, name, errors, cause } = error as Record<string, unknown>;
      if (typeof message === 'string' && message.trim()) {
        // undici says only "fetch failed"; the reason is in the cause.
        const reason = cause !== undefined && depth < 3 ? errorMessage(cause, depth + 1) : '';
        return reason && !reason.startsWith('check() failed') ? `${message}: ${reason}` : message;
      }
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

/** @internal How `jsonSafe` treats strings and keys, and its budget of values. */
export interface SafeCopyContext {
  /** Makes a string safe to serve: redacted, then bounded. */
  text(value: string): string;
  /** Whether the value under this key is a secret, masked whole. */
  isSecretKey(key: string): boolean;
  /** Values still allowed; decremented as the copy grows. */
  nodes: number;
}

/** @internal The context of a plain bounded copy, with no redaction. */
export function plainContext(): SafeCopyContext {
  return {
    text: (value) => boundText(value, DETAILS_LIMITS.stringLength),
    isSecretKey: () => false,
    nodes: DETAILS_LIMITS.nodes,
  };
}

/**
 * @internal A JSON-safe, bounded copy of free-form details: circular references, functions,
 * symbols, bigints, errors and huge structures can never break, bloat or stall a response.
 */
export function jsonSafe(
  value: unknown,
  context: SafeCopyContext = plainContext(),
  depth = 0,
  seen = new WeakSet<object>(),
): unknown {
  if (context.nodes <= 0) return '[truncated]';
  context.nodes--;
  switch (typeof value) {
    case 'string':
      return context.text(value);
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
  if (object instanceof Error) return context.text(errorMessage(object));
  if (ArrayBuffer.isView(object))
    return `[${object.constructor.name} of ${object.byteLength} bytes]`;
  if (seen.has(object)) return '[Circular]';
  if (depth >= DETAILS_LIMITS.depth) return Array.isArray(object) ? '[Array]' : '[Object]';
  seen.add(object);
  try {
    if (Array.isArray(object) || object instanceof Set) {
      const items = Array.from(object as Iterable<unknown>);
      const copy: unknown[] = [];
      for (const item of items.slice(0, DETAILS_LIMITS.items)) {
        if (context.nodes <= 0) break;
        copy.push(jsonSafe(item, context, depth + 1, seen) ?? null);
      }
      if (items.length > copy.length) copy.push(`[${items.length - copy.length} more]`);
      return copy;
    }
    const entries = object instanceof Map ? [...object.entries()] : Object.entries(object);
    const copy: Record<string, unknown> = {};
    let kept = 0;
    for (const [rawKey, item] of entries.slice(0, DETAILS_LIMITS.keys)) {
      if (context.nodes <= 0) break;
      const key = String(rawKey);
      kept++;
      if (context.isSecretKey(key)) {
        context.nodes--;
        copy[key] = '***';
        continue;
      }
      const safe = readSafely(() => jsonSafe(item, context, depth + 1, seen));
      if (safe !== undefined) copy[key] = safe;
    }
    if (entries.length > kept) copy['…'] = `${entries.length - kept} more keys`;
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
