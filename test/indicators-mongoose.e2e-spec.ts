import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Controller, Get, type INestApplication } from '@nestjs/common';
import { InjectModel, MongooseModule, getConnectionToken } from '@nestjs/mongoose';
import { Schema, type Connection, type Model } from 'mongoose';
import { MongooseHealthIndicator } from '../lib/index.js';
import type { ClientLocation } from '../lib/indicators/support/client-location.js';
import { createTestApp } from './support/app.js';
import { startMockupDb, type MockupDb } from './support/mockupdb.js';
import { outage, passes, ready, readyUntil, Traffic } from './support/mongo.js';
import { startUpError } from './support/orm.js';
import { describeWithBinary } from './support/servers.js';
import { TcpProxy } from './support/tcp-proxy.js';
import { until } from './support/wait.js';

/**
 * MongooseHealthIndicator with @nestjs/mongoose, against MockupDB (MongoDB's wire-protocol test
 * server, started by the suite): one app holds the default connection, a named one and a lazy
 * one, each through a TCP proxy the test owns.
 */

const TIMEOUT_MS = 1500;
const TTL_MS = 200;
const HEARTBEAT_MS = 500;
const MAX_CONNECTING = 2;
const timing = { timeoutMs: TIMEOUT_MS, cacheTtlMs: TTL_MS };
const client = {
  heartbeatFrequencyMS: HEARTBEAT_MS,
  maxConnecting: MAX_CONNECTING,
  maxPoolSize: 2,
  monitorCommands: true,
  retryAttempts: 1,
};

const OrderSchema = new Schema({ name: String });

/** The application's own query, through the default connection. */
@Controller('orders')
class OrdersController {
  constructor(@InjectModel('Order') private readonly orders: Model<{ name: string }>) {}

  @Get('first')
  first() {
    return this.orders.findOne().lean();
  }
}

describeWithBinary('python3-mockupdb', 'MongooseHealthIndicator against MockupDB', () => {
  let server: MockupDb;
  const proxies: Record<'main' | 'reporting' | 'lazy', TcpProxy> = {} as never;
  let app: INestApplication;
  const connection = (name?: string) => app.get<Connection>(getConnectionToken(name));
  const open = () => Object.values(proxies).map((proxy) => proxy.openSockets);

  beforeAll(async () => {
    server = await startMockupDb();
    for (const name of ['main', 'reporting', 'lazy'] as const) {
      proxies[name] = await new TcpProxy({ host: '127.0.0.1', port: server.port }).start();
    }
    // The lazy connection opens into a black hole: it stays "connecting" until the test heals it.
    proxies.lazy.blackhole();
    app = await createTestApp({
      controllers: [OrdersController],
      imports: [
        MongooseModule.forRoot(server.uri(proxies.main.port), client),
        MongooseModule.forRoot(server.uri(proxies.reporting.port), {
          ...client,
          connectionName: 'reporting',
        }),
        MongooseModule.forRoot(server.uri(proxies.lazy.port), {
          ...client,
          connectionName: 'lazy',
          lazyConnection: true,
        }),
        MongooseModule.forFeature([{ name: 'Order', schema: OrderSchema }]),
      ],
      providers: [
        MongooseHealthIndicator.register(timing),
        MongooseHealthIndicator.register({
          name: 'reporting',
          connectionName: 'reporting',
          probes: ['deep'],
          ...timing,
        }),
        MongooseHealthIndicator.register({
          name: 'lazy',
          connectionName: 'lazy',
          probes: ['deep'],
          ...timing,
        }),
      ],
    });
  });

  afterAll(async () => {
    // A black hole left by a failed test ends first: a closing client waits for a server.
    await Promise.all(
      Object.values(proxies).map((proxy) => proxy.refuse().then(() => proxy.heal())),
    );
    await app?.close();
    await Promise.all(Object.values(proxies).map((proxy) => proxy.stop()));
    await server?.stop();
  });

  it('fails at once while a connection is still opening, and passes once it is open', async () => {
    const { entry } = await ready(app, 'lazy', 'deep');
    expect(entry).toMatchObject({
      status: 'fail',
      output: 'not connected yet (readyState: connecting)',
    });
    expect(entry.observedValue).toBeLessThan(100);
    await proxies.lazy.refuse();
    await proxies.lazy.heal();
    await until(() => connection('lazy').readyState === 1, 'the lazy connection to open', 10_000);
    expect((await readyUntil(app, 'lazy', passes, 5000, 'deep')).entry.status).toBe('pass');
  });

  it('finds the default connection with no settings, and pings through its client', async () => {
    const { code, entry } = await readyUntil(app, 'mongoose', passes);
    expect(code).toBe(200);
    expect(entry).toMatchObject({
      componentId: 'mongoose',
      componentType: 'datastore',
      observedUnit: 'ms',
      details: { command: 'ping', database: 'admin' },
    });
    expect(entry.observedValue).toBeLessThan(TIMEOUT_MS);
  });

  it('finds a named connection', async () => {
    const { entry } = await ready(app, 'reporting', 'deep');
    expect(entry).toMatchObject({ status: 'pass', details: { command: 'ping' } });
  });

  it('goes through an outage of the default connection, refused then a black hole', async () => {
    const traffic = new Traffic(connection().getClient() as never);
    await outage({
      app,
      name: 'mongoose',
      proxy: proxies.main,
      traffic,
      query: '/orders/first',
      ...timing,
      ttlMs: TTL_MS,
      heartbeatMs: HEARTBEAT_MS,
      maxConnecting: MAX_CONNECTING,
    });
    // The other connections never noticed.
    expect((await ready(app, 'reporting', 'deep')).entry.status).toBe('pass');
  });

  it('fails saying so once a connection is closed', async () => {
    await connection('reporting').close();
    const { entry } = await readyUntil(app, 'reporting', (e) => e.status === 'fail', 5000, 'deep');
    expect(entry.output).toBe('connection closed');
  });

  it('closes with the app, leaving no connection open', async () => {
    await app.close();
    await until(
      () => open().every((sockets) => sockets === 0),
      () => `every connection closed (sockets open per proxy: ${open().join(', ')})`,
    );
  });
});

