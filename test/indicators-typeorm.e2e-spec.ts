import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { INestApplication } from '@nestjs/common';
import { TypeOrmModule, getDataSourceToken } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { TypeOrmHealthIndicator } from '../lib/index.js';
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
 * TypeOrmHealthIndicator with @nestjs/typeorm, against the real PostgreSQL and MariaDB: one app
 * holds a default data source (PostgreSQL), a named one (MariaDB), each through a TCP proxy the
 * test owns, and one initialised by hand.
 */

const TIMEOUT_MS = 300;
const TTL_MS = 200;
const POOL_SIZE = 2;
const timing = { timeoutMs: TIMEOUT_MS, cacheTtlMs: TTL_MS };

await describeWithServer('postgres', 'TypeOrmHealthIndicator on PostgreSQL and MariaDB', () => {
  let postgres: TcpProxy;
  let mariadb: TcpProxy;
  let app: INestApplication;

  beforeAll(async () => {
    postgres = await new TcpProxy(endpoint('postgres')).start();
    mariadb = await new TcpProxy(endpoint('mysql')).start();
    app = await createTestApp({
      imports: [
        TypeOrmModule.forRoot({
          type: 'postgres',
          url: via('postgres', postgres.port),
          poolSize: POOL_SIZE,
        }),
        TypeOrmModule.forRoot({
          name: 'reporting',
          type: 'mariadb',
          url: via('mysql', mariadb.port),
          poolSize: POOL_SIZE,
        }),
        TypeOrmModule.forRoot({
          name: 'lazy',
          type: 'postgres',
          url: SERVERS.postgres,
          poolSize: 1,
          manualInitialization: true,
        }),
      ],
      providers: [
        TypeOrmHealthIndicator.register({ name: 'db', ...timing }),
        TypeOrmHealthIndicator.register({ name: 'reporting', dataSource: 'reporting', ...timing }),
        TypeOrmHealthIndicator.register({ name: 'lazy', dataSource: 'lazy', ...timing }),
      ],
    });
  });

  afterAll(async () => {
    await app?.close();
    await Promise.all([postgres?.stop(), mariadb?.stop()]);
  });

  it('finds the default DataSource with no settings, and reports its pg pool', async () => {
    const { entry } = await passing(app, 'db');
    expect(entry).toMatchObject({
      componentId: 'db',
      componentType: 'datastore',
      status: 'pass',
      observedUnit: 'ms',
    });
    expect(entry.observedValue).toBeLessThan(TIMEOUT_MS);
    expect(entry.details).toEqual({
      totalCount: 1,
      idleCount: 1,
      waitingCount: 0,
      max: POOL_SIZE,
    });
  });

  it('finds a named DataSource, and reports its mysql2 pool', async () => {
    const { entry } = await passing(app, 'reporting');
    expect(entry).toMatchObject({ status: 'pass', componentType: 'datastore' });
    expect(entry.details).toEqual({
      totalCount: 1,
      idleCount: 1,
      waitingCount: 0,
      max: POOL_SIZE,
    });
  });

  it('fails saying so while a DataSource is not initialised, or after it is destroyed', async () => {
    const lazy = app.get<DataSource>(getDataSourceToken('lazy'));
    const failing = {
      status: 'fail',
      output: 'the TypeORM DataSource "lazy" is not initialized (or was destroyed)',
    };
    expect((await probe(app, 'lazy')).entry).toMatchObject(failing);
    await lazy.initialize();
    expect((await freshProbe(app, 'lazy', TTL_MS)).entry.status).toBe('pass');
    await lazy.destroy();
    expect((await freshProbe(app, 'lazy', TTL_MS)).entry).toMatchObject(failing);
  });

  it('goes through an outage of PostgreSQL, leaving nothing open', async () => {
    await outage({
      app,
      name: 'db',
      proxy: postgres,
      ...timing,
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
      ...timing,
      ttlMs: TTL_MS,
      refused: /^could not get a connection from the pool: connect ECONNREFUSED 127\.0\.0\.1:\d+$/,
      leftOpen: [0, 0, 0],
    });
    // The other data source never noticed.
    expect((await probe(app, 'db')).entry.status).toBe('pass');
  });

  it('closes with the app, leaving no connection open', async () => {
    await closeLeavesNothing(app, postgres, mariadb);
  });
});

/** A subclass whose integration package is not installed. */
class OrphanTypeOrmHealthIndicator extends TypeOrmHealthIndicator {
  static override locate(settings: Record<string, unknown>): ClientLocation {
    return { ...super.locate(settings), package: 'not-an-installed-package-nestjs-probes' };
  }
}

describe('TypeOrmHealthIndicator start-up', () => {
  it('stops when the application provides no DataSource, saying what to import', async () => {
    expect(await startUpError([TypeOrmHealthIndicator.register({})])).toBe(
      'TypeOrmHealthIndicator(typeorm) found no client to check: the application provides no TypeORM DataSource. Import TypeOrmModule.forRoot() (or forRootAsync()) in the application, or pass the injection token of your DataSource as "client".',
    );
  });

  it('stops when the named DataSource does not exist', async () => {
    expect(
      await startUpError([TypeOrmHealthIndicator.register({ name: 'db', dataSource: 'reportng' })]),
    ).toBe(
      'TypeOrmHealthIndicator(db) found no client to check: the application provides no TypeORM DataSource named "reportng". Import TypeOrmModule.forRoot({ name: \'reportng\', ... }) (or forRootAsync()) in the application, correct "dataSource", or pass the injection token of your DataSource as "client".',
    );
  });

  it('stops when @nestjs/typeorm, or typeorm, is not installed', async () => {
    expect(await startUpError([OrphanTypeOrmHealthIndicator.register({})])).toBe(
      'OrphanTypeOrmHealthIndicator(typeorm) needs the "not-an-installed-package-nestjs-probes" package, which is not installed. Install it: npm install not-an-installed-package-nestjs-probes',
    );
    class NoTypeOrmHealthIndicator extends TypeOrmHealthIndicator {
      static override readonly peer: string = 'typeorm-not-installed-nestjs-probes';
    }
    expect(await startUpError([NoTypeOrmHealthIndicator.register({ name: 'db' })])).toMatch(
      /^NoTypeOrmHealthIndicator\(db\) needs the "typeorm-not-installed-nestjs-probes" package/,
    );
  });

  it('stops on bad settings, and on a client that is no DataSource', async () => {
    expect(await startUpError([TypeOrmHealthIndicator.register({ dataSource: ' ' })])).toMatch(
      /^TypeOrmHealthIndicator: "dataSource" is " "; it must be the name of a data source of @nestjs\/typeorm/,
    );
    expect(
      await startUpError([
        TypeOrmHealthIndicator.register({ ...({ datasource: 'reporting' } as object) }),
      ]),
    ).toMatch(/^TypeOrmHealthIndicator\(typeorm\) has no setting or option "datasource"/);
    const NOT_A_DATA_SOURCE = Symbol('NOT_A_DATA_SOURCE');
    expect(
      await startUpError([
        { provide: NOT_A_DATA_SOURCE, useValue: { query: async () => [] } },
        TypeOrmHealthIndicator.register({ client: NOT_A_DATA_SOURCE }),
      ]),
    ).toMatch(/^TypeOrmHealthIndicator\(typeorm\) needs a TypeORM DataSource/);
  });
});
