import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import type { INestApplication, Provider } from '@nestjs/common';
import knex, { type Knex } from 'knex';
import mysql from 'mysql2';
import mysqlPromise from 'mysql2/promise';
import pg from 'pg';
import { HealthService, type CheckReport, type HealthReport } from '../lib/index.js';
import { MysqlHealthIndicator } from '../lib/indicators/mysql.indicator.js';
import { PostgresHealthIndicator } from '../lib/indicators/postgres.indicator.js';
import { SqlHealthIndicator } from '../lib/indicators/sql.indicator.js';
import { createTestApp } from './support/app.js';
import { passesWithinRuns, passing, probeUntil } from './support/orm.js';
import { SERVERS, describeWithServer, endpoint, via } from './support/servers.js';
import { TcpProxy } from './support/tcp-proxy.js';

/**
 * The SQL indicators against the real servers, each through the application's own pool. Faults
 * go through a TCP proxy the test owns: the servers themselves are never touched.
 */

const CLIENT = Symbol('CLIENT');
const TIMEOUT_MS = 300;
const TTL_MS = 200;
const MAX = 2;
const SECRET = 'Sup3rS3cret';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Waits until `condition` holds, or fails saying what it was waiting for. */
async function until(condition: () => boolean, what: string, withinMs = 1000): Promise<void> {
  const deadline = Date.now() + withinMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`still waiting, after ${withinMs} ms, for ${what}`);
    await sleep(10);
  }
}

interface Probe {
  report: HealthReport;
  entry: CheckReport;
  /** How long the probe took, in ms. */
  ms: number;
}

/** One readiness probe, as the route would serve it, and the indicator's entry in it. */
async function probe(app: INestApplication, name: string): Promise<Probe> {
  const started = performance.now();
  const report = await app.get(HealthService).check('ready');
  const ms = performance.now() - started;
  const entry = report.checks?.[`${name}:responseTime`]?.[0];
  if (!entry) throw new Error(`no "${name}" check in ${JSON.stringify(report)}`);
  return { report, entry, ms };
}

/** A probe that runs the indicator again, not one served from its cache. */
async function freshProbe(app: INestApplication, name: string): Promise<Probe> {
  await sleep(TTL_MS + 20);
  return probe(app, name);
}

/** What differs between PostgreSQL and MariaDB in the suite below. */
interface Driver {
  server: 'postgres' | 'mysql';
  /** The indicator's default name. */
  name: string;
  /** The indicator's class name. */
  indicator: string;
  register(options: { client: symbol; timeoutMs?: number; cacheTtlMs?: number }): Provider;
  /** The application's pool, as it would create it. */
  createPool(url: string): { client: unknown; end(): Promise<void> };
  /** Checks out every connection of the pool, as a busy application would; resolves with what gives them back. */
  exhaust(pool: unknown): Promise<() => void>;
  /** Requests waiting in the pool's queue. */
  waiting(pool: unknown): number;
  /** A URL the server rejects, with SECRET as its password. */
  rejectedUrl(): string;
  rejected: RegExp;
}

const postgres: Driver = {
  server: 'postgres',
  name: 'postgres',
  indicator: PostgresHealthIndicator.name,
  register: (options) => PostgresHealthIndicator.register(options),
  createPool(url) {
    const pool = new pg.Pool({ connectionString: url, max: MAX });
    // An idle client whose server goes away emits 'error' on the pool: every app listens to it.
    pool.on('error', () => undefined);
    return { client: pool, end: () => pool.end() };
  },
  async exhaust(pool) {
    const clients = await Promise.all(
      Array.from({ length: MAX }, () => (pool as pg.Pool).connect()),
    );
    return () => clients.forEach((client) => client.release());
  },
  waiting: (pool) => (pool as pg.Pool).waitingCount,
  // The local server trusts every connection (trust auth), so it cannot reject a password: a
  // role that does not exist is rejected instead, with a password in the URL all the same.
  rejectedUrl() {
    const url = new URL(SERVERS.postgres);
    url.username = 'nestjs_probes_ghost';
    url.password = SECRET;
    return url.toString();
  },
  rejected: /role "nestjs_probes_ghost" does not exist/,
};

