import { describe, expect, it } from '@jest/globals';
import { errorMessage } from '../../core/check-result.normalizer.js';
import { OrmPoolLender, type RawConnectionPool } from './orm-pool.lender.js';
import { pooledStatement } from './pool-lender.js';

interface FakeConnection {
  id: number;
  query(sql: string): Promise<unknown>;
}

/** A pool whose acquisitions the test answers by hand, recording what comes back and how. */
function fakeLender(query: (sql: string) => Promise<unknown> = async () => [{ '?column?': 1 }]) {
  const waiting: ((connection: FakeConnection) => void)[] = [];
  const log: string[] = [];
  let next = 1;
  const pool: RawConnectionPool<FakeConnection> = {
    acquire: () => new Promise((resolve) => waiting.push(resolve)),
    release: (connection) => log.push(`release ${connection.id}`),
    destroy: (connection) => log.push(`destroy ${connection.id}`),
    details: () => ({ totalCount: 1, idleCount: 1, waitingCount: waiting.length, max: 2 }),
  };
  /** Lends a connection to the oldest request. */
  const lend = () => waiting.shift()!({ id: next++, query });
  return { lender: new OrmPoolLender(pool), log, waiting, lend };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

async function outcome<T>(promise: Promise<T>) {
  try {
    return { result: await promise };
  } catch (error) {
    return { output: errorMessage(error) };
  }
}

describe('OrmPoolLender', () => {
  it('borrows a connection, runs the query on it and gives it back, with the pool’s counts', async () => {
    const ran: string[] = [];
    const { lender, log, lend } = fakeLender(async (sql) => ran.push(sql));
    const running = pooledStatement(lender, 'SELECT 2', new AbortController().signal);
    await tick();
    lend();
    // The runner reports how long it took.
    expect(await running).toEqual({
      details: { totalCount: 1, idleCount: 1, waitingCount: 0, max: 2 },
    });
    expect(ran).toEqual(['SELECT 2']);
    expect(log).toEqual(['release 1']);
  });

  it('runs a mysql2 connection’s query through its callback', async () => {
    const { lender, log, waiting } = fakeLender();
    const running = pooledStatement(lender, 'SELECT 1', new AbortController().signal);
    await tick();
    const mysql = {
      id: 7,
      promise: () => undefined,
      query: (_sql: string, callback: (error: unknown) => void) => setImmediate(callback, null),
    };
    waiting.shift()!(mysql as unknown as FakeConnection);
    expect(await outcome(running)).toMatchObject({ result: { details: { totalCount: 1 } } });
    expect(log).toEqual(['release 7']);
  });

  it('never queues a second request: a run after one that timed out waits for the same one', async () => {
    const { lender, log, waiting, lend } = fakeLender();
    const first = new AbortController();
    const timedOut = outcome(pooledStatement(lender, 'SELECT 1', first.signal));
    await tick();
    first.abort(new Error('timed out after 300 ms'));
    expect(await timedOut).toEqual({
      output: 'could not get a connection from the pool: timed out after 300 ms',
    });
    const second = pooledStatement(lender, 'SELECT 1', new AbortController().signal);
    await tick();
    expect(waiting).toHaveLength(1);
    lend();
    expect(await outcome(second)).toMatchObject({ result: { details: { totalCount: 1 } } });
    expect(log).toEqual(['release 1']);
  });

  it('gives a connection that comes when no run wants it back to the pool, unused', async () => {
    const ran: string[] = [];
    const { lender, log, lend } = fakeLender(async (sql) => ran.push(sql));
    const controller = new AbortController();
    const timedOut = outcome(pooledStatement(lender, 'SELECT 1', controller.signal));
    await tick();
    controller.abort(new Error('timed out'));
    await timedOut;
    lend();
    await tick();
    expect(log).toEqual(['release 1']);
    expect(ran).toEqual([]);
  });

  it('destroys the connection a query hangs on, rather than give it back', async () => {
    const { lender, log, lend } = fakeLender(() => new Promise(() => undefined));
    const controller = new AbortController();
    const running = outcome(pooledStatement(lender, 'SELECT 1', controller.signal));
    await tick();
    lend();
    await tick();
    controller.abort(new Error('timed out after 300 ms'));
    expect(await running).toEqual({ output: 'SELECT 1 failed: timed out after 300 ms' });
    expect(log).toEqual(['destroy 1']);
  });

  it('gives back a connection whose query failed on its own', async () => {
    const { lender, log, lend } = fakeLender(async () => {
      throw new Error('relation "nope" does not exist');
    });
    const running = outcome(
      pooledStatement(lender, 'SELECT * FROM nope', new AbortController().signal),
    );
    await tick();
    lend();
    expect(await running).toEqual({
      output: 'SELECT * FROM nope failed: relation "nope" does not exist',
    });
    expect(log).toEqual(['release 1']);
  });
});
