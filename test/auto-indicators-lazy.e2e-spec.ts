import { afterAll, afterEach, beforeAll, expect, it } from '@jest/globals';
import type { INestApplication } from '@nestjs/common';
import { MikroORM } from '@mikro-orm/core';
import { PostgreSqlDriver } from '@mikro-orm/postgresql';
import { ClientProxyFactory, Transport, type ClientProxy } from '@nestjs/microservices';
import { Redis } from 'ioredis';
import memjs from 'memjs';
import { MongoClient } from 'mongodb';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { createClient } from 'redis';
import request from 'supertest';
import type { HealthReport } from '../lib/index.js';
import { createTestApp } from './support/app.js';
import { describeWithServer, endpoint, via } from './support/servers.js';
import { TcpProxy } from './support/tcp-proxy.js';
import { until } from './support/wait.js';

/**
 * An auto-found check never connects a client that nothing has connected yet: each of these
 * reaches its server (or a listener of the test's own, where the machine has none) through a
 * socket the test counts, and none is ever opened. Once the application connects one, its
 * check passes.
 */

let redis: TcpProxy;
let postgres: TcpProxy;
let listener: Server;
let accepted = 0;
let app: INestApplication | undefined;

/** Every not-yet-connected client, by its token. */
function clients() {
  const { port } = listener.address() as AddressInfo;
  const redisOptions = { host: '127.0.0.1', port: redis.port };
  return {
    LAZY_REDIS: new Redis({ ...redisOptions, lazyConnect: true }),
    NODE_REDIS: createClient({ url: via('redis', redis.port) }),
    ORDERS_SERVICE: ClientProxyFactory.create({
      transport: Transport.REDIS,
      options: redisOptions,
    }),
    MONGO_CLIENT: new MongoClient(`mongodb://127.0.0.1:${port}/?directConnection=true`),
    MEMCACHED: memjs.Client.create(`127.0.0.1:${port}`, { logger: { log() {} } }),
    MIKRO_ORM: MikroORM.initSync({
      driver: PostgreSqlDriver,
      clientUrl: via('postgres', postgres.port),
      entities: [],
      discovery: { warnWhenNoEntities: false },
      pool: { min: 0, max: 1 },
    }),
  };
}

/** The checks, and why each fails. */
const NOT_CONNECTED: Record<string, RegExp> = {
  'redis.lazy': /^not connected: nothing has connected it yet \(lazyConnect, status: wait\)$/,
  'redis.node': /^not connected \(status: closed\)$/,
  'microservice.orders': /^not connected: nothing has connected the client yet/,
  mongodb: /^not connected: nothing has connected this MongoClient yet$/,
  memcached: /^not connected: the application has sent no request through this client yet$/,
  'mikro-orm': /^not connected: nothing has connected this MikroORM yet/,
};

const deep = async () =>
  (await request(app!.getHttpServer()).get('/health/deep')).body as HealthReport;
const entryOf = (report: HealthReport, name: string) =>
  report.checks?.[`${name}:responseTime`]?.[0];

await describeWithServer(
  ['redis', 'postgres'],
  'autoIndicators and clients not connected yet',
  () => {
    let made: ReturnType<typeof clients>;

    beforeAll(async () => {
      redis = await new TcpProxy(endpoint('redis')).start();
      postgres = await new TcpProxy(endpoint('postgres')).start();
      listener = createServer((socket) => {
        accepted++;
        socket.destroy();
      });
      await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
    });

    afterEach(async () => {
      await app?.close();
      app = undefined;
      made.LAZY_REDIS.disconnect();
      await made.ORDERS_SERVICE.close();
      await made.MIKRO_ORM.close().catch(() => undefined);
    });

    afterAll(async () => {
      await Promise.all([redis?.stop(), postgres?.stop()]);
      await new Promise((resolve) => listener?.close(resolve));
    });

    it('reports them as not connected, in deep only, and never connects them', async () => {
      made = clients();
      app = await createTestApp({
        health: { autoIndicators: true, cacheTtlMs: 0, logger: false },
        providers: Object.entries(made).map(([provide, useValue]) => ({ provide, useValue })),
      });
      for (let run = 0; run < 3; run++) {
        const report = await deep();
        for (const [name, output] of Object.entries(NOT_CONNECTED)) {
          expect(entryOf(report, name)).toMatchObject({ status: 'fail', autoDiscovered: true });
          expect(entryOf(report, name)?.output).toMatch(output);
        }
        expect(report.status).toBe('warn');
      }
      await request(app.getHttpServer()).get('/health/ready').expect(200);
      // Not one connection attempt, anywhere.
      expect([redis.accepted, postgres.accepted, accepted]).toEqual([0, 0, 0]);
      expect(made.LAZY_REDIS.status).toBe('wait');
      expect(made.NODE_REDIS.isOpen).toBe(false);
      expect(() => made.ORDERS_SERVICE.unwrap()).toThrow();
    });

    it('checks them once the application has connected them', async () => {
      made = clients();
      app = await createTestApp({
        health: { autoIndicators: true, cacheTtlMs: 0, logger: false },
        providers: Object.entries(made).map(([provide, useValue]) => ({ provide, useValue })),
      });
      await made.LAZY_REDIS.connect();
      await (made.ORDERS_SERVICE as ClientProxy).connect();
      await until(async () => {
        const report = await deep();
        return ['redis.lazy', 'microservice.orders'].every(
          (name) => entryOf(report, name)?.status === 'pass',
        );
      }, 'the connected clients to pass');
    });
  },
);