const mariadb: Driver = {
  server: 'mysql',
  name: 'mysql',
  indicator: MysqlHealthIndicator.name,
  register: (options) => MysqlHealthIndicator.register(options),
  createPool(url) {
    const pool = mysql.createPool({ uri: url, connectionLimit: MAX });
    return { client: pool, end: () => new Promise<void>((resolve) => pool.end(() => resolve())) };
  },
  async exhaust(pool) {
    const wrapper = (pool as mysql.Pool).promise();
    const connections = await Promise.all(
      Array.from({ length: MAX }, () => wrapper.getConnection()),
    );
    return () => connections.forEach((connection) => connection.release());
  },
  // mysql2 has no public count of its queue: its internal one.
  waiting: (pool) =>
    (pool as unknown as Record<string, { length: number }>)['_connectionQueue'].length,
  rejectedUrl() {
    const url = new URL(SERVERS.mysql);
    url.password = SECRET;
    return url.toString();
  },
  rejected: /access denied/i,
};

function suite(driver: Driver): void {
  const { name } = driver;
  let proxy: TcpProxy;
  let app: INestApplication | undefined;
  let pool: { client: unknown; end(): Promise<void> } | undefined;

  /** Connections the proxy had accepted when the test began. */
  let acceptedBefore = 0;
  const accepted = () => proxy.accepted - acceptedBefore;

  /** An app whose indicator checks a pool of at most MAX connections through the proxy. */
  async function start(url = via(driver.server, proxy.port)): Promise<INestApplication> {
    acceptedBefore = proxy.accepted;
    const created = driver.createPool(url);
    pool = created;
    app = await createTestApp({
      providers: [
        { provide: CLIENT, useValue: created.client },
        driver.register({ client: CLIENT, timeoutMs: TIMEOUT_MS, cacheTtlMs: TTL_MS }),
      ],
    });
    return app;
  }

  /** Closes the app, then ends the pool: both must finish, whatever the proxy does. */
  async function stop(): Promise<void> {
    await app?.close();
    app = undefined;
    const ending = pool?.end();
    pool = undefined;
    if (!ending) return;
    let timer: NodeJS.Timeout | undefined;
    const stuck = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error('the pool did not end: a connection is held')),
        2000,
      );
    });
    try {
      await Promise.race([ending, stuck]);
    } finally {
      clearTimeout(timer);
    }
  }

  beforeAll(async () => {
    proxy = await new TcpProxy(endpoint(driver.server)).start();
  });

  afterEach(async () => {
    await stop();
    await proxy.heal();
  });

  afterAll(async () => {
    await proxy?.stop();
  });

  it('passes against the real server, reporting its latency as a datastore', async () => {
    const { report, entry } = await passing(await start(), name);
    expect(report.status).toBe('pass');
    expect(entry).toMatchObject({
      componentId: name,
      componentType: 'datastore',
      status: 'pass',
      observedUnit: 'ms',
    });
    expect(entry.observedValue).toBeGreaterThan(0);
    expect(entry.observedValue).toBeLessThan(TIMEOUT_MS);
    expect(entry.details).toEqual({ totalCount: 1, idleCount: 1, waitingCount: 0, max: MAX });
    // One connection, borrowed and given back: the next run reuses it, opening none.
    const opened = accepted();
    await freshProbe(app!, name);
    expect(accepted()).toBe(opened);
  });

  it('fails fast when the server refuses connections, and passes within a TTL once it is back', async () => {
    await passing(await start(), name);
    await proxy.refuse();
    const { report, entry } = await freshProbe(app!, name);
    expect(report.status).toBe('fail');
    expect(entry.status).toBe('fail');
    // Its own error, not the timeout's: the check failed fast rather than waiting the timeout out
    // (wall-clock bounds here flake when two jest workers share two cores).
    expect(entry.output).toMatch(
      /^could not get a connection from the pool: connect ECONNREFUSED 127\.0\.0\.1:\d+$/,
    );
    await proxy.heal();
    // The failure is cached for one TTL; the first run after it passes (a later one on a machine
    // too loaded to open the new connection within the suite's short timeout).
    await passesWithinRuns(app!, name, TTL_MS);
  });

  it('fails at the timeout when the server hangs, and leaves nothing open', async () => {
    await passing(await start(), name);
    const opened = accepted();
    proxy.blackhole();
    // First the pooled connection, whose query hangs; then new connections, which never open.
    for (let run = 1; run <= 4; run++) {
      const { entry, ms } = await freshProbe(app!, name);
      expect(entry).toMatchObject({ status: 'fail', output: `timed out after ${TIMEOUT_MS} ms` });
      expect(ms).toBeGreaterThanOrEqual(TIMEOUT_MS - 5);
      // Bounded by the timeout, with room for a loaded machine's scheduling.
      expect(ms).toBeLessThan(TIMEOUT_MS + 1000);
      // Whatever the run gave up on is closed: the connection its query hung on (destroyed, not
      // returned to the pool), or the one being opened for it. Nothing else is open.
      await until(() => proxy.openSockets === 0, 'what the run gave up on to close', 500);
    }
    // Each run after the first (which hung on the pooled connection) opened at most one
    // connection, closed at its timeout.
    expect(accepted() - opened).toBeLessThanOrEqual(3);
    // None is left in the pool, so ending it needs no answer from the server.
    await stop();
    await until(() => proxy.openSockets === 0, 'every socket to close once the pool has ended');
  });

  it('passes again soon after a hung server answers again', async () => {
    await passing(await start(), name);
    proxy.blackhole();
    expect((await freshProbe(app!, name)).entry.output).toBe(`timed out after ${TIMEOUT_MS} ms`);
    expect((await freshProbe(app!, name)).entry.output).toBe(`timed out after ${TIMEOUT_MS} ms`);
    await proxy.heal();
    // The proxy drops what it got while black-holing, so nothing that hung can finish: only a
    // connection opened after it can pass. One TTL of cached failure, then a run that passes.
    await passesWithinRuns(app!, name, TTL_MS);
  });

  it('waits in the queue of an exhausted pool, and leaves it at the timeout', async () => {
    await start();
    const giveBack = await driver.exhaust(pool!.client);
    for (let run = 1; run <= 3; run++) {
      const { entry } = await freshProbe(app!, name);
      expect(entry.output).toBe(`timed out after ${TIMEOUT_MS} ms`);
      // Withdrawn, so that a long saturation does not pile the runs' requests up.
      await until(() => driver.waiting(pool!.client) === 0, 'the run to leave the queue', 500);
    }
    giveBack();
    const { entry } = await freshProbe(app!, name);
    expect(entry).toMatchObject({
      status: 'pass',
      details: { totalCount: MAX, idleCount: MAX, waitingCount: 0 },
    });
    expect(accepted()).toBe(MAX);
  });

  it('fails on rejected credentials without showing the password', async () => {
    // The server's answer, not a run that timed out opening the connection on a loaded machine.
    const { report, entry } = await probeUntil(
      await start(driver.rejectedUrl()),
      name,
      (e) => e.output !== `timed out after ${TIMEOUT_MS} ms`,
    );
    expect(entry.status).toBe('fail');
    expect(entry.output).toMatch(/^could not get a connection from the pool: /);
    expect(entry.output).toMatch(driver.rejected);
    expect(JSON.stringify(report)).not.toContain(SECRET);
  });

  it('refuses to start with a client it cannot use', async () => {
    await expect(
      createTestApp({
        providers: [
          { provide: CLIENT, useValue: { select: () => 1 } },
          driver.register({ client: CLIENT }),
        ],
      }),
    ).rejects.toThrow(`${driver.indicator}(${name}) needs a`);
  });
}

