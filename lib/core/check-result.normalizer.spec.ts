import { describe, expect, it } from '@jest/globals';
import { boundText, errorMessage, fromResolvedValue, jsonSafe } from './check-result.normalizer.js';
import { OUTPUT_MAX_LENGTH } from './health.constants.js';

describe('fromResolvedValue', () => {
  it('treats nothing as a pass', () => {
    expect(fromResolvedValue(undefined)).toEqual({ status: 'pass' });
    expect(fromResolvedValue(null)).toEqual({ status: 'pass' });
  });

  it('honours every field of a CheckResult', () => {
    expect(
      fromResolvedValue({
        status: 'warn',
        observedValue: 12,
        observedUnit: 'connections',
        componentType: 'datastore',
        output: 'pool nearly exhausted',
        details: { max: 15 },
      }),
    ).toEqual({
      status: 'warn',
      observedValue: 12,
      observedUnit: 'connections',
      componentType: 'datastore',
      output: 'pool nearly exhausted',
      details: { max: 15 },
    });
  });

  it.each([
    [
      42,
      /check\(\) resolved with number 42; resolve with nothing \(pass\) or a CheckResult object/,
    ],
    ['ok', /resolved with "ok"/],
    [[1, 2], /resolved with an array of 2/],
    [{ status: 'fine' }, /resolved with status "fine"; use 'pass', 'warn' or 'fail' \(or 'up'/],
    [{ healthy: 'yes' }, /resolved with healthy "yes"; use true or false/],
    [{ ok: 0 }, /resolved with ok number 0; use true or false/],
    [{ observedValue: NaN }, /observedValue number NaN; use a finite number/],
    [{ observedValue: {} }, /observedValue an object/],
    [{ observedUnit: 5 }, /observedUnit number 5; use a string/],
    [{ output: ['x'] }, /output an array of 1 item; use a string/],
  ])('fails a garbage value %j, saying what to return', (value, output) => {
    const result = fromResolvedValue(value);
    expect(result.status).toBe('fail');
    expect(result.output).toMatch(output);
  });

  it.each([
    [true, { status: 'pass' }],
    [false, { status: 'fail', output: 'check() resolved with false' }],
    [{ ok: true }, { status: 'pass' }],
    [{ ok: false }, { status: 'fail', output: 'check() resolved with ok: false' }],
    [{ up: false }, { status: 'fail', output: 'check() resolved with up: false' }],
    [
      { healthy: false, error: 'replica lag 30 s' },
      { status: 'fail', output: 'replica lag 30 s' },
    ],
    [
      { healthy: true, error: new Error('disk read-only') },
      { status: 'fail', output: 'disk read-only' },
    ],
    [
      { healthy: false, message: 'draining' },
      { status: 'fail', output: 'draining' },
    ],
    [{ healthy: true, error: null }, { status: 'pass' }],
    [{ status: 'UP' }, { status: 'pass' }],
    [{ status: 'ok' }, { status: 'pass' }],
    [{ status: 'healthy' }, { status: 'pass' }],
    [{ status: 'down' }, { status: 'fail', output: 'status "down"' }],
    [
      { status: 'DOWN', output: 'no quorum' },
      { status: 'fail', output: 'no quorum' },
    ],
    [
      { status: 'error', error: 'timeout' },
      { status: 'fail', output: 'timeout' },
    ],
    [{ status: 'OUT_OF_SERVICE' }, { status: 'fail', output: 'status "OUT_OF_SERVICE"' }],
    [{ status: 'unhealthy' }, { status: 'fail', output: 'status "unhealthy"' }],
    [
      { status: 'degraded', message: 'slow' },
      { status: 'warn', output: 'slow' },
    ],
    [
      { status: 'up', ok: false },
      { status: 'fail', output: 'check() resolved with ok: false' },
    ],
    [new Error('connection reset'), { status: 'fail', output: 'connection reset' }],
    [new TypeError('x is not a function'), { status: 'fail', output: 'x is not a function' }],
    [{ db: { status: 'down', message: 'refused' } }, { status: 'fail', output: 'refused' }],
    [{ db: { status: 'up' } }, { status: 'pass' }],
    [{ connections: 5 }, { status: 'pass' }],
    [{}, { status: 'pass' }],
  ])('reads %j by the conventions it follows', (value, expected) => {
    expect(fromResolvedValue(value)).toEqual(expected);
  });

  it('fails on an Error from another realm, returned rather than thrown', async () => {
    const { runInNewContext } = await import('node:vm');
    const foreign = runInNewContext('new Error("from a vm context")') as unknown;
    expect(foreign instanceof Error).toBe(false);
    expect(fromResolvedValue(foreign)).toEqual({ status: 'fail', output: 'from a vm context' });
  });

  it('fails, without throwing, on an object whose fields throw when read', () => {
    const hostile = Object.defineProperty({}, 'status', {
      get() {
        throw new Error('boom');
      },
      enumerable: true,
    });
    expect(fromResolvedValue(hostile)).toEqual({
      status: 'fail',
      output: 'check() resolved with an object whose fields cannot be read',
    });
  });

  it('keeps a check with odd details passing, leaving them to the redactor', () => {
    const details: Record<string, unknown> = { n: 1n };
    details.self = details;
    const result = fromResolvedValue({ details });
    expect(result.status).toBe('pass');
    expect(result.details).toBe(details);
  });
});

describe('errorMessage', () => {
  it('uses the message of an Error, never its stack', () => {
    const error = new Error('connection refused');
    expect(errorMessage(error)).toBe('connection refused');
    expect(errorMessage(error)).not.toMatch(/at /);
  });

  it('reads the first inner error of an AggregateError without a message', () => {
    const error = new AggregateError([new Error('connect ECONNREFUSED 127.0.0.1:5432')], '');
    expect(errorMessage(error)).toBe('connect ECONNREFUSED 127.0.0.1:5432');
  });

  it('adds the message of the cause, as undici hides the reason of "fetch failed" there', () => {
    const error = new TypeError('fetch failed', {
      cause: Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), { code: 'ECONNREFUSED' }),
    });
    expect(errorMessage(error)).toBe('fetch failed: connect ECONNREFUSED 127.0.0.1:9');
  });

  it('falls back to the code, then the name, of an error without a message', () => {
    expect(errorMessage(Object.assign(new Error(''), { code: 'ETIMEDOUT' }))).toBe('ETIMEDOUT');
    expect(errorMessage(new TypeError(''))).toBe('TypeError without a message');
  });

  it.each([
    ['a string', 'a string'],
    [42, 'check() failed with a non-Error value: number 42'],
    [undefined, 'check() failed with a non-Error value: undefined'],
    [{ reason: 'x' }, 'check() failed with a non-Error value: an object'],
    [Symbol('boom'), 'check() failed with a non-Error value: a symbol'],
  ])('describes a rejection with %j', (value, message) => {
    expect(errorMessage(value)).toBe(message);
  });

  it('survives an error whose message getter throws', () => {
    const error = Object.defineProperty({}, 'message', {
      get() {
        throw new Error('boom');
      },
    });
    expect(errorMessage(error)).toBe('check() failed with an error that cannot be read');
  });
});

