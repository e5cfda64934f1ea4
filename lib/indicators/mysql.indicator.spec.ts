import { describe, expect, it } from '@jest/globals';
import { errorMessage } from '../core/check-result.normalizer.js';
import { MysqlHealthIndicator, type MysqlIndicatorSettings } from './mysql.indicator.js';

type Client = MysqlIndicatorSettings['client'];
type Callback = (error: unknown) => void;

async function outcome(indicator: MysqlHealthIndicator, signal = new AbortController().signal) {
  try {
    return { result: await indicator.check(signal) };
  } catch (error) {
    return { output: errorMessage(error) };
  }
}

/** A stand-in for a connection of mysql2's callback API. */
function fakeConnection(answer: (sql: string, callback: Callback) => void) {
  const connection = {
    queries: [] as string[],
    released: 0,
    destroyed: 0,
    query(options: { sql: string }, callback: Callback) {
      connection.queries.push(options.sql);
      answer(options.sql, callback);
    },
    promise: () => ({}),
    release: () => connection.released++,
    destroy: () => connection.destroyed++,
  };
  return connection;
}

/** A stand-in for a pool of mysql2's callback API, handing out `connection`. */
function fakePool(connection: ReturnType<typeof fakeConnection>) {
  return {
    getConnection: (callback: (error: unknown, c?: unknown) => void) =>
      setImmediate(() => callback(null, connection)),
    query: () => undefined,
    promise: () => ({}),
  };
}

const ok = (_sql: string, callback: Callback) => setImmediate(() => callback(null));

describe('MysqlHealthIndicator', () => {
  it('takes a pool or a connection of either mysql2 API', async () => {
    const connection = fakeConnection(ok);
    const pool = fakePool(connection);
    const clients: Client[] = [
      pool,
      connection,
      // mysql2/promise: a pool wraps the callback pool as .pool, a connection as .connection.
      { query: async () => [], pool } as Client,
      { query: async () => [], connection } as Client,
    ];
    for (const client of clients) {
      expect(await outcome(new MysqlHealthIndicator({ client }))).toEqual({ result: {} });
    }
    expect(connection.queries).toEqual(['SELECT 1', 'SELECT 1', 'SELECT 1', 'SELECT 1']);
    expect(connection.released).toBe(2);
  });

  it('refuses, at start-up, a client that is not of mysql2', () => {
    expect(() => new MysqlHealthIndicator({ client: 'mysql://localhost' as never })).toThrow(
      'MysqlHealthIndicator needs a mysql2 pool or connection, of "mysql2" or "mysql2/promise" (an object with query()), got "mysql://localhost".',
    );
    const other = { query: async () => [] };
    expect(() => new MysqlHealthIndicator({ client: other })).toThrow(
      /\(an object with query\(\), promise\(\)\), got an object\. .* For another SQL client, use SqlHealthIndicator\.$/,
    );
  });

  it('says which step failed: getting a connection, or the query', async () => {
    const refusing = {
      ...fakePool(fakeConnection(ok)),
      getConnection: (callback: (error: unknown) => void) =>
        callback(new Error('connect ECONNREFUSED')),
    };
    expect(await outcome(new MysqlHealthIndicator({ client: refusing }))).toEqual({
      output: 'could not get a connection from the pool: connect ECONNREFUSED',
    });
    const connection = fakeConnection((_sql, callback) => callback(new Error('Unknown column')));
    expect(
      await outcome(new MysqlHealthIndicator({ client: fakePool(connection), query: 'SELECT x' })),
    ).toEqual({ output: 'SELECT x failed: Unknown column' });
    expect(connection).toMatchObject({ released: 1, destroyed: 0 });
  });

  it('destroys the connection a query hangs on when the check times out', async () => {
    const connection = fakeConnection(() => undefined);
    const controller = new AbortController();
    const running = outcome(
      new MysqlHealthIndicator({ client: fakePool(connection) }),
      controller.signal,
    );
    await new Promise((resolve) => setTimeout(resolve, 10));
    controller.abort(new Error('timed out'));
    expect(await running).toEqual({ output: 'SELECT 1 failed: timed out' });
    expect(connection).toMatchObject({ released: 0, destroyed: 1 });
  });

  it('does not queue a query behind one still running on a single connection', async () => {
    const callbacks: Callback[] = [];
    const connection = fakeConnection((_sql, callback) => callbacks.push(callback));
    const indicator = new MysqlHealthIndicator({ client: connection });
    for (let run = 0; run < 3; run++) {
      const controller = new AbortController();
      const running = outcome(indicator, controller.signal);
      controller.abort(new Error('timed out'));
      expect(await running).toEqual({ output: 'SELECT 1 failed: timed out' });
    }
    expect(connection.queries).toHaveLength(1);
    // Once it has answered, the next run sends a query of its own.
    callbacks[0](null);
    await new Promise((resolve) => setImmediate(resolve));
    const next = outcome(indicator);
    expect(connection.queries).toHaveLength(2);
    callbacks[1](null);
    expect((await next).result).toEqual({});
  });
});
