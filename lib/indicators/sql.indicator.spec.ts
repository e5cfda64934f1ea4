import { describe, expect, it } from '@jest/globals';
import { errorMessage } from '../core/check-result.normalizer.js';
import { SqlHealthIndicator, type SqlClient } from './sql.indicator.js';

async function outcome(client: SqlClient, query?: string, signal = new AbortController().signal) {
  try {
    return { result: await new SqlHealthIndicator({ client, query }).check(signal) };
  } catch (error) {
    return { output: errorMessage(error) };
  }
}

describe('SqlHealthIndicator', () => {
  it('runs the statement with the method the client has', async () => {
    const ran: string[] = [];
    const record = (via: string) => async (sql: string) => ran.push(`${via}: ${sql}`);
    const knex = Object.assign(() => undefined, { raw: record('knex') });
    const clients: SqlClient[] = [
      // Prisma's own query() would be a model, so $queryRawUnsafe() comes first.
      { $queryRawUnsafe: record('prisma'), query: record('wrong') } as SqlClient,
      knex,
      { query: record('query') },
      // mysql2's callback API: through its promise() wrapper.
      { query: () => ({}), promise: () => ({ query: record('mysql2') }) } as unknown as SqlClient,
    ];
    for (const client of clients) {
      expect((await outcome(client, 'SELECT 2')).result).toEqual({});
    }
    expect(ran).toEqual([
      'prisma: SELECT 2',
      'knex: SELECT 2',
      'query: SELECT 2',
      'mysql2: SELECT 2',
    ]);
  });

  it('refuses, at start-up, a client with no method to run SQL with', () => {
    // An object's raw() (MikroORM's, say) may only build a fragment: only Knex's runs it.
    for (const client of [{ raw: async () => [] }, null, 'postgres://localhost']) {
      expect(() => new SqlHealthIndicator({ client: client as unknown as SqlClient })).toThrow(
        /^SqlHealthIndicator needs an SQL client: a TypeORM DataSource or EntityManager, a Prisma client \(\$queryRawUnsafe\(\)\), a Knex instance \(raw\(\)\), or any client whose query\(\) returns a promise \(an object with query\(\)\), got /,
      );
    }
  });

  it('fails with the statement and the cause, however the client fails', async () => {
    expect(await outcome({ query: () => Promise.reject(new Error('no such table')) })).toEqual({
      output: 'SELECT 1 failed: no such table',
    });
    const throwing = {
      query: () => {
        throw new Error('not initialized');
      },
    };
    expect(await outcome(throwing)).toEqual({ output: 'SELECT 1 failed: not initialized' });
    // Knex's errors name the statement already.
    const knex = Object.assign(() => undefined, {
      raw: () => Promise.reject(new Error('SELECT 1 - connect ECONNREFUSED')),
    });
    expect(await outcome(knex)).toEqual({ output: 'SELECT 1 - connect ECONNREFUSED' });
    // A client of a callback API would pass without having run anything.
    expect(await outcome({ query: () => ({}) } as unknown as SqlClient)).toEqual({
      output:
        'the client answered SELECT 1 with no promise: pass a client of a promise API (for mysql2, its promise() wrapper)',
    });
  });

  it('stops waiting when the signal aborts', async () => {
    const controller = new AbortController();
    const running = outcome(
      { query: () => new Promise(() => undefined) },
      undefined,
      controller.signal,
    );
    controller.abort(new Error('timed out'));
    expect(await running).toEqual({ output: 'SELECT 1 failed: timed out' });
  });
});
