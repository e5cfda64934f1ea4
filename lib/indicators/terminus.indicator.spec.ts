import { describe, expect, it } from '@jest/globals';
import { HealthIndicatorService } from '@nestjs/terminus';
import {
  fromTerminusResult,
  runTerminusCheck,
  TerminusHealthIndicator,
  type HealthIndicatorResultLike,
  type TerminusCheckFunction,
} from './terminus.indicator.js';

const terminus = new HealthIndicatorService();

const check = (fn: TerminusCheckFunction, signal = new AbortController().signal) =>
  new TerminusHealthIndicator({ check: fn }).check(signal);

/** Several terminus indicators in one result, as `{ ...a(), ...b() }` builds it. */
const several = () => ({
  ...terminus.check('primary').up(),
  ...terminus.check('replica').degraded({ lagMs: 900 }),
  ...terminus.check('cache').down('connection refused'),
  ...terminus.check('search').down(),
});

const make = (settings: unknown) =>
  new TerminusHealthIndicator(settings as { check: TerminusCheckFunction });

/** The older terminus API's error: `new HealthCheckError(message, causes)`. */
class HealthCheckError extends Error {
  readonly isHealthCheckError = true;
  constructor(
    message: string,
    readonly causes: unknown,
  ) {
    super(message);
  }
}

