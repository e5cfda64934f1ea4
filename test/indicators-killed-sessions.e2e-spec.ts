import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import type { INestApplication } from '@nestjs/common';
import { TypeOrmModule, getDataSourceToken } from '@nestjs/typeorm';
import { drizzle } from 'drizzle-orm/node-postgres';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import request from 'supertest';
import type { DataSource } from 'typeorm';
import {
  DrizzleHealthIndicator,
  PostgresHealthIndicator,
  SqlHealthIndicator,
  TypeOrmHealthIndicator,
} from '../lib/index.js';
import { createTestApp } from './support/app.js';
import { FATAL_MESSAGE, FakePostgres } from './support/fake-postgres.js';
import { rawGet } from './support/http.js';
import { until } from './support/orm.js';
import { describeWithServer, endpoint } from './support/servers.js';

/**
 * A PostgreSQL server that kills a session as it opens it (a FATAL ErrorResponse in the same read
 * as ReadyForQuery, as a server shutting down sends it), or resets it mid-query. pg emits either as
 * an `error` event of the client; a client the check holds with no listener for it crashes the
 * process. Through every path that checks a pg Pool (the PostgreSQL indicator, and TypeORM and
 * Drizzle through it), the check fails, the process lives, and the app's clients keep no listener
 * of the check's. (Jest fails a test on an uncaught exception; the last test watches the process.)
 */

const POOL = Symbol('POOL');
const KILLED = `SELECT 1 failed: ${FATAL_MESSAGE}`;
const fast = { cacheTtlMs: 0, timeoutMs: 2000 };

/** GET /health/ready over HTTP: its status code, and the entry of check `name`. */
async function ready(app: INestApplication, name: string) {
  const response = await request(app.getHttpServer()).get('/health/ready');
  const entry = response.body.checks?.[`${name}:responseTime`]?.[0];
  return { status: response.status, entry };
}

/** A pg Pool on `port`, and every client it hands out. */
function poolOn(port: number) {
  const pool = new pg.Pool({ host: '127.0.0.1', port, user: 'postgres', database: 'test', max: 2 });
  // As pg's documentation asks of every application: an idle client's error is the pool's.
  pool.on('error', () => undefined);
  const handedOut: pg.PoolClient[] = [];
  pool.on('acquire', (client) => handedOut.push(client));
  return { pool, handedOut };
}

/**
 * What pg-pool puts back on a client given back is its own listener, one; a check that left its
 * own behind would make it two.
 */
function expectOnlyThePoolsListener(clients: readonly pg.PoolClient[]): void {
  expect(clients.length).toBeGreaterThan(0);
  for (const client of clients) expect(client.listenerCount('error')).toBe(1);
}

describe('a PostgreSQL that kills sessions, through a pg Pool', () => {
  let fake: FakePostgres;
  let pool: pg.Pool;
  let handedOut: pg.PoolClient[];
  let app: INestApplication;

  beforeAll(async () => {
    fake = await new FakePostgres('fatal').start();
    ({ pool, handedOut } = poolOn(fake.port));
    const db = drizzle(pool);
    app = await createTestApp({
      providers: [
        { provide: POOL, useValue: pool },
        { provide: 'DB', useValue: db },
        PostgresHealthIndicator.register({ client: POOL, ...fast }),
        DrizzleHealthIndicator.register({ client: 'DB', ...fast }),
      ],
    });
  });

  afterAll(async () => {
    await app?.close();
    await pool?.end();
    await fake?.stop();
  });

  afterEach(() => fake.set('fatal'));

  it('fails the check, run after run, when each new connection is killed as it opens', async () => {
    for (let run = 0; run < 3; run++) {
      const { status, entry } = await ready(app, 'postgres');
      expect(status).toBe(503);
      expect(entry).toMatchObject({ status: 'fail', output: KILLED });
    }
    // Every killed connection has left the pool, and keeps no listener of the check's.
    await until(() => pool.totalCount === 0, 'the pool to let go of the killed connections');
    expectOnlyThePoolsListener(handedOut);
  });

  it('fails the check when the connection is reset during the query', async () => {
    fake.set('reset');
    const { status, entry } = await ready(app, 'postgres');
    expect(status).toBe(503);
    expect(entry).toMatchObject({ status: 'fail', output: 'SELECT 1 failed: read ECONNRESET' });
    await until(() => pool.totalCount === 0, 'the pool to let go of the reset connection');
    expectOnlyThePoolsListener(handedOut);
  });

  it('fails the Drizzle check the same way (it checks the pg Pool under the database)', async () => {
    const { status, entry } = await ready(app, 'drizzle');
    expect(status).toBe(503);
    expect(entry).toMatchObject({ status: 'fail', output: KILLED });
  });
  it('fails SqlHealthIndicator over the pool too (pool.query(): pg-pool listens itself)', async () => {
    const sql = await createTestApp({
      providers: [
        { provide: POOL, useValue: pool },
        SqlHealthIndicator.register({ client: POOL, ...fast }),
      ],
    });
    try {
      const { status, entry } = await ready(sql, 'sql');
      expect(status).toBe(503);
      expect(entry).toMatchObject({ status: 'fail', output: KILLED });
    } finally {
      await sql.close();
    }
  });
});

