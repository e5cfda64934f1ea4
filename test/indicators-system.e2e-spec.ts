import { afterAll, afterEach, beforeAll, describe, expect, it, jest } from '@jest/globals';
import type { INestApplication, Provider } from '@nestjs/common';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import request from 'supertest';
import { DiskHealthIndicator } from '../lib/indicators/disk.indicator.js';
import { EventLoopHealthIndicator } from '../lib/indicators/event-loop.indicator.js';
import { HttpHealthIndicator } from '../lib/indicators/http.indicator.js';
import { MemoryHealthIndicator } from '../lib/indicators/memory.indicator.js';
import { TcpHealthIndicator } from '../lib/indicators/tcp.indicator.js';
import { createTestApp, startUpFailure } from './support/app.js';
import { until as waitFor } from './support/wait.js';

/** The application's own configuration, as a ConfigService would hold it. */
const APP_CONFIG = Symbol('APP_CONFIG');
interface AppConfig {
  paymentsUrl: string;
}

let dependency: Server;
let base: string;
let port: number;
let refusing: number;
let app: INestApplication | undefined;

const connections = () =>
  new Promise<number>((resolve, reject) =>
    dependency.getConnections((error, count) => (error ? reject(error) : resolve(count))),
  );

beforeAll(async () => {
  // A dependency on loopback: /ok answers 200, /down 503, /hang never.
  dependency = createServer((req, res) => {
    if (req.url === '/hang') return;
    res.writeHead(req.url === '/down' ? 503 : 200).end();
  });
  await new Promise<void>((resolve) => dependency.listen(0, '127.0.0.1', resolve));
  port = (dependency.address() as AddressInfo).port;
  base = `http://127.0.0.1:${port}`;
  const closed = createServer();
  await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
  refusing = (closed.address() as AddressInfo).port;
  await new Promise((resolve) => closed.close(resolve));
});

afterAll(async () => {
  dependency.closeAllConnections();
  await new Promise((resolve) => dependency.close(resolve));
});

afterEach(async () => {
  await app?.close();
  app = undefined;
  jest.restoreAllMocks();
});

async function start(providers: Provider[]) {
  app = await createTestApp({ providers, health: { cacheTtlMs: 0 } });
  return request(app.getHttpServer());
}

/** Boots an app that must fail to start, and returns why. */
const failure = (providers: Provider[]) => startUpFailure(() => createTestApp({ providers }));

