import { afterAll, describe, expect, it } from '@jest/globals';
import { MikroORM } from '@mikro-orm/core';
import { PostgreSqlDriver } from '@mikro-orm/postgresql';
import { ModulesContainer } from '@nestjs/core';
import { ClientProxyFactory, Transport } from '@nestjs/microservices';
import { PrismaPg } from '@prisma/adapter-pg';
import { drizzle } from 'drizzle-orm/node-postgres';
import { Cluster, Redis } from 'ioredis';
import memjs from 'memjs';
import { MongoClient } from 'mongodb';
import mongoose from 'mongoose';
import mqtt from 'mqtt';
import mysql from 'mysql2';
import mysqlPromise from 'mysql2/promise';
import { EventEmitter } from 'node:events';
import { createRequire } from 'node:module';
import { connect as connectNats } from 'nats';
import pg from 'pg';
import { createClient, createClientPool } from 'redis';
import { Sequelize } from 'sequelize';
import { DataSource } from 'typeorm';
import * as indicators from '../index.js';
import { BuiltInIndicator } from '../indicators/support/built-in.indicator.js';
import { DISCOVERABLE, type DiscoverableClass } from './discoverable.js';
import { clientsOf } from './client.scanner.js';
import { describeWithServer, SERVERS } from '../../test/support/servers.js';

/*
 * The clients of each library, as the libraries make them, recognised for what they are, and
 * taken by the indicator that recognises them (auto-discovery and register() agree). None of them
 * connects: nothing here needs a server.
 */

const require = createRequire(import.meta.url);
const UNREACHABLE = '127.0.0.1:1';
const closing: (() => unknown)[] = [];
const later = <T>(client: T, close: (client: T) => unknown): T => {
  closing.push(() => close(client));
  return client;
};

afterAll(async () => {
  for (const close of closing) await Promise.resolve(close()).catch(() => undefined);
});

const kindOf = (client: unknown): DiscoverableClass | undefined =>
  clientsOf([{ token: 'T', instance: client }], DISCOVERABLE)[0]?.cls;

async function prismaClient(): Promise<object> {
  const generated = (await import('../../test/fixtures/prisma/generated/client.js' as string)) as {
    PrismaClient: new (options: object) => object;
  };
  const adapter = new PrismaPg({ connectionString: `postgres://${UNREACHABLE}/x` });
  return new generated.PrismaClient({ adapter });
}

const pgPool = () =>
  later(new pg.Pool({ connectionString: `postgres://${UNREACHABLE}/x` }), (p) => p.end());
const [host, port] = UNREACHABLE.split(':');

