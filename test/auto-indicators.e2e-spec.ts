import { afterAll, afterEach, beforeAll, expect, it } from '@jest/globals';
import {
  Inject,
  Injectable,
  type INestApplication,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
  type Provider,
} from '@nestjs/common';
import { BullModule, Processor, WorkerHost } from '@nestjs/bullmq';
import { ClientsModule, Transport, type ClientProxy } from '@nestjs/microservices';
import { SequelizeModule } from '@nestjs/sequelize';
import { TypeOrmModule } from '@nestjs/typeorm';
import amqp, { type ChannelModel } from 'amqplib';
import { Redis } from 'ioredis';
import request from 'supertest';
import {
  RedisHealthIndicator,
  type CheckReport,
  type HealthModuleOptions,
  type HealthReport,
} from '../lib/index.js';
import { createTestApp } from './support/app.js';
import { describeWithServer, endpoint, SERVERS, via } from './support/servers.js';
import { TcpProxy } from './support/tcp-proxy.js';
import { until } from './support/wait.js';

/**
 * `autoIndicators` in the app of a typical service, against the real servers: TypeORM on
 * PostgreSQL (through a TCP proxy the test owns), a named Sequelize connection on MariaDB, an
 * ioredis client, a BullMQ queue with its worker, an amqplib connection and a Nest microservice
 * client; not one indicator registered. Every key and queue lives under this run's prefix.
 */

const RUN = `nestjs-probes-auto-${process.pid}-${Date.now()}`;
const TIMEOUT_MS = 300;
const timing = { defaultTimeoutMs: TIMEOUT_MS, cacheTtlMs: 100 };
const redisAt = endpoint('redis');

/**
 * The checks this app's clients get, each named for what it is and where it is provided, in the
 * order of the app's modules (its own providers first).
 */
const NAMES = [
  'redis.cache',
  'rabbitmq',
  'typeorm',
  'sequelize.reporting',
  'bullmq.emails',
  'microservice.orders',
];

@Processor('emails')
class EmailWorker extends WorkerHost {
  async process() {
    return 'sent';
  }
}

/** What the service does with its clients: connects the microservice client, closes the rest. */
@Injectable()
class Clients implements OnApplicationBootstrap, OnApplicationShutdown {
  constructor(
    @Inject('CACHE_REDIS') private readonly redis: Redis,
    @Inject('AMQP_CONNECTION') private readonly broker: ChannelModel,
    @Inject('ORDERS_SERVICE') private readonly orders: ClientProxy,
  ) {}

  async onApplicationBootstrap() {
    await this.orders.connect();
  }

  async onApplicationShutdown() {
    this.redis.disconnect();
    await this.broker.close().catch(() => undefined);
  }
}

const clientProviders: Provider[] = [
  { provide: 'CACHE_REDIS', useFactory: () => new Redis({ ...redisAt, keyPrefix: `${RUN}:` }) },
  // The same client under another token: one client, one check.
  { provide: 'SESSIONS', inject: ['CACHE_REDIS'], useFactory: (redis: Redis) => redis },
  { provide: 'AMQP_CONNECTION', useFactory: () => amqp.connect(SERVERS.amqp) },
  EmailWorker,
  Clients,
];

let postgres: TcpProxy;
let app: INestApplication | undefined;
const logs: string[] = [];
const logger = { log: (line: string) => logs.push(line), warn() {}, error() {} };

/** The service's app, its PostgreSQL through the proxy. */
async function start(autoIndicators: HealthModuleOptions['autoIndicators'], more: Provider[] = []) {
  logs.length = 0;
  app = await createTestApp({
    init: false,
    health: { autoIndicators, logger, ...timing },
    imports: [
      TypeOrmModule.forRoot({ type: 'postgres', url: via('postgres', postgres.port), poolSize: 2 }),
      SequelizeModule.forRoot({
        name: 'reporting',
        dialect: 'mysql',
        uri: SERVERS.mysql,
        logging: false,
        pool: { max: 2, min: 0 },
      }),
      BullModule.forRoot({ connection: redisAt, prefix: RUN }),
      BullModule.registerQueue({ name: 'emails' }),
      ClientsModule.register([
        { name: 'ORDERS_SERVICE', transport: Transport.REDIS, options: redisAt },
      ]),
    ],
    providers: [...clientProviders, ...more],
  });
  // A start-up that fails has opened connections all the same: they close with the app.
  await app.init();
  return app;
}

async function read(path: string): Promise<{ status: number; body: HealthReport; text: string }> {
  const response = await request(app!.getHttpServer()).get(path);
  return { status: response.status, body: response.body as HealthReport, text: response.text };
}

const entry = (report: HealthReport, name: string): CheckReport | undefined =>
  report.checks?.[`${name}:responseTime`]?.[0];

/** Reads `path` until `accept` takes it, or fails with the last answer. */
async function readUntil(path: string, accept: (body: HealthReport, status: number) => boolean) {
  let last: Awaited<ReturnType<typeof read>> | undefined;
  await until(
    async () => {
      last = await read(path);
      return accept(last.body, last.status);
    },
    () => `${path} to be as expected; last: ${last?.status} ${JSON.stringify(last?.body)}`,
    10_000,
  );
  return last!;
}

const autoNames = (report: HealthReport) =>
  Object.entries(report.checks ?? {})
    .filter(([, [check]]) => check.autoDiscovered)
    .map(([, [check]]) => check.componentId);

