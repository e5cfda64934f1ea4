import { describe, expect, it, jest } from '@jest/globals';
import { EventEmitter } from 'node:events';
import { errorMessage } from '../core/check-result.normalizer.js';
import {
  PostgresHealthIndicator,
  type PgClient,
  type PgPool,
  type PgPoolClient,
} from './postgres.indicator.js';

/** Runs a check to its end, and says how it ended as the runner would show it. */
async function outcome(indicator: PostgresHealthIndicator, signal = new AbortController().signal) {
  try {
    return { result: await indicator.check(signal) };
  } catch (error) {
    return { output: errorMessage(error) };
  }
}

/** A stand-in for a pg Pool that hands out one client, and records how it comes back. */
function fakePool(query: (text: string) => Promise<unknown>) {
  const released: unknown[] = [];
  const client: PgPoolClient = { query, release: (destroy) => released.push(destroy) };
  const pool: PgPool = {
    connect: (callback) => setImmediate(() => callback(undefined, client, () => undefined)),
    totalCount: 1,
    idleCount: 0,
    waitingCount: 0,
  };
  return { pool, released };
}

describe('PostgresHealthIndicator', () => {
  it('refuses, at start-up, a client that is not a pg Pool or Client', () => {
    expect(() => new PostgresHealthIndicator({ client: {} as PgClient })).toThrow(
      'PostgresHealthIndicator needs a pg Pool or Client (an object with query()), got an object.',
    );
  });

  it('refuses an empty query', () => {
    const client: PgClient = { query: async () => undefined };
    expect(() => new PostgresHealthIndicator({ client, query: ' ' })).toThrow(
      'PostgresHealthIndicator: "query" is " "; it must be an SQL statement, such as "SELECT 1".',
    );
  });

  it('borrows a client from a pool, runs the query and gives the client back', async () => {
    const queries: string[] = [];
    const { pool, released } = fakePool(async (text) => queries.push(text));
    const { result } = await outcome(
      new PostgresHealthIndicator({ client: pool, query: 'SELECT 2' }),
    );
    expect(queries).toEqual(['SELECT 2']);
    expect(released).toEqual([false]);
    expect(result).toEqual({ details: { totalCount: 1, idleCount: 0, waitingCount: 0 } });
  });

  it('says which step failed: getting a client, or the query', async () => {
    const refusing: PgPool = {
      ...fakePool(async () => undefined).pool,
      connect: (callback) => callback(new Error('connect ECONNREFUSED'), undefined, () => {}),
    };
    expect(await outcome(new PostgresHealthIndicator({ client: refusing }))).toEqual({
      output: 'could not get a connection from the pool: connect ECONNREFUSED',
    });
    const { pool, released } = fakePool(() => Promise.reject(new Error('relation does not exist')));
    expect(await outcome(new PostgresHealthIndicator({ client: pool }))).toEqual({
      output: 'SELECT 1 failed: relation does not exist',
    });
    // A query that failed leaves a usable connection: it goes back to the pool.
    expect(released).toEqual([false]);
  });

  it('destroys the connection a query hangs on when the check times out', async () => {
    const { pool, released } = fakePool(() => new Promise(() => undefined));
    const controller = new AbortController();
    const running = outcome(new PostgresHealthIndicator({ client: pool }), controller.signal);
    await new Promise((resolve) => setTimeout(resolve, 10));
    controller.abort(new Error('timed out'));
    expect(await running).toEqual({ output: 'SELECT 1 failed: timed out' });
    expect(released).toEqual([true]);
  });

  it('gives back, unused, a client that comes after the check timed out', async () => {
    const { pool, released } = fakePool(async () => undefined);
    const controller = new AbortController();
    const running = outcome(new PostgresHealthIndicator({ client: pool }), controller.signal);
    controller.abort(new Error('timed out'));
    expect(await running).toEqual({
      output: 'could not get a connection from the pool: timed out',
    });
    await new Promise((resolve) => setImmediate(resolve));
    expect(released).toEqual([undefined]);
  });

  it('hears the errors of a client it holds, from the handover, and leaves no listener on it', async () => {
    // pg-pool removes its own listener as it hands a client out: an error emitted in the same
    // tick (a FATAL read with the ReadyForQuery) finds only the indicator's.
    const client = Object.assign(new EventEmitter(), {
      query: jest.fn(async () => undefined),
      release: jest.fn(),
    });
    const pool: PgPool = {
      connect: (callback) =>
        setImmediate(() => {
          callback(undefined, client, () => undefined);
          client.emit('error', new Error('terminating connection due to administrator command'));
        }),
      totalCount: 1,
      idleCount: 0,
      waitingCount: 0,
    };
    expect(await outcome(new PostgresHealthIndicator({ client: pool }))).toEqual({
      output: 'SELECT 1 failed: terminating connection due to administrator command',
    });
    expect(client.query).not.toHaveBeenCalled();
    expect(client.release).toHaveBeenCalledWith(true);
    expect(client.listenerCount('error')).toBe(0);
  });

  it('does not queue a query behind one still running on a single client', async () => {
    const pending: (() => void)[] = [];
    const client: PgClient = {
      query: () => new Promise((resolve) => pending.push(() => resolve(undefined))),
    };
    const indicator = new PostgresHealthIndicator({ client });
    for (let run = 0; run < 3; run++) {
      const controller = new AbortController();
      const running = outcome(indicator, controller.signal);
      await new Promise((resolve) => setTimeout(resolve, 5));
      controller.abort(new Error('timed out'));
      expect(await running).toEqual({ output: 'SELECT 1 failed: timed out' });
    }
    expect(pending).toHaveLength(1);
    // Once it has answered, the next run sends a query of its own.
    pending[0]();
    await new Promise((resolve) => setTimeout(resolve, 5));
    const next = outcome(indicator);
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(pending).toHaveLength(2);
    pending[1]();
    expect((await next).result).toEqual({});
  });
});