await describeWithServer(
  'postgres',
  'TypeOrmHealthIndicator when PostgreSQL kills sessions',
  () => {
    let fake: FakePostgres;
    let app: INestApplication;
    let master: pg.Pool;
    const handedOut: pg.PoolClient[] = [];

    beforeAll(async () => {
      // Passes through to the real server, so that TypeORM can start.
      fake = await new FakePostgres('pass', endpoint('postgres')).start();
      app = await createTestApp({
        imports: [
          TypeOrmModule.forRoot({
            type: 'postgres',
            url: `postgres://postgres@127.0.0.1:${fake.port}/test`,
            poolSize: 2,
          }),
        ],
        providers: [TypeOrmHealthIndicator.register({ name: 'db', ...fast })],
      });
      master = (app.get<DataSource>(getDataSourceToken()).driver as unknown as { master: pg.Pool })
        .master;
      master.on('acquire', (client) => handedOut.push(client));
    });

    afterAll(async () => {
      await app?.close();
      await fake?.stop();
    });

    it('fails the check while sessions are killed, and passes again after', async () => {
      expect((await ready(app, 'db')).entry.status).toBe('pass');
      fake.set('fatal'); // Its connections so far are closed: the next check opens one.
      await until(() => master.totalCount === 0, 'TypeORM’s pool to drop its closed connections');
      const { status, entry } = await ready(app, 'db');
      expect(status).toBe(503);
      expect(entry).toMatchObject({ status: 'fail', output: KILLED });
      fake.set('pass');
      await until(() => master.totalCount === 0, 'TypeORM’s pool to drop its closed connections');
      expect((await ready(app, 'db')).entry.status).toBe('pass');
      expectOnlyThePoolsListener(handedOut);
    });
  },
);

describe('the process of an app whose PostgreSQL kills sessions', () => {
  const fixture = fileURLToPath(new URL('./fixtures/postgres-indicator-app.mjs', import.meta.url));
  const built = fileURLToPath(new URL('../dist/index.js', import.meta.url));
  let fake: FakePostgres;
  let child: ChildProcess | undefined;

  beforeAll(async () => {
    if (!existsSync(built)) throw new Error(`${built} does not exist: run \`npm run build\` first`);
    fake = await new FakePostgres('fatal').start();
  });

  afterAll(async () => {
    if (child?.exitCode === null) child.kill('SIGKILL');
    await fake?.stop();
  });

  it('lives on, answering 503, probe after probe', async () => {
    const started = spawn(process.execPath, [fixture], {
      env: { ...process.env, PG_PORT: String(fake.port) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child = started;
    let err = '';
    started.stderr!.on('data', (chunk: Buffer) => (err += chunk.toString()));
    const { appPort } = await new Promise<{ appPort: number }>((resolve, reject) => {
      let out = '';
      started.stdout!.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        const line = /READY (\{.*\})/.exec(out);
        if (line) resolve(JSON.parse(line[1]));
      });
      started.on('exit', (code) => reject(new Error(`exited with ${code} at start\n${err}`)));
    });
    for (let run = 0; run < 3; run++) {
      const response = await rawGet(appPort, { path: '/health/ready' }).catch(
        (error: Error) => new Error(`${error.message}; the app's stderr:\n${err}`),
      );
      if (response instanceof Error) throw response;
      expect(response.status).toBe(503);
      expect(response.body).toMatchObject({ output: `postgres: ${KILLED}` });
    }
    expect(fake.sessions).toBeGreaterThanOrEqual(3);
    // Still running once every killed session's last event has come and gone.
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect({ exitCode: started.exitCode, stderr: err }).toEqual({ exitCode: null, stderr: '' });
  });
});