/** Each library's client, and the indicator it is for. */
const CLIENTS: [string, () => unknown, string][] = [
  [
    'a TypeORM DataSource',
    () => new DataSource({ type: 'postgres', host, port: +port }),
    'TypeOrmHealthIndicator',
  ],
  [
    'a Sequelize',
    () => later(new Sequelize(`postgres://${UNREACHABLE}/x`, { logging: false }), (s) => s.close()),
    'SequelizeHealthIndicator',
  ],
  [
    'a MikroORM',
    () =>
      MikroORM.initSync({
        driver: PostgreSqlDriver,
        clientUrl: `postgres://${UNREACHABLE}/x`,
        entities: [],
        discovery: { warnWhenNoEntities: false },
      }),
    'MikroOrmHealthIndicator',
  ],
  ['a Drizzle database', () => drizzle(pgPool()), 'DrizzleHealthIndicator'],
  ['a Prisma client', prismaClient, 'PrismaHealthIndicator'],
  ['a Mongoose connection', () => mongoose.createConnection(), 'MongooseHealthIndicator'],
  ['a MongoClient', () => new MongoClient(`mongodb://${UNREACHABLE}`), 'MongoHealthIndicator'],
  [
    'a Nest Redis client',
    () => ClientProxyFactory.create({ transport: Transport.REDIS }),
    'MicroserviceClientHealthIndicator',
  ],
  [
    'a Nest TCP client',
    () => ClientProxyFactory.create({ transport: Transport.TCP }),
    'MicroserviceClientHealthIndicator',
  ],
  ['an ioredis client', () => new Redis({ lazyConnect: true }), 'RedisHealthIndicator'],
  [
    'an ioredis Cluster',
    () => new Cluster([{ host, port: +port }], { lazyConnect: true }),
    'RedisHealthIndicator',
  ],
  ['a node-redis client', () => createClient(), 'RedisHealthIndicator'],
  ['a node-redis pool', () => createClientPool(), 'RedisHealthIndicator'],
  [
    'an amqplib connection',
    () => {
      // amqplib's ChannelModel, which connect() resolves with, made on a connection that is not.
      const main = require.resolve('amqplib');
      const model = require(main.replace(/channel_api\.js$/, 'lib/channel_model.js')) as {
        ChannelModel: new (connection: EventEmitter) => object;
      };
      return new model.ChannelModel(new EventEmitter());
    },
    'RabbitMqHealthIndicator',
  ],
  [
    'an MQTT.js client',
    () => mqtt.connect(`mqtt://${UNREACHABLE}`, { manualConnect: true }),
    'MqttHealthIndicator',
  ],
  ['a memjs client', () => memjs.Client.create(UNREACHABLE), 'MemcachedHealthIndicator'],
  ['a pg Pool', pgPool, 'PostgresHealthIndicator'],
  [
    'a mysql2 pool',
    () => later(mysql.createPool({ host, port: +port }), (p) => p.end()),
    'MysqlHealthIndicator',
  ],
  [
    'a mysql2/promise pool',
    () => later(mysqlPromise.createPool({ host, port: +port }), (p) => p.end()),
    'MysqlHealthIndicator',
  ],
];

describe('what auto-discovery recognises', () => {
  it.each(CLIENTS)('%s, for what it is', async (_, make, expected) => {
    const client = await make();
    const cls = kindOf(client);
    expect(cls?.name).toBe(expected);
    if (cls!.discovery.unsupported?.(client)) return;
    // What register() would make of it: the indicator takes it.
    const settings = cls!.discovery.settings?.(client, { modules: new ModulesContainer() });
    const indicator = new (cls as unknown as new (s: unknown) => BuiltInIndicator<unknown>)(
      settings ?? { client },
    );
    expect(indicator.checkedClients()).toContain(client);
    (indicator as { onModuleDestroy?(): void }).onModuleDestroy?.();
  });

  it.each([
    ['a pg Client (not a pool)', () => new pg.Client()],
    ['an amqplib channel', () => ({ checkExchange() {}, close() {}, on() {} })],
    ['a class of the application’s with a ping()', () => ({ status: 'ready', ping() {} })],
    ['a Mongoose instance', () => new mongoose.Mongoose()],
    ['a mock that answers for anything', () => new Proxy({}, { get: () => () => undefined })],
    [
      'a getter that throws',
      () =>
        Object.defineProperty({}, 'ping', {
          get: () => {
            throw new Error('no');
          },
        }),
    ],
  ])('leaves %s alone', (_, make) => {
    expect(kindOf(make())).toBeUndefined();
  });

  it('knows every built-in that declares how to discover its clients', () => {
    const declaring = Object.values(indicators).filter(
      (value) =>
        typeof value === 'function' &&
        value.prototype instanceof BuiltInIndicator &&
        (value as { discovery?: unknown }).discovery !== undefined,
    );
    expect(new Set(DISCOVERABLE)).toEqual(new Set(declaring));
  });
});

// A NATS connection cannot be made without a server: this one talks to the machine's.
await describeWithServer('nats', 'what auto-discovery recognises, connected', () => {
  it('a NATS connection, for what it is', async () => {
    const connection = await connectNats({ servers: SERVERS.nats });
    try {
      expect(kindOf(connection)?.name).toBe('NatsHealthIndicator');
    } finally {
      await connection.close();
    }
  });
});
