import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Controller, Get, Inject, type INestApplication } from '@nestjs/common';
import { MongoClient, type Db } from 'mongodb';
import { MongoClient as MongoClient6 } from 'mongodb6';
import { MongoHealthIndicator } from '../lib/index.js';
import { createTestApp } from './support/app.js';
import { startMockupDb, type MockupDb } from './support/mockupdb.js';
import { outage, passes, ready, readyUntil, Traffic } from './support/mongo.js';
import { startUpError } from './support/orm.js';
import { describeWithBinary } from './support/servers.js';
import { TcpProxy } from './support/tcp-proxy.js';
import { sleep, until } from './support/wait.js';

/**
 * MongoHealthIndicator on the application's own MongoClient (and a Db of it), against MockupDB,
 * MongoDB's wire-protocol test server, which the suite starts on a free port (and stops): the
 * real driver, real OP_MSG, real sockets, through a TCP proxy the test owns.
 */

const MONGO = Symbol('MONGO');
const SHOP = Symbol('SHOP');
const TIMEOUT_MS = 1500;
const HEARTBEAT_MS = 500;
const MAX_CONNECTING = 2;
const TTL_MS = 200;
const timing = { timeoutMs: TIMEOUT_MS, cacheTtlMs: TTL_MS };

/** The application's own query, through the same client. */
@Controller('orders')
class OrdersController {
  constructor(@Inject(SHOP) private readonly shop: Db) {}

  @Get('first')
  first() {
    return this.shop.collection('orders').findOne({});
  }
}

/**
 * The newest driver the peer range accepts, and its floor: 6.13, the first to take a signal
 * (installed as `mongodb6`). TypeORM 0.3 applications have a mongodb 6 (its optional peer).
 */
const drivers: [string, typeof MongoClient][] = [
  ['mongodb 7', MongoClient],
  ['mongodb 6.13', MongoClient6 as unknown as typeof MongoClient],
];

describe.each(drivers)('%s', (_driver, Client) =>
  describeWithBinary('python3-mockupdb', 'MongoHealthIndicator against MockupDB', () => {
    let server: MockupDb;
    let proxy: TcpProxy;
    let client: MongoClient;
    let traffic: Traffic;
    let app: INestApplication;

    beforeAll(async () => {
      server = await startMockupDb();
      proxy = await new TcpProxy({ host: '127.0.0.1', port: server.port }).start();
      client = new Client(server.uri(proxy.port), {
        monitorCommands: true,
        maxPoolSize: 2,
        maxConnecting: MAX_CONNECTING,
        heartbeatFrequencyMS: HEARTBEAT_MS,
      });
      traffic = new Traffic(client);
      app = await createTestApp({
        controllers: [OrdersController],
        providers: [
          { provide: MONGO, useFactory: () => client.connect() },
          { provide: SHOP, inject: [MONGO], useFactory: (mongo: MongoClient) => mongo.db('shop') },
          MongoHealthIndicator.register({ client: MONGO, ...timing }),
          MongoHealthIndicator.register({
            client: SHOP,
            name: 'shop',
            command: { dbStats: 1 },
            // On the deep probe only: the pool's connections counted on ready are the other's.
            probes: ['deep'],
            ...timing,
          }),
        ],
      });
    });

    afterAll(async () => {
      // A black hole left by a failed test ends first: a closing client waits for a server.
      await proxy?.refuse();
      await proxy?.heal();
      await app?.close();
      await client?.close();
      await proxy?.stop();
      await server?.stop();
    });

    it('passes with a ping on the admin database, on the application’s pooled connections', async () => {
      const { code, entry } = await readyUntil(app, 'mongodb', passes);
      expect(code).toBe(200);
      expect(entry).toMatchObject({
        componentId: 'mongodb',
        componentType: 'datastore',
        observedUnit: 'ms',
        details: { command: 'ping', database: 'admin' },
      });
      expect(entry.observedValue).toBeLessThan(TIMEOUT_MS);
      const accepted = proxy.accepted;
      for (let run = 0; run < 3; run++) {
        await sleep(TTL_MS + 20);
        expect((await ready(app, 'mongodb')).entry.status).toBe('pass');
      }
      expect(proxy.accepted).toBe(accepted);
    });

    it('runs the command it is given, on the Db it is given', async () => {
      const { entry } = await ready(app, 'shop', 'deep');
      expect(entry.status).toBe('pass');
      expect(entry.details).toEqual({ command: 'dbStats', database: 'shop' });
    });

    it('fails with the server’s reason when the command fails, and passes once it answers', async () => {
      await server.answer('ping', { error: 'the storage engine is unavailable' });
      const { code, entry } = await readyUntil(app, 'mongodb', (e) => e.status === 'fail');
      expect(code).toBe(503);
      expect(entry.output).toBe('ping failed: the storage engine is unavailable');
      await server.answer('ping', 'pass');
      await readyUntil(app, 'mongodb', passes);
    });

    it('fails at its timeout when the server does not answer, keeping no connection', async () => {
      await server.answer('ping', 'hang');
      traffic.restart();
      const { entry, ms } = await readyUntil(app, 'mongodb', (e) => e.status === 'fail');
      expect(entry.output).toBe(`timed out after ${TIMEOUT_MS} ms`);
      expect(ms).toBeLessThan(TIMEOUT_MS + 1000);
      // The unanswered ping was withdrawn: its connection closed, not lent again.
      await until(() => traffic.outstanding.checkedOut === 0, 'the connection back from the ping');
      expect(traffic.maxPings).toBe(1);
      await server.answer('ping', 'pass');
      await readyUntil(app, 'mongodb', passes);
    });

    it('goes through an outage: refused, then a black hole, each healed', async () => {
      await outage({
        app,
        name: 'mongodb',
        proxy,
        traffic,
        query: '/orders/first',
        heartbeatMs: HEARTBEAT_MS,
        maxConnecting: MAX_CONNECTING,
        ...timing,
        ttlMs: TTL_MS,
      });
    });

    it('fails saying so once the application closed its client, and leaves nothing open', async () => {
      await client.close();
      const { entry } = await readyUntil(app, 'mongodb', (e) => e.status === 'fail');
      expect(entry.output).toBe('client closed');
      expect(entry.observedValue).toBeLessThan(100);
      await app.close();
      await until(
        () => proxy.openSockets === 0,
        () => `every socket closed (${proxy.openSockets} open)`,
      );
    });
  }),
);

