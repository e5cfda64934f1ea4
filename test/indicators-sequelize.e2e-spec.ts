import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { INestApplication } from '@nestjs/common';
import { SequelizeModule, getConnectionToken } from '@nestjs/sequelize';
import type { Sequelize } from 'sequelize-typescript';
import { SequelizeHealthIndicator } from '../lib/index.js';
import type { ClientLocation } from '../lib/indicators/support/client-location.js';
import { createTestApp } from './support/app.js';
import {
  closeLeavesNothing,
  freshProbe,
  outage,
  passing,
  probe,
  startUpError,
} from './support/orm.js';
import { SERVERS, describeWithServer, endpoint, via } from './support/servers.js';
import { TcpProxy } from './support/tcp-proxy.js';

/**
 * SequelizeHealthIndicator with @nestjs/sequelize, against the real PostgreSQL and MariaDB: one
 * app holds a default connection (PostgreSQL) and a named one (MariaDB), each through a TCP proxy
 * the test owns, and one the test closes.
 */

const TIMEOUT_MS = 300;
const TTL_MS = 200;
const MAX = 2;
const timing = { timeoutMs: TIMEOUT_MS, cacheTtlMs: TTL_MS };
const common = { logging: false, pool: { max: MAX, min: 0 } } as const;

await describeWithServer('postgres', 'SequelizeHealthIndicator on PostgreSQL and MariaDB', () => {
  let postgres: TcpProxy;
  let mariadb: TcpProxy;
  let app: INestApplication;

  beforeAll(async () => {
    postgres = await new TcpProxy(endpoint('postgres')).start();
    mariadb = await new TcpProxy(endpoint('mysql')).start();
    app = await createTestApp({
      imports: [
        SequelizeModule.forRoot({
          dialect: 'postgres',
          uri: via('postgres', postgres.port),
          ...common,
        }),
        SequelizeModule.forRoot({
          name: 'reporting',
          dialect: 'mysql',
          uri: via('mysql', mariadb.port),
          ...common,
        }),
        SequelizeModule.forRoot({
          name: 'closing',
          dialect: 'postgres',
          uri: SERVERS.postgres,
          ...common,
        }),
      ],
      providers: [
        SequelizeHealthIndicator.register({ name: 'db', ...timing }),
        SequelizeHealthIndicator.register({
          name: 'reporting',
          connection: 'reporting',
          ...timing,
        }),
        SequelizeHealthIndicator.register({ name: 'closing', connection: 'closing', ...timing }),
      ],
    });
  });

  afterAll(async () => {
    await app?.close();
    await Promise.all([postgres?.stop(), mariadb?.stop()]);
  });

  it('finds the default connection with no settings, and reports its pool', async () => {
    const { entry } = await passing(app, 'db');
    expect(entry).toMatchObject({
      componentId: 'db',
      componentType: 'datastore',
      status: 'pass',
      observedUnit: 'ms',
    });
    expect(entry.observedValue).toBeLessThan(TIMEOUT_MS);
    expect(entry.details).toEqual({ totalCount: 1, idleCount: 1, waitingCount: 0, max: MAX });
  });

  it('finds a named connection (MariaDB, through mysql2)', async () => {
    const { entry } = await passing(app, 'reporting');
    expect(entry).toMatchObject({ status: 'pass', componentType: 'datastore' });
    expect(entry.details).toEqual({ totalCount: 1, idleCount: 1, waitingCount: 0, max: MAX });
  });

  it('fails, saying why, once the application has closed its Sequelize', async () => {
    await passing(app, 'closing');
    await app.get<Sequelize>(getConnectionToken('closing')).close();
    expect((await freshProbe(app, 'closing', TTL_MS)).entry).toMatchObject({
      status: 'fail',
      output:
        'could not get a connection from the pool: ConnectionManager.getConnection was called after the connection manager was closed!',
    });
  });

  it('goes through an outage of PostgreSQL, leaving at most one connection to its timeouts', async () => {
    await outage({
      app,
      name: 'db',
      proxy: postgres,
      timeoutMs: TIMEOUT_MS,
      ttlMs: TTL_MS,
      refused: /^could not get a connection from the pool: connect ECONNREFUSED 127\.0\.0\.1:\d+$/,
      leftOpen: [0, 1, 1],
    });
  });

  it('goes through an outage of MariaDB, leaving at most one connection to its timeouts', async () => {
    await outage({
      app,
      name: 'reporting',
      proxy: mariadb,
      timeoutMs: TIMEOUT_MS,
      ttlMs: TTL_MS,
      refused: /^could not get a connection from the pool: connect ECONNREFUSED 127\.0\.0\.1:\d+$/,
      leftOpen: [0, 1, 1],
    });
    expect((await probe(app, 'db')).entry.status).toBe('pass');
  });

  it('closes with the app, leaving no connection open', async () => {
    await closeLeavesNothing(app, postgres, mariadb);
  });
});

class OrphanSequelizeHealthIndicator extends SequelizeHealthIndicator {
  static override locate(settings: Record<string, unknown>): ClientLocation {
    return { ...super.locate(settings), package: 'not-an-installed-package-nestjs-probes' };
  }
}

describe('SequelizeHealthIndicator start-up', () => {
  it('stops when the application provides no Sequelize connection, saying what to import', async () => {
    expect(await startUpError([SequelizeHealthIndicator.register({})])).toBe(
      'SequelizeHealthIndicator(sequelize) found no client to check: the application provides no Sequelize connection. Import SequelizeModule.forRoot() (or forRootAsync()) in the application, or pass the injection token of your Sequelize instance as "client".',
    );
    expect(
      await startUpError([SequelizeHealthIndicator.register({ connection: 'reporting' })]),
    ).toMatch(
      /no Sequelize connection named "reporting"\. Import SequelizeModule\.forRoot\(\{ name: 'reporting', \.\.\. \}\)/,
    );
  });

  it('stops when @nestjs/sequelize is not installed', async () => {
    expect(await startUpError([OrphanSequelizeHealthIndicator.register({})])).toMatch(
      /^OrphanSequelizeHealthIndicator\(sequelize\) needs the "not-an-installed-package-nestjs-probes" package/,
    );
  });

  it('stops on bad settings, and on a client that is no Sequelize', async () => {
    expect(await startUpError([SequelizeHealthIndicator.register({ connection: '' })])).toMatch(
      /^SequelizeHealthIndicator: "connection" is ""; it must be the name of a connection of @nestjs\/sequelize/,
    );
    const NOT_SEQUELIZE = Symbol('NOT_SEQUELIZE');
    expect(
      await startUpError([
        { provide: NOT_SEQUELIZE, useValue: { query: async () => [] } },
        SequelizeHealthIndicator.register({ client: NOT_SEQUELIZE }),
      ]),
    ).toMatch(
      /^SequelizeHealthIndicator\(sequelize\) needs a Sequelize instance \(its connectionManager\)/,
    );
  });
});