describe('TerminusHealthIndicator', () => {
  it('passes on up, with the data as details', async () => {
    expect(await check(() => terminus.check('heap').up())).toEqual({ status: 'pass' });
    expect(await check(async () => terminus.check('db').up({ version: '16.2' }))).toEqual({
      status: 'pass',
      details: { version: '16.2' },
    });
    // A message on a passing result is data, not an output (outputs are for warn and fail).
    expect(await check(() => terminus.check('db').up('fine'))).toEqual({
      status: 'pass',
      details: { message: 'fine' },
    });
  });

  it("fails on down with the result's message, else <key> is down", async () => {
    expect(
      await check(() => terminus.check('heap').down({ message: 'Used heap exceeded', used: 9 })),
    ).toEqual({ status: 'fail', output: 'Used heap exceeded', details: { used: 9 } });
    expect(await check(() => terminus.check('db').down())).toEqual({
      status: 'fail',
      output: 'db is down',
    });
  });

  it('warns on degraded', async () => {
    expect(await check(() => terminus.check('queue').degraded({ backlog: 120 }))).toEqual({
      status: 'warn',
      output: 'queue is degraded',
      details: { backlog: 120 },
    });
    expect(await check(() => terminus.check('queue').degraded('slow'))).toMatchObject({
      status: 'warn',
      output: 'slow',
    });
  });

  it('awaits a HealthCheckAttempt, and its failure fails', async () => {
    expect(
      await check(() =>
        terminus
          .check('api')
          .attempt(() => ({ ok: true }))
          .withTimeout(1000),
      ),
    ).toMatchObject({ status: 'pass', details: { ok: true, responseTime: expect.any(Number) } });
    expect(
      await check(() =>
        terminus.check('api').attempt(() => {
          throw new Error('connect ECONNREFUSED');
        }),
      ),
    ).toMatchObject({ status: 'fail', output: 'connect ECONNREFUSED' });
  });

  it('takes the worst status of several keys, details keyed by the terminus key', async () => {
    expect(await check(several)).toEqual({
      status: 'fail',
      output: 'cache: connection refused; search: search is down',
      details: {
        primary: { status: 'up' },
        replica: { status: 'degraded', lagMs: 900 },
        cache: { status: 'down', message: 'connection refused' },
        search: { status: 'down' },
      },
    });
    expect(
      await check(() => ({
        ...terminus.check('primary').up(),
        ...terminus.check('replica').degraded({ message: 'lagging' }),
      })),
    ).toMatchObject({ status: 'warn', output: 'replica: lagging' });
  });

  it('fails on an old HealthCheckError with its message, and its causes as details', async () => {
    const causes = { heap: { status: 'down', message: 'Used heap exceeded the set threshold' } };
    expect(
      await check(() => {
        throw new HealthCheckError('Heap check failed', causes);
      }),
    ).toEqual({
      status: 'fail',
      output: 'Heap check failed: Used heap exceeded the set threshold',
      details: causes,
    });
    // Not repeated when the error already says it.
    expect(
      await check(async () => {
        throw new HealthCheckError('Used heap exceeded the set threshold', causes);
      }),
    ).toMatchObject({ output: 'Used heap exceeded the set threshold', details: causes });
  });

  it('rethrows any other error, for the runner to fail with its message', async () => {
    await expect(
      check(() => {
        throw new Error('Not connected to database');
      }),
    ).rejects.toThrow('Not connected to database');
    await expect(check(() => Promise.reject(new TypeError('boom')))).rejects.toThrow('boom');
    // `causes` that are not a terminus result do not make it a HealthCheckError.
    await expect(
      check(() => {
        throw new HealthCheckError('odd', 'not a result');
      }),
    ).rejects.toThrow('odd');
  });

  it('reads a whole HealthCheckService result, resolved or in its 503 exception', async () => {
    const details = { heap: { status: 'up' }, db: { status: 'down', message: 'timeout' } };
    const okResult = { status: 'ok', info: {}, error: {}, details: { heap: { status: 'up' } } };
    expect(await check(() => okResult as unknown as HealthIndicatorResultLike)).toEqual({
      status: 'pass',
    });
    const unavailable = Object.assign(new Error('Service Unavailable Exception'), {
      getResponse: () => ({ status: 'error', info: {}, error: {}, details }),
    });
    expect(
      await check(() => {
        throw unavailable;
      }),
    ).toEqual({ status: 'fail', output: 'db: timeout', details });
  });

  it('fails on garbage, saying what to return', async () => {
    const garbage: unknown[] = [
      undefined,
      null,
      'up',
      true,
      [{ status: 'up' }],
      {},
      { heap: 'up' },
      { heap: { status: 'ok' } },
      { heap: {} },
    ];
    for (const value of garbage) {
      const result = await check(() => value as HealthIndicatorResultLike);
      expect(result).toEqual({
        status: 'fail',
        output: expect.stringMatching(
          /^the terminus check resolved with .+; return a terminus HealthIndicatorResult/,
        ),
      });
    }
    expect(await check(() => ({ heap: { status: 'ok' } }) as never)).toMatchObject({
      output: expect.stringContaining('status "ok" under "heap"'),
    });
  });

  it('rejects with the abort reason as soon as the signal aborts, and not after', async () => {
    const controller = new AbortController();
    const hung = check(() => new Promise<never>(() => {}), controller.signal);
    const reason = new DOMException('timed out', 'TimeoutError');
    controller.abort(reason);
    await expect(hung).rejects.toBe(reason);
    // Already aborted: the function is not even called.
    let called = false;
    await expect(
      check(() => {
        called = true;
        return terminus.check('x').up();
      }, controller.signal),
    ).rejects.toBe(reason);
    expect(called).toBe(false);
  });

  it('passes the signal on to a function that can use it', async () => {
    const controller = new AbortController();
    let seen: AbortSignal | undefined;
    await check(({ signal }) => {
      seen = signal;
      return terminus.check('x').up();
    }, controller.signal);
    expect(seen).toBe(controller.signal);
  });

  it('refuses at start-up a check that is not a function, saying what to write', () => {
    expect(() => make(undefined)).toThrow('TerminusHealthIndicator: "settings" is undefined');
    expect(() => make({})).toThrow(
      `TerminusHealthIndicator: "check" is undefined; it must be a terminus indicator function, such as "check: () => memory.checkHeap('heap', 150 * 1024 * 1024)"`,
    );
    // A HealthCheckAttempt is a thenable: it would settle once and answer for ever.
    expect(() => make({ check: terminus.check('db').attempt(() => {}) })).toThrow(
      /"check" is an object; it must be a function that starts a new check on each call/,
    );
  });

  it('has its defaults and peer', () => {
    expect(TerminusHealthIndicator.defaults).toEqual({
      name: 'terminus',
      componentType: 'component',
    });
    expect(TerminusHealthIndicator.peer).toBe('@nestjs/terminus');
  });
});

describe('fromTerminusResult and runTerminusCheck, in an indicator of your own', () => {
  it('map a result without the adapter', async () => {
    expect(fromTerminusResult(terminus.check('heap').down('too big'))).toEqual({
      status: 'fail',
      output: 'too big',
    });
    expect(await runTerminusCheck(() => terminus.check('heap').up())).toEqual({ status: 'pass' });
  });
});