await describeWithServer(
  ['postgres', 'mysql', 'redis', 'amqp'],
  'autoIndicators in an app that registers no indicator',
  () => {
    beforeAll(async () => {
      postgres = await new TcpProxy(endpoint('postgres')).start();
    });

    afterEach(async () => {
      await postgres.heal();
      await app?.close();
      app = undefined;
    });

    afterAll(async () => {
      await postgres?.stop();
      const redis = new Redis(redisAt);
      const keys = await redis.keys(`${RUN}:*`);
      if (keys.length > 0) await redis.del(...keys);
      redis.disconnect();
    });

    it('checks every client the app has in deep, once each, and none in ready', async () => {
      await start(true);
      const passing = (body: HealthReport) =>
        NAMES.every((name) => entry(body, name)?.status === 'pass');
      const deep = await readUntil('/health/deep', passing);
      expect(deep.status).toBe(200);
      expect(autoNames(deep.body).toSorted()).toEqual(NAMES.toSorted());
      expect(entry(deep.body, 'typeorm')).toMatchObject({
        componentType: 'datastore',
        autoDiscovered: true,
        details: { totalCount: 1, max: 2 },
      });
      expect(entry(deep.body, 'bullmq.emails')?.details).toMatchObject({ workers: 1 });
      expect(entry(deep.body, 'microservice.orders')?.details).toMatchObject({
        transport: 'redis',
      });
      const ready = await read('/health/ready');
      expect(ready.status).toBe(200);
      expect(autoNames(ready.body)).toEqual([]);
      // One line, each check with the client it was made for and where it goes.
      const line = logs.find((text) => text.startsWith('Auto-discovered'));
      expect(line).toMatch(/^Auto-discovered 6 client\(s\) to check: /);
      expect(line).toContain('typeorm ← TypeORM DataSource (token DataSource) → deep');
      expect(line).toContain('redis.cache ← Redis client (token CACHE_REDIS) → deep');
      expect(line).toContain('microservice.orders ← Nest microservice client');
    });

    it('marks them in the verbose text', async () => {
      await start(true);
      const deep = await readUntil(
        '/health/deep',
        (body) => entry(body, 'rabbitmq')?.status === 'pass',
      );
      expect(deep.status).toBe(200);
      const { text } = await read('/health/deep?verbose');
      expect(text).toContain('[+]rabbitmq ok (auto-discovered)\n');
      expect(text).toMatch(/^\[\+\]process:uptime ok$/m);
    });

    it('fails a client cut off within its timeout in deep, and ready stays 200', async () => {
      await start(true);
      await readUntil('/health/deep', (body) => entry(body, 'typeorm')?.status === 'pass');
      postgres.blackhole();
      const cut = await readUntil(
        '/health/deep',
        (body) => entry(body, 'typeorm')?.status === 'fail',
      );
      expect(entry(cut.body, 'typeorm')?.output).toBe(`timed out after ${TIMEOUT_MS} ms`);
      // Nobody chose to gate traffic on it: deep degrades, and ready is not touched.
      expect(cut).toMatchObject({ status: 200, body: { status: 'warn' } });
      expect((await read('/health/ready')).status).toBe(200);
      await postgres.refuse();
    });

    it('gates ready on a client promoted by name', async () => {
      await start({ probes: { ready: ['typeorm'] } });
      const ready = await readUntil('/health/ready', (_, status) => status === 200);
      expect(entry(ready.body, 'typeorm')).toMatchObject({ status: 'pass', autoDiscovered: true });
      expect(logs.find((text) => text.startsWith('Auto-discovered'))).toContain(
        'typeorm ← TypeORM DataSource (token DataSource) → ready + deep, critical',
      );
      await postgres.refuse();
      const failing = await readUntil('/health/ready', (_, status) => status === 503);
      expect(entry(failing.body, 'typeorm')?.status).toBe('fail');
      expect((await read('/health/deep')).status).toBe(503);
    });

    it('leaves a client an indicator of the app checks to it: one check, whatever its tokens', async () => {
      await start(true, [RedisHealthIndicator.register({ client: 'SESSIONS', name: 'cache' })]);
      const deep = await readUntil(
        '/health/deep',
        (body) => entry(body, 'cache')?.status === 'pass',
      );
      const redisChecks = Object.values(deep.body.checks ?? {}).filter(
        ([check]) =>
          check.details && 'status' in check.details && check.componentType === 'datastore',
      );
      expect(redisChecks.map(([check]) => check.componentId)).toEqual(['cache']);
      expect(autoNames(deep.body)).not.toContain('redis.cache');
      expect(logs.find((text) => text.startsWith('Auto-discovered'))).toContain(
        'Not checked: Redis client (token CACHE_REDIS): checked by "cache"',
      );
    });

    it('stops start-up on options that name a check it did not make, listing those it made', async () => {
      const failure = await start({ probes: { ready: ['database'] } }).catch(
        (error: Error) => error,
      );
      expect(failure).toBeInstanceOf(Error);
      expect((failure as Error).message).toBe(
        `HealthModule option "autoIndicators.probes.ready" names "database", which is not a check auto-discovery made: it found ${NAMES.map((name) => `"${name}"`).join(', ')}. Fix the name (see the start-up log line "Auto-discovered"), or register an indicator for that client yourself and set its probes there.`,
      );
    });
  },
);