describe('system and network indicators in an application', () => {
  it('pass together on ready and deep, each under its own key', async () => {
    const http = await start([
      DiskHealthIndicator.register({}),
      MemoryHealthIndicator.register({}),
      EventLoopHealthIndicator.register({}),
      HttpHealthIndicator.register({ name: 'payments', url: `${base}/ok` }),
      TcpHealthIndicator.register({ host: '127.0.0.1', port }),
    ]);
    const { body } = await http.get('/health/ready').expect(200);
    expect(body.status).toBe('pass');
    const entry = (key: string) => body.checks[key][0];
    expect(entry('disk:free')).toMatchObject({
      componentId: 'disk',
      componentType: 'system',
      status: 'pass',
      observedUnit: 'bytes',
      details: { path: '/', freePercent: expect.any(Number) },
    });
    expect(entry('memory:rss')).toMatchObject({ componentType: 'system', observedUnit: 'bytes' });
    expect(entry('event-loop:delayP99')).toMatchObject({
      componentType: 'system',
      observedUnit: 'ms',
    });
    expect(entry('payments:responseTime')).toMatchObject({
      componentType: 'component',
      observedUnit: 'ms',
      details: { method: 'GET', url: `${base}/ok`, status: 200 },
    });
    expect(entry('tcp:responseTime')).toMatchObject({ status: 'pass', observedUnit: 'ms' });
    const deep = await http.get('/health/deep').expect(200);
    expect(Object.keys(deep.body.checks)).toEqual(
      expect.arrayContaining(['disk:free', 'payments:responseTime', 'process:rss']),
    );
  });

  it('degrades to 200 warn when a non-critical HTTP dependency is down', async () => {
    const http = await start([
      HttpHealthIndicator.register({ name: 'payments', url: `${base}/down`, critical: false }),
      TcpHealthIndicator.register({ host: '127.0.0.1', port }),
    ]);
    const { body } = await http.get('/health/ready').expect(200);
    expect(body).toMatchObject({
      status: 'warn',
      output: `payments: GET ${base}/down answered 503, expected 200-399`,
    });
    expect(body.checks['payments:responseTime'][0].status).toBe('fail');
  });

  it('fails with 503 when a critical disk threshold is crossed', async () => {
    const http = await start([DiskHealthIndicator.register({ minFreePercent: 100 })]);
    for (const probe of ['ready', 'deep']) {
      const { body } = await http.get(`/health/${probe}`).expect(503);
      expect(body.checks['disk:free'][0]).toMatchObject({
        status: 'fail',
        observedValue: expect.any(Number),
        observedUnit: 'bytes',
        output: expect.stringMatching(/^only .+ free on \/ \(.+%\), below minFreePercent 100$/),
      });
    }
  });

  it('times a hanging dependency out through the signal, and closes the connection', async () => {
    const http = await start([
      HttpHealthIndicator.register({ name: 'payments', url: `${base}/hang`, timeoutMs: 100 }),
    ]);
    const { body } = await http.get('/health/ready').expect(503);
    expect(body.output).toBe('payments: timed out after 100 ms');
    await waitFor(async () => (await connections()) === 0, 'the dependency to see it closed');
  });

  it('takes settings from a factory with registerAsync', async () => {
    const http = await start([
      { provide: APP_CONFIG, useValue: { paymentsUrl: `${base}/down` } satisfies AppConfig },
      HttpHealthIndicator.registerAsync({
        name: 'payments',
        inject: [APP_CONFIG],
        useFactory: (config: AppConfig) => ({ url: config.paymentsUrl }),
      }),
    ]);
    const { body } = await http.get('/health/ready').expect(503);
    expect(body.output).toBe(`payments: GET ${base}/down answered 503, expected 200-399`);
  });

  it('runs two registrations of one class under their own names and settings', async () => {
    const http = await start([
      TcpHealthIndicator.register({ name: 'db-port', host: '127.0.0.1', port }),
      TcpHealthIndicator.register({
        name: 'cache-port',
        host: '127.0.0.1',
        port: refusing,
        critical: false,
      }),
    ]);
    const { body } = await http.get('/health/ready').expect(200);
    expect(body.checks['db-port:responseTime'][0].status).toBe('pass');
    expect(body.checks['cache-port:responseTime'][0]).toMatchObject({
      status: 'fail',
      output: `connect ECONNREFUSED 127.0.0.1:${refusing}`,
    });
  });

  it('fails ready with 503 after a real stall of the event loop', async () => {
    const http = await start([EventLoopHealthIndicator.register({ maxP99Ms: 100 })]);
    await sleep(30);
    const until = performance.now() + 300;
    while (performance.now() < until) {
      // blocked, as by a synchronous parse of a huge body
    }
    await sleep(30);
    const { body } = await http.get('/health/ready').expect(503);
    expect(body.output).toMatch(
      /^event-loop: p99 delay \d+(\.\d+)? ms over the last \d+ ms, above maxP99Ms 100$/,
    );
    expect(body.checks['event-loop:delayP99'][0].observedValue).toBeGreaterThan(250);
  });

  it('starts sampling the event loop afresh at bootstrap, and stops on close', async () => {
    const bootstrap = jest.spyOn(EventLoopHealthIndicator.prototype, 'onApplicationBootstrap');
    const destroy = jest.spyOn(EventLoopHealthIndicator.prototype, 'onModuleDestroy');
    await start([EventLoopHealthIndicator.register({ name: 'loop' })]);
    expect(bootstrap).toHaveBeenCalledTimes(1);
    await app!.close();
    app = undefined;
    expect(destroy).toHaveBeenCalledTimes(1);
  });

  describe('stops start-up, saying what to change, when', () => {
    it('two registrations keep the default name', async () => {
      expect(
        await failure([DiskHealthIndicator.register({}), DiskHealthIndicator.register({})]),
      ).toMatch(/^Health indicator "disk" is declared twice/);
    });

    it('a setting is wrong', async () => {
      expect(
        await failure([HttpHealthIndicator.register({ name: 'payments', url: 'payments/health' })]),
      ).toBe(
        'HttpHealthIndicator(payments): "url" is "payments/health"; it must be an absolute http: or https: URL.',
      );
    });

    it('a factory gives a wrong setting', async () => {
      expect(
        await failure([
          EventLoopHealthIndicator.registerAsync({ useFactory: () => ({ maxP99Ms: -1 }) }),
        ]),
      ).toBe(
        'EventLoopHealthIndicator(event-loop): "maxP99Ms" is number -1; it must be a number of milliseconds above 0.',
      );
    });
  });
});