await describeWithServer('postgres', 'PostgresHealthIndicator on a real PostgreSQL', () => {
  suite(postgres);

  it('checks a single connected Client too', async () => {
    const client = new pg.Client({ connectionString: SERVERS.postgres });
    await client.connect();
    try {
      const app = await createTestApp({
        providers: [PostgresHealthIndicator.registerAsync({ useFactory: () => ({ client }) })],
      });
      const { entry } = await probe(app, 'postgres');
      await app.close();
      expect(entry).toMatchObject({ status: 'pass', componentType: 'datastore' });
      expect(entry.details).toBeUndefined();
    } finally {
      await client.end();
    }
  });
});

await describeWithServer('mysql', 'MysqlHealthIndicator on a real MariaDB', () => {
  suite(mariadb);

  it('checks a pool and a connection of the promise API too', async () => {
    const pool = mysqlPromise.createPool({ uri: SERVERS.mysql, connectionLimit: 1 });
    const connection = await mysqlPromise.createConnection(SERVERS.mysql);
    try {
      const app = await createTestApp({
        providers: [
          MysqlHealthIndicator.registerAsync({
            name: 'pool',
            useFactory: () => ({ client: pool }),
          }),
          MysqlHealthIndicator.registerAsync({
            name: 'connection',
            useFactory: () => ({ client: connection }),
          }),
        ],
      });
      const pooled = await probe(app, 'pool');
      const single = await probe(app, 'connection');
      await app.close();
      expect(pooled.entry).toMatchObject({ status: 'pass', componentType: 'datastore' });
      expect(pooled.entry.details).toMatchObject({ totalCount: 1, idleCount: 1, max: 1 });
      expect(single.entry).toMatchObject({ status: 'pass', componentType: 'datastore' });
    } finally {
      await pool.end();
      await connection.end();
    }
  });
});