describe('MongoHealthIndicator start-up', () => {
  const CLIENT = Symbol('CLIENT');
  const withClient = (client: unknown, settings: object = {}) => [
    { provide: CLIENT, useValue: client },
    MongoHealthIndicator.register({ client: CLIENT, ...settings }),
  ];
  const unconnected = new MongoClient('mongodb://127.0.0.1:9/?directConnection=true');

  it('stops on a client that is no MongoClient or Db', async () => {
    expect(await startUpError(withClient({ ping: () => undefined }))).toBe(
      'MongoHealthIndicator(mongodb) needs a MongoClient or a Db of the MongoDB driver ("mongodb") (an object with db()), got an object. Check the "client" token you registered it with.',
    );
  });

  it('stops on a command that is no command document, and on an unknown setting', async () => {
    expect(await startUpError(withClient(unconnected, { command: 'ping' }))).toBe(
      'MongoHealthIndicator(mongodb): "command" is "ping"; it must be a command document whose first key names the command, such as { ping: 1 }.',
    );
    expect(await startUpError(withClient(unconnected, { command: {} }))).toMatch(
      /^MongoHealthIndicator\(mongodb\): "command" is an object; it must be a command document/,
    );
    expect(await startUpError(withClient(unconnected, { database: 'shop' }))).toMatch(
      /^MongoHealthIndicator\(mongodb\) has no setting or option "database"\. Its settings: "client", "command"/,
    );
  });

  it('stops when the mongodb package is not installed', async () => {
    class NoDriverHealthIndicator extends MongoHealthIndicator {
      static override readonly peer: string = 'not-an-installed-package-nestjs-probes';
    }
    expect(
      await startUpError([
        { provide: CLIENT, useValue: unconnected },
        NoDriverHealthIndicator.register({ client: CLIENT }),
      ]),
    ).toBe(
      'NoDriverHealthIndicator(mongodb) needs the "not-an-installed-package-nestjs-probes" package, which is not installed. Install it: npm install not-an-installed-package-nestjs-probes',
    );
  });
});
