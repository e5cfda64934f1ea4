import { afterAll, beforeAll, expect, it } from '@jest/globals';
import type { INestApplication } from '@nestjs/common';
import { Redis } from 'ioredis';
import pg from 'pg';
import request from 'supertest';
import { Inject, Injectable } from '@nestjs/common';
import {
  HealthIndicator,
  PostgresHealthIndicator,
  RedisHealthIndicator,
  type HealthCheck,
} from '../lib/index.js';
import { createTestApp } from './support/app.js';
import { describeWithServer, endpoint, via } from './support/servers.js';
import { TcpProxy } from './support/tcp-proxy.js';

const PG_POOL = Symbol('PG_POOL');
const REDIS = Symbol('REDIS');
const TTL_MS = 200;

/** Polls /health/ready until it answers as expected, or fails with the last answer. */
async function until(
  app: INestApplication,
  expected: { status: number; body: string },
  timeoutMs = 5000,
): Promise<request.Response> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const response = await request(app.getHttpServer()).get('/health/ready');
    if (response.status === expected.status && response.body.status === expected.body)
      return response;
    if (Date.now() > deadline) {
      throw new Error(`ready still answers ${response.status} ${response.text}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

await describeWithServer('postgres', 'a real outage, end to end', () => {
  let postgres: TcpProxy;
  let redisProxy: TcpProxy;
  let pool: pg.Pool;
  let redis: Redis;
  let app: INestApplication;

  beforeAll(async () => {
    postgres = await new TcpProxy(endpoint('postgres')).start();
    redisProxy = await new TcpProxy(endpoint('redis')).start();
    pool = new pg.Pool({ connectionString: via('postgres', postgres.port), max: 2 });
    pool.on('error', () => undefined);
    redis = new Redis(via('redis', redisProxy.port), {
      retryStrategy: () => 50,
      maxRetriesPerRequest: 1,
    });
    redis.on('error', () => undefined);
    app = await createTestApp({
      providers: [
        { provide: PG_POOL, useValue: pool },
        { provide: REDIS, useValue: redis },
        PostgresHealthIndicator.register({
          client: PG_POOL,
          name: 'database',
          timeoutMs: 300,
          cacheTtlMs: TTL_MS,
        }),
        RedisHealthIndicator.register({
          client: REDIS,
          name: 'cache',
          critical: false,
          timeoutMs: 300,
          cacheTtlMs: TTL_MS,
        }),
      ],
    });
    await until(app, { status: 200, body: 'pass' });
  });

  afterAll(async () => {
    await app?.close();
    redis?.disconnect();
    await pool?.end();
    await Promise.all([postgres?.stop(), redisProxy?.stop()]);
  });

  it('answers ready 200 warn when the non-critical Redis goes away, and recovers', async () => {
    await redisProxy.refuse();
    const degraded = await until(app, { status: 200, body: 'warn' });
    expect(degraded.body.checks['cache:responseTime'][0].status).toBe('fail');
    expect(degraded.body.checks['database:responseTime'][0].status).toBe('pass');
    await redisProxy.heal();
    await until(app, { status: 200, body: 'pass' });
  });

  it('answers ready 503 when the critical PostgreSQL goes away, and recovers', async () => {
    await postgres.refuse();
    const failed = await until(app, { status: 503, body: 'fail' });
    expect(failed.body.output).toMatch(/^database: /);
    await postgres.heal();
    await until(app, { status: 200, body: 'pass' });
  });

  it('answers 503 while PostgreSQL hangs, within the indicator’s timeout', async () => {
    postgres.blackhole();
    const failed = await until(app, { status: 503, body: 'fail' });
    expect(failed.body.checks['database:responseTime'][0].output).toBe('timed out after 300 ms');
    await postgres.heal();
    await until(app, { status: 200, body: 'pass' });
  });
});

const ORDERS_POOL = Symbol('ORDERS_POOL');

/** A check of the application's own, as users write them: pg's query() takes no signal. */
@HealthIndicator({ name: 'orders', timeoutMs: 300, cacheTtlMs: 0 })
@Injectable()
class OrdersHealth implements HealthCheck {
  constructor(@Inject(ORDERS_POOL) private readonly pool: pg.Pool) {}
  async check(): Promise<void> {
    await this.pool.query('SELECT 1');
  }
}

await describeWithServer('postgres', 'a check that ignores its signal, through a hang', () => {
  let postgres: TcpProxy;
  let pool: pg.Pool;
  let app: INestApplication;

  beforeAll(async () => {
    postgres = await new TcpProxy(endpoint('postgres')).start();
    pool = new pg.Pool({ connectionString: via('postgres', postgres.port) });
    pool.on('error', () => undefined);
    app = await createTestApp({
      providers: [{ provide: ORDERS_POOL, useValue: pool }, OrdersHealth],
    });
    await until(app, { status: 200, body: 'pass' });
  });

  afterAll(async () => {
    await app?.close();
    await postgres?.stop();
    await pool?.end();
  });

  it('is called again a few timeouts after a hang, and recovers once the network heals', async () => {
    postgres.blackhole();
    const failed = await until(app, { status: 503, body: 'fail' });
    expect(failed.body.checks['orders:responseTime'][0].output).toBe('timed out after 300 ms');
    // The queries on the frozen connections never settle; the network heals for new ones.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    await postgres.heal();
    const healed = await until(app, { status: 200, body: 'pass' }, 10_000);
    expect(healed.body.checks['orders:responseTime'][0].status).toBe('pass');
  });
});