/** A subclass whose integration package is not installed. */
class OrphanMongooseHealthIndicator extends MongooseHealthIndicator {
  static override locate(settings: Record<string, unknown>): ClientLocation {
    return { ...super.locate(settings), package: 'not-an-installed-package-nestjs-probes' };
  }
}

describe('MongooseHealthIndicator start-up', () => {
  it('stops when the application provides no connection, saying what to import', async () => {
    expect(await startUpError([MongooseHealthIndicator.register({})])).toBe(
      'MongooseHealthIndicator(mongoose) found no client to check: the application provides no Mongoose connection. Import MongooseModule.forRoot(uri) (or forRootAsync()) in the application, or pass the injection token of your Mongoose Connection as "client".',
    );
  });

  it('stops when the named connection does not exist', async () => {
    expect(
      await startUpError([
        MongooseHealthIndicator.register({ name: 'db', connectionName: 'reportng' }),
      ]),
    ).toBe(
      'MongooseHealthIndicator(db) found no client to check: the application provides no Mongoose connection with connectionName "reportng". Import MongooseModule.forRoot(uri, { connectionName: \'reportng\', ... }) (or forRootAsync()) in the application, correct "connectionName", or pass the injection token of your Mongoose Connection as "client".',
    );
  });

  it('stops when @nestjs/mongoose, or mongoose, is not installed', async () => {
    expect(await startUpError([OrphanMongooseHealthIndicator.register({})])).toBe(
      'OrphanMongooseHealthIndicator(mongoose) needs the "not-an-installed-package-nestjs-probes" package, which is not installed. Install it: npm install not-an-installed-package-nestjs-probes',
    );
    class NoMongooseHealthIndicator extends MongooseHealthIndicator {
      static override readonly peer: string = 'mongoose-not-installed-nestjs-probes';
    }
    expect(await startUpError([NoMongooseHealthIndicator.register({ name: 'db' })])).toMatch(
      /^NoMongooseHealthIndicator\(db\) needs the "mongoose-not-installed-nestjs-probes" package/,
    );
  });

  it('stops on bad settings, and on a client that is no Mongoose connection', async () => {
    expect(await startUpError([MongooseHealthIndicator.register({ connectionName: ' ' })])).toMatch(
      /^MongooseHealthIndicator: "connectionName" is " "; it must be the connectionName of a connection of @nestjs\/mongoose/,
    );
    expect(
      await startUpError([
        MongooseHealthIndicator.register({ ...({ connection: 'reporting' } as object) }),
      ]),
    ).toMatch(/^MongooseHealthIndicator\(mongoose\) has no setting or option "connection"/);
    const NOT_A_CONNECTION = Symbol('NOT_A_CONNECTION');
    expect(
      await startUpError([
        { provide: NOT_A_CONNECTION, useValue: { db: {} } },
        MongooseHealthIndicator.register({ client: NOT_A_CONNECTION }),
      ]),
    ).toBe(
      'MongooseHealthIndicator(mongoose) needs a Mongoose Connection (with readyState) (an object with getClient()), got an object. Check the "client" token you registered it with.',
    );
  });
});
