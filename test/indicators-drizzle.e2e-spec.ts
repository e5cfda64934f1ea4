import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { INestApplication } from '@nestjs/common';
import { drizzle as drizzleMysql } from 'drizzle-orm/mysql2';
import { drizzle as drizzlePg } from 'drizzle-orm/node-postgres';
import mysql from 'mysql2';
import pg from 'pg';
import { DrizzleHealthIndicator } from '../lib/index.js';
import { createTestApp } from './support/app.js';
import { outage, passing, startUpError, until } from './support/orm.js';
import { SERVERS, describeWithServer, endpoint, via } from './support/servers.js';
import { TcpProxy } from './support/tcp-proxy.js';

/**
 * DrizzleHealthIndicator against the real PostgreSQL (node-postgres) and MariaDB (mysql2), each
 * through a TCP proxy the test owns. Drizzle has no Nest module: the app provides its database
 * under a token of its own, as its docs show.
 */

const DRIZZLE = Symbol('DRIZZLE');
const REPORTING = Symbol('REPORTING');
const SINGLE = Symbol('SINGLE');
const TIMEOUT_MS = 300;
const TTL_MS = 200;
const MAX = 2;
const timing = { timeoutMs: TIMEOUT_MS, cacheTtlMs: TTL_MS };

await describeWithServer('postgres', 'DrizzleHealthIndicator on PostgreSQL and MariaDB', () => {
  let postgres: TcpProxy;
  let mariadb: TcpProxy;
  let pgPool: pg.Pool;
  let pgClient: pg.Client;
  let mysqlPool: mysql.Pool;
  let app: INestApplication;

  beforeAll(async () => {
    postgres = await new TcpProxy(endpoint('postgres')).start();
    mariadb = await new TcpProxy(endpoint('mysql')).start();
    pgPool = new pg.Pool({ connectionString: via('postgres', postgres.port), max: MAX });
    pgPool.on('error', () => undefined);
    mysqlPool = mysql.createPool({ uri: via('mysql', mariadb.port), connectionLimit: MAX });
    pgClient = new pg.Client({ connectionString: SERVERS.postgres });
    await pgClient.connect();
    app = await createTestApp({
      providers: [
        { provide: DRIZZLE, useValue: drizzlePg(pgPool) },
        { provide: REPORTING, useValue: drizzleMysql(mysqlPool) },
        { provide: SINGLE, useValue: drizzlePg(pgClient) },
        DrizzleHealthIndicator.register({ client: DRIZZLE, name: 'db', ...timing }),
        DrizzleHealthIndicator.register({ client: REPORTING, name: 'reporting', ...timing }),
        DrizzleHealthIndicator.register({ client: SINGLE, name: 'single', ...timing }),
      ],
    });
  });

  /** Closes the app, then the pools it was given (Drizzle leaves them to the application). */
  let closed = false;
  async function close(): Promise<void> {
    if (closed) return;
    closed = true;
    await app?.close();
    await pgPool?.end();
    await new Promise((resolve) => (mysqlPool ? mysqlPool.end(resolve) : resolve(undefined)));
    await pgClient?.end();
  }

  afterAll(async () => {
    await close();
    await Promise.all([postgres?.stop(), mariadb?.stop()]);
  });

  it('checks a database over a pg Pool through that pool, reporting its counts', async () => {
    const { entry } = await passing(app, 'db');
    expect(entry).toMatchObject({ componentId: 'db', componentType: 'datastore', status: 'pass' });
    expect(entry.observedValue).toBeLessThan(TIMEOUT_MS);
    expect(entry.details).toEqual({ totalCount: 1, idleCount: 1, waitingCount: 0, max: MAX });
  });

  it('checks a database over a mysql2 pool through that pool', async () => {
    const { entry } = await passing(app, 'reporting');
    expect(entry).toMatchObject({ status: 'pass', componentType: 'datastore' });
    expect(entry.details).toEqual({ totalCount: 1, idleCount: 1, waitingCount: 0, max: MAX });
  });

  it('checks a database over a single pg Client with db.execute()', async () => {
    const { entry } = await passing(app, 'single');
    expect(entry).toMatchObject({ status: 'pass', observedUnit: 'ms' });
    expect(entry.details).toBeUndefined();
  });

  it('goes through an outage of PostgreSQL, leaving nothing open', async () => {
    await outage({
      app,
      name: 'db',
      proxy: postgres,
      timeoutMs: TIMEOUT_MS,
      ttlMs: TTL_MS,
      refused: /^could not get a connection from the pool: connect ECONNREFUSED 127\.0\.0\.1:\d+$/,
      leftOpen: [0, 0, 0],
    });
  });

  it('goes through an outage of MariaDB, leaving nothing open', async () => {
    await outage({
      app,
      name: 'reporting',
      proxy: mariadb,
      timeoutMs: TIMEOUT_MS,
      ttlMs: TTL_MS,
      refused: /^could not get a connection from the pool: connect ECONNREFUSED 127\.0\.0\.1:\d+$/,
      leftOpen: [0, 0, 0],
    });
  });

  it('leaves no connection open once the app and its pools are closed', async () => {
    await close();
    await until(
      () => postgres.openSockets + mariadb.openSockets === 0,
      'every connection to close',
    );
  });
});

describe('DrizzleHealthIndicator start-up', () => {
  it('needs the token of the application’s database', async () => {
    expect(await startUpError([DrizzleHealthIndicator.register({} as never)])).toBe(
      'DrizzleHealthIndicator(drizzle) needs a Drizzle database (drizzle(pool)) (an object with execute()), got undefined. Check the "client" token you registered it with.',
    );
  });

  it('stops when the token names nothing the application provides', async () => {
    expect(await startUpError([DrizzleHealthIndicator.register({ client: DRIZZLE })])).toMatch(
      /^Nest can't resolve dependencies of the DrizzleHealthIndicator\(drizzle\) \(\?\)\. Please make sure that the argument Symbol\(DRIZZLE\) at index \[0\] is available/,
    );
  });

  it('stops when drizzle-orm is not installed', async () => {
    class OrphanDrizzleHealthIndicator extends DrizzleHealthIndicator {
      static override readonly peer = 'not-an-installed-package-nestjs-probes';
    }
    const db = { provide: DRIZZLE, useValue: drizzlePg.mock() };
    expect(
      await startUpError([db, OrphanDrizzleHealthIndicator.register({ client: DRIZZLE })]),
    ).toMatch(
      /^OrphanDrizzleHealthIndicator\(drizzle\) needs the "not-an-installed-package-nestjs-probes" package, which is not installed/,
    );
  });

  it('stops on a client that is no Drizzle database, and on bad settings', async () => {
    const NOT_DRIZZLE = Symbol('NOT_DRIZZLE');
    const notDrizzle = { provide: NOT_DRIZZLE, useValue: { query: async () => [] } };
    expect(
      await startUpError([notDrizzle, DrizzleHealthIndicator.register({ client: NOT_DRIZZLE })]),
    ).toMatch(/^DrizzleHealthIndicator\(drizzle\) needs a Drizzle database/);
    expect(
      await startUpError([
        { provide: DRIZZLE, useValue: drizzlePg.mock() },
        DrizzleHealthIndicator.register({ client: DRIZZLE, query: '' }),
      ]),
    ).toMatch(/^DrizzleHealthIndicator\(drizzle\): "query" is ""/);
  });
});