describe('boundText', () => {
  it(`truncates to ${OUTPUT_MAX_LENGTH} characters with an ellipsis, on one line`, () => {
    const text = boundText(`line one\n${'x'.repeat(10_000)}`);
    expect(text).toHaveLength(OUTPUT_MAX_LENGTH);
    expect(text.endsWith('…')).toBe(true);
    expect(text).not.toContain('\n');
  });
});

describe('jsonSafe', () => {
  it('makes odd values JSON-safe', () => {
    const details: Record<string, unknown> = { n: 1n, fn: () => 1, when: new Date(0) };
    details.self = details;
    expect(jsonSafe(details)).toEqual({
      n: '1',
      when: '1970-01-01T00:00:00.000Z',
      self: '[Circular]',
    });
  });

  it('bounds the whole copy, so one enormous structure cannot stall the event loop', () => {
    const row = Array.from({ length: 50 }, () => 'x'.repeat(50));
    const cube = Array.from({ length: 50 }, () => Array.from({ length: 50 }, () => row));
    const huge = Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`k${i}`, cube]));
    const started = performance.now();
    const text = JSON.stringify(jsonSafe(huge));
    expect(performance.now() - started).toBeLessThan(100);
    expect(text.length).toBeLessThan(32 * 1024);
    expect(text).toContain('more');
  });

  it('bounds depth, keys, items and strings', () => {
    const deep = { a: { b: { c: { d: { e: 1 } } } } };
    const wide = Object.fromEntries(Array.from({ length: 60 }, (_, i) => [`k${i}`, i]));
    const safe = jsonSafe({
      deep,
      wide,
      list: Array.from({ length: 60 }, (_, i) => i),
      text: 'y'.repeat(5000),
    }) as Record<string, Record<string, unknown>>;
    expect(JSON.stringify(safe.deep)).toBe('{"a":{"b":{"c":"[Object]"}}}');
    expect(Object.keys(safe.wide)).toHaveLength(51);
    expect(safe.list).toHaveLength(51);
    expect((safe.text as unknown as string).length).toBeLessThanOrEqual(512);
  });

  it('serialises an error as its message only', () => {
    expect(jsonSafe({ cause: new Error('nope') })).toEqual({ cause: 'nope' });
  });

  it('keeps a shared (non-circular) reference', () => {
    const shared = { x: 1 };
    expect(jsonSafe({ a: shared, b: shared })).toEqual({
      a: { x: 1 },
      b: { x: 1 },
    });
  });
});
