import { describe, expect, it } from '@jest/globals';
import { errorMessage } from '../core/check-result.normalizer.js';
import type { PgPool, PgPoolClient } from './postgres.indicator.js';
import { TypeOrmHealthIndicator, type TypeOrmDataSourceLike } from './typeorm.indicator.js';

async function outcome(indicator: TypeOrmHealthIndicator, signal = new AbortController().signal) {
  try {
    return { result: await indicator.check(signal) };
  } catch (error) {
    return { output: errorMessage(error) };
  }
}

/** A pg Pool stand-in that records the queries run on its one client. */
function pgPool(queries: string[]): PgPool {
  const client: PgPoolClient = {
    query: async (text) => queries.push(text),
    release: () => undefined,
  };
  return {
    connect: (callback) => setImmediate(() => callback(undefined, client, () => undefined)),
    totalCount: 1,
    idleCount: 1,
    waitingCount: 0,
  };
}

describe('TypeOrmHealthIndicator', () => {
  it('fails, saying so, while the DataSource is not initialised', async () => {
    let ran = false;
    const client: TypeOrmDataSourceLike = {
      isInitialized: false,
      driver: {},
      query: async () => (ran = true),
    };
    expect(await outcome(new TypeOrmHealthIndicator({ client }))).toEqual({
      output: 'the TypeORM DataSource is not initialized (or was destroyed)',
    });
    expect(await outcome(new TypeOrmHealthIndicator({ client, dataSource: 'reporting' }))).toEqual({
      output: 'the TypeORM DataSource "reporting" is not initialized (or was destroyed)',
    });
    expect(ran).toBe(false);
  });

  it('goes through the driver’s pg pool, and through the new one once the DataSource is initialised again', async () => {
    const first: string[] = [];
    const second: string[] = [];
    const driver: { master?: PgPool } = { master: pgPool(first) };
    const client: TypeOrmDataSourceLike = {
      isInitialized: true,
      driver,
      query: async () => {
        throw new Error('not through the pool');
      },
    };
    const indicator = new TypeOrmHealthIndicator({ client, query: 'SELECT 2' });
    expect((await outcome(indicator)).result).toMatchObject({
      details: { totalCount: 1, idleCount: 1, waitingCount: 0 },
    });
    driver.master = pgPool(second);
    await outcome(indicator);
    expect([first, second]).toEqual([['SELECT 2'], ['SELECT 2']]);
  });

  it('runs dataSource.query() on other drivers, one at a time however many runs time out', async () => {
    const calls: string[] = [];
    let answer: (() => void) | undefined;
    const client: TypeOrmDataSourceLike = {
      isInitialized: true,
      driver: { databaseConnection: {} },
      query: (sql) => {
        calls.push(sql);
        return new Promise<void>((resolve) => (answer = resolve));
      },
    };
    const indicator = new TypeOrmHealthIndicator({ client });
    for (let run = 0; run < 3; run++) {
      const timeout = AbortSignal.timeout(10);
      expect(await outcome(indicator, timeout)).toEqual({
        output: expect.stringMatching(/^SELECT 1 failed: /),
      });
    }
    expect(calls).toEqual(['SELECT 1']);
    answer!();
    expect((await outcome(indicator)).result).toEqual({});
  });

  it('refuses, at start-up, a client that is not a DataSource, and a bad data source name', () => {
    const entityManager = { query: async () => [] } as unknown as TypeOrmDataSourceLike;
    expect(() => new TypeOrmHealthIndicator({ client: entityManager })).toThrow(
      /^TypeOrmHealthIndicator needs a TypeORM DataSource \(an object with query\(\), initialize\(\)\), got an object\./,
    );
    const client: TypeOrmDataSourceLike = {
      isInitialized: true,
      driver: {},
      query: async () => [],
    };
    expect(() => new TypeOrmHealthIndicator({ client, dataSource: '' })).toThrow(
      'TypeOrmHealthIndicator: "dataSource" is ""; it must be the name of a data source of @nestjs/typeorm (TypeOrmModule.forRoot({ name })).',
    );
  });
});