/** Boots an app with one SqlHealthIndicator over `client`, and probes it once. */
async function probeSql(client: unknown): Promise<CheckReport> {
  const app = await createTestApp({
    providers: [
      { provide: CLIENT, useValue: client },
      SqlHealthIndicator.register({ client: CLIENT, timeoutMs: 1000 }),
    ],
  });
  try {
    return (await probe(app, 'sql')).entry;
  } finally {
    await app.close();
  }
}

await describeWithServer('postgres', 'SqlHealthIndicator on a real PostgreSQL', () => {
  let db: Knex;
  beforeAll(() => {
    db = knex({ client: 'pg', connection: SERVERS.postgres, pool: { min: 0, max: 1 } });
  });
  afterAll(() => db?.destroy());

  it('passes with a Knex instance', async () => {
    const entry = await probeSql(db);
    expect(entry).toMatchObject({ status: 'pass', componentType: 'datastore', observedUnit: 'ms' });
  });

  it('fails with the statement and the error when the query fails', async () => {
    const app = await createTestApp({
      providers: [
        SqlHealthIndicator.registerAsync({
          useFactory: () => ({ client: db, query: 'SELECT no_such_column' }),
        }),
      ],
    });
    const { entry } = await probe(app, 'sql');
    await app.close();
    expect(entry.status).toBe('fail');
    expect(entry.output).toBe('SELECT no_such_column - column "no_such_column" does not exist');
  });
});

await describeWithServer('mysql', 'SqlHealthIndicator on a real MariaDB', () => {
  const handles: { end(): Promise<void> }[] = [];
  afterAll(async () => {
    await Promise.all(handles.map((handle) => handle.end()));
  });

  it('passes with a Knex instance', async () => {
    const db = knex({ client: 'mysql2', connection: SERVERS.mysql, pool: { min: 0, max: 1 } });
    handles.push({ end: () => db.destroy() });
    expect(await probeSql(db)).toMatchObject({ status: 'pass', componentType: 'datastore' });
  });

  it('passes with any client whose query() returns a promise (a mysql2/promise pool)', async () => {
    const pool = mysqlPromise.createPool({ uri: SERVERS.mysql, connectionLimit: 1 });
    handles.push(pool);
    expect(await probeSql(pool)).toMatchObject({ status: 'pass', componentType: 'datastore' });
  });

  it('passes with a pool of the mysql2 callback API, through its promise() wrapper', async () => {
    const pool = mysql.createPool({ uri: SERVERS.mysql, connectionLimit: 1 });
    handles.push({ end: () => new Promise<void>((resolve) => pool.end(() => resolve())) });
    expect(await probeSql(pool)).toMatchObject({ status: 'pass' });
  });
});

describe('SqlHealthIndicator start-up', () => {
  it('refuses to start with a client that has no method to run SQL with', async () => {
    await expect(probeSql({ select: () => 1 })).rejects.toThrow(
      /^SqlHealthIndicator\(sql\) needs an SQL client: .* got an object\./,
    );
  });
});

// Settings compile with the drivers' own classes.
void ([
  PostgresHealthIndicator.registerAsync({ useFactory: (pool: pg.Pool) => ({ client: pool }) }),
  PostgresHealthIndicator.registerAsync({ useFactory: (client: pg.Client) => ({ client }) }),
  MysqlHealthIndicator.registerAsync({ useFactory: (pool: mysql.Pool) => ({ client: pool }) }),
  MysqlHealthIndicator.registerAsync({
    useFactory: (pool: mysqlPromise.Pool) => ({ client: pool }),
  }),
  MysqlHealthIndicator.registerAsync({
    useFactory: (connection: mysql.Connection) => ({ client: connection }),
  }),
  SqlHealthIndicator.registerAsync({ useFactory: (db: Knex) => ({ client: db }) }),
  SqlHealthIndicator.registerAsync({ useFactory: (pool: pg.Pool) => ({ client: pool }) }),
  SqlHealthIndicator.registerAsync({
    useFactory: (pool: mysqlPromise.Pool) => ({ client: pool }),
  }),
] satisfies Provider[]);
