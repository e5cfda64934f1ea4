import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { MikroORM, type Options } from '@mikro-orm/core';
import { PostgreSqlDriver } from '@mikro-orm/postgresql';
import type { INestApplication, Provider } from '@nestjs/common';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { MikroOrmHealthIndicator, type HealthReport } from '../lib/index.js';
import type { ClientLocation } from '../lib/indicators/support/client-location.js';
import { createTestApp } from './support/app.js';
import { closeLeavesNothing, freshProbe, outage, passing, startUpError } from './support/orm.js';
import { SERVERS, describeWithServer, endpoint, via } from './support/servers.js';
import { TcpProxy } from './support/tcp-proxy.js';

/**
 * MikroOrmHealthIndicator against the real PostgreSQL. @mikro-orm/nestjs 6 is CommonJS and
 * requires the ESM-only Nest 12, which jest can load only on Node 24.9+: in jest, the app provides
 * its MikroORM under the tokens that package uses (the MikroORM class, `<contextName>_MikroORM`),
 * and one test boots a real @mikro-orm/nestjs app in plain Node.
 */

const TIMEOUT_MS = 300;
const TTL_MS = 200;
const MAX = 2;
const timing = { timeoutMs: TIMEOUT_MS, cacheTtlMs: TTL_MS };
const FIXTURE = fileURLToPath(new URL('./fixtures/mikro-orm-app.mjs', import.meta.url));
const LIBRARY = fileURLToPath(new URL('../dist/index.js', import.meta.url));

const options = (clientUrl: string): Options => ({
  driver: PostgreSqlDriver,
  clientUrl,
  entities: [],
  discovery: { warnWhenNoEntities: false },
  pool: { min: 0, max: MAX },
  // Knex warns of each connection it drops as disposed: here, those the outage breaks.
  driverOptions: { log: { warn: () => undefined } },
});

/** The ORM provided under `token`, as MikroOrmModule.forRoot() provides it. */
const orm = (token: string | typeof MikroORM, clientUrl: string): Provider => ({
  provide: token,
  useFactory: () => MikroORM.init(options(clientUrl)),
});

await describeWithServer('postgres', 'MikroOrmHealthIndicator on PostgreSQL', () => {
  let proxy: TcpProxy;
  let app: INestApplication;

  beforeAll(async () => {
    proxy = await new TcpProxy(endpoint('postgres')).start();
    app = await createTestApp({
      providers: [
        orm(MikroORM, via('postgres', proxy.port)),
        orm('closing_MikroORM', SERVERS.postgres),
        MikroOrmHealthIndicator.register({ name: 'db', ...timing }),
        MikroOrmHealthIndicator.register({ name: 'closing', contextName: 'closing', ...timing }),
      ],
    });
  });

  afterAll(async () => {
    await app?.close();
    await app?.get(MikroORM).close();
    await proxy?.stop();
  });

  it('finds the default MikroORM with no settings, and reports its Knex pool', async () => {
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

  it('finds one by contextName, and fails, saying why, once it is closed', async () => {
    await passing(app, 'closing');
    await app.get<MikroORM>('closing_MikroORM').close();
    expect((await freshProbe(app, 'closing', TTL_MS)).entry).toMatchObject({
      status: 'fail',
      output: 'could not get a connection from the pool: Unable to acquire a connection',
    });
  });

  it('goes through an outage, leaving at most one connection to the pool’s timeouts', async () => {
    await outage({
      app,
      name: 'db',
      proxy,
      timeoutMs: TIMEOUT_MS,
      ttlMs: TTL_MS,
      refused: /^could not get a connection from the pool: connect ECONNREFUSED 127\.0\.0\.1:\d+$/,
      leftOpen: [0, 1, 1],
    });
  });

  it('closes with its ORM, leaving no connection open', async () => {
    const ormOf = app.get(MikroORM);
    // Nest does not close a MikroORM the app provides itself: MikroOrmModule would, on shutdown.
    await ormOf.close();
    await closeLeavesNothing(app, proxy);
  });

  it('finds the MikroORMs of the real @mikro-orm/nestjs (in plain Node)', async () => {
    if (!existsSync(LIBRARY)) {
      throw new Error(`${LIBRARY} does not exist: run \`npm run build\` first (npm test does)`);
    }
    const { stdout } = await promisify(execFile)(process.execPath, [FIXTURE, SERVERS.postgres], {
      timeout: 15_000,
    });
    const report = JSON.parse(stdout) as HealthReport;
    expect(report.status).toBe('pass');
    for (const name of ['db', 'reporting']) {
      expect(report.checks?.[`${name}:responseTime`]?.[0]).toMatchObject({
        status: 'pass',
        componentType: 'datastore',
        details: { totalCount: 1, idleCount: 1, waitingCount: 0, max: 1 },
      });
    }
  });
});

class OrphanMikroOrmHealthIndicator extends MikroOrmHealthIndicator {
  static override locate(settings: Record<string, unknown>): ClientLocation {
    return { ...super.locate(settings), package: 'not-an-installed-package-nestjs-probes' };
  }
}

describe('MikroOrmHealthIndicator start-up', () => {
  it('stops when the application provides no MikroORM, saying what to import', async () => {
    expect(await startUpError([MikroOrmHealthIndicator.register({})])).toBe(
      'MikroOrmHealthIndicator(mikro-orm) found no client to check: the application provides no MikroORM. Import MikroOrmModule.forRoot() (or forRootAsync()) from @mikro-orm/nestjs in the application, or pass the injection token of your MikroORM as "client".',
    );
    expect(
      await startUpError([MikroOrmHealthIndicator.register({ contextName: 'reporting' })]),
    ).toMatch(
      /no MikroORM with contextName "reporting"\. Import MikroOrmModule\.forRoot\(\{ contextName: 'reporting', \.\.\. \}\)/,
    );
  });

  it('stops when the package is not installed', async () => {
    expect(await startUpError([OrphanMikroOrmHealthIndicator.register({})])).toMatch(
      /^OrphanMikroOrmHealthIndicator\(mikro-orm\) needs the "not-an-installed-package-nestjs-probes" package/,
    );
  });

  it('stops on bad settings, and on a client that is no MikroORM', async () => {
    expect(await startUpError([MikroOrmHealthIndicator.register({ contextName: '' })])).toMatch(
      /^MikroOrmHealthIndicator: "contextName" is ""; it must be the contextName of a @mikro-orm\/nestjs connection/,
    );
    const NOT_AN_ORM = Symbol('NOT_AN_ORM');
    expect(
      await startUpError([
        { provide: NOT_AN_ORM, useValue: { em: {} } },
        MikroOrmHealthIndicator.register({ client: NOT_AN_ORM }),
      ]),
    ).toMatch(/^MikroOrmHealthIndicator\(mikro-orm\) needs a MikroORM instance/);
  });
});
