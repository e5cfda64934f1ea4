import { afterEach, describe, expect, it } from '@jest/globals';
import { Controller, Get, Injectable, type INestApplication, type Provider } from '@nestjs/common';
import {
  DiskHealthIndicator,
  HealthCheck,
  HealthCheckService,
  HealthIndicatorService,
  MemoryHealthIndicator,
  TerminusModule,
} from '@nestjs/terminus';
import request from 'supertest';
import { TerminusHealthIndicator } from '../lib/indicators/terminus.indicator.js';
import { createTestApp } from './support/app.js';

/** A custom indicator written for terminus' HealthIndicatorService API, left as it is. */
@Injectable()
class PaymentsTerminusIndicator {
  constructor(private readonly indicator: HealthIndicatorService) {}

  isHealthy(key: string, state: 'up' | 'degraded' | 'down') {
    const check = this.indicator.check(key);
    if (state === 'down') return check.down({ message: 'boom', region: 'eu-west-1' });
    if (state === 'degraded') return check.degraded({ message: 'slow answers', p99Ms: 1200 });
    return check.up({ region: 'eu-west-1' });
  }
}

/** The terminus controller an application had before, kept running during the migration. */
@Controller('terminus')
class TerminusController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly memory: MemoryHealthIndicator,
  ) {}

  @Get()
  @HealthCheck()
  check() {
    return this.health.check([() => this.memory.checkHeap('heap', Number.MAX_SAFE_INTEGER)]);
  }
}

const HUGE = Number.MAX_SAFE_INTEGER;
const TINY = 1;

let app: INestApplication | undefined;

afterEach(async () => {
  await app?.close();
  app = undefined;
});

async function start(
  providers: Provider[],
  controllers: (new (...args: never[]) => unknown)[] = [],
) {
  app = await createTestApp({
    imports: [TerminusModule],
    providers,
    controllers,
    health: { cacheTtlMs: 0 },
  });
  return request(app.getHttpServer());
}

const heap = (threshold: number) =>
  TerminusHealthIndicator.registerAsync({
    name: 'heap',
    inject: [MemoryHealthIndicator],
    useFactory: (memory: MemoryHealthIndicator) => ({
      check: () => memory.checkHeap('heap', threshold),
    }),
  });

const payments = (state: 'up' | 'degraded' | 'down', critical = true) =>
  TerminusHealthIndicator.registerAsync({
    name: 'payments',
    critical,
    inject: [PaymentsTerminusIndicator],
    useFactory: (indicator: PaymentsTerminusIndicator) => ({
      check: () => indicator.isHealthy('payments', state),
    }),
  });

const disk = (thresholdPercent: number) =>
  TerminusHealthIndicator.registerAsync({
    name: 'disk',
    inject: [DiskHealthIndicator],
    useFactory: (storage: DiskHealthIndicator) => ({
      check: () => storage.checkStorage('disk', { path: '/', thresholdPercent }),
    }),
  });

describe('terminus indicators through TerminusHealthIndicator, in a real application', () => {
  it('MemoryHealthIndicator.checkHeap under its threshold: ready 200 pass', async () => {
    const http = await start([heap(HUGE)]);
    const response = await http.get('/health/ready').expect(200);
    expect(response.headers['content-type']).toMatch(/^application\/health\+json/);
    expect(response.body).toMatchObject({
      status: 'pass',
      checks: {
        'heap:responseTime': [{ componentId: 'heap', componentType: 'component', status: 'pass' }],
      },
    });
  });

  it("MemoryHealthIndicator.checkHeap above its threshold: 503, with terminus' message", async () => {
    const http = await start([heap(TINY)]);
    const response = await http.get('/health/ready').expect(503);
    expect(response.body).toMatchObject({
      status: 'fail',
      output: 'heap: Used heap exceeded the set threshold',
      checks: {
        'heap:responseTime': [{ status: 'fail', output: 'Used heap exceeded the set threshold' }],
      },
    });
  });

  it('DiskHealthIndicator.checkStorage passes and fails on its threshold', async () => {
    await (await start([disk(1)])).get('/health/ready').expect(200);
    await app?.close();
    const response = await (await start([disk(0)])).get('/health/ready').expect(503);
    expect(response.body.checks['disk:responseTime'][0]).toMatchObject({
      status: 'fail',
      output: 'Used disk storage exceeded the set threshold',
    });
  });

  it("a HealthIndicatorService-based indicator's down() fails with its message, data as details", async () => {
    const http = await start([PaymentsTerminusIndicator, payments('down')]);
    const response = await http.get('/health/ready').expect(503);
    expect(response.body).toMatchObject({ status: 'fail', output: 'payments: boom' });
    // Details are for internal callers (supertest comes from loopback).
    expect(response.body.checks['payments:responseTime'][0]).toMatchObject({
      status: 'fail',
      output: 'boom',
      details: { region: 'eu-west-1' },
    });
  });

  it('degraded() answers 200 warn', async () => {
    const http = await start([PaymentsTerminusIndicator, payments('degraded')]);
    const response = await http.get('/health/ready').expect(200);
    expect(response.body).toMatchObject({
      status: 'warn',
      output: 'payments: slow answers',
      checks: {
        'payments:responseTime': [
          { status: 'warn', output: 'slow answers', details: { p99Ms: 1200 } },
        ],
      },
    });
  });

  it('a non-critical terminus indicator that is down only degrades ready', async () => {
    const http = await start([PaymentsTerminusIndicator, payments('down', false), heap(HUGE)]);
    const response = await http.get('/health/ready').expect(200);
    expect(response.body).toMatchObject({ status: 'warn', output: 'payments: boom' });
  });

  it('an indicator that throws, or hangs, is contained like any other', async () => {
    const http = await start([
      TerminusHealthIndicator.register({
        name: 'legacy-db',
        check: () => {
          throw new Error('Not connected to database');
        },
      }),
      TerminusHealthIndicator.register({
        name: 'hung',
        timeoutMs: 100,
        check: () => new Promise<never>(() => {}),
      }),
    ]);
    const response = await http.get('/health/ready').expect(503);
    expect(response.body.checks['legacy-db:responseTime'][0]).toMatchObject({
      status: 'fail',
      output: 'Not connected to database',
    });
    expect(response.body.checks['hung:responseTime'][0]).toMatchObject({
      status: 'fail',
      output: 'timed out after 100 ms',
    });
  });

  it("runs beside the application's terminus controller, which keeps answering", async () => {
    const http = await start(
      [PaymentsTerminusIndicator, payments('up'), heap(HUGE)],
      [TerminusController],
    );
    const terminus = await http.get('/terminus').expect(200);
    expect(terminus.body).toMatchObject({ status: 'ok', details: { heap: { status: 'up' } } });
    const ready = await http.get('/health/ready').expect(200);
    expect(Object.keys(ready.body.checks).toSorted()).toEqual([
      'heap:responseTime',
      'payments:responseTime',
    ]);
    expect(ready.body.checks['payments:responseTime'][0]).toMatchObject({
      status: 'pass',
      details: { region: 'eu-west-1' },
    });
  });
});
