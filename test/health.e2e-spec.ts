import { afterEach, beforeAll, describe, expect, it, jest } from '@jest/globals';
import {
  Controller,
  Get,
  Injectable,
  Module,
  SetMetadata,
  VersioningType,
  type CanActivate,
  type ExecutionContext,
  type INestApplication,
} from '@nestjs/common';
import { APP_GUARD, NestFactory, Reflector } from '@nestjs/core';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import {
  HealthModule,
  HealthService,
  type HealthModuleOptions,
  type HealthOptionsFactory,
} from '../lib/index.js';
import { ADAPTERS, createTestApp, type AdapterName, type TestAppOptions } from './support/app.js';
import { defineIndicator, delay, hang } from './support/indicators.js';

let app: INestApplication | undefined;
/** The adapter of the suite running: every test below runs on Express and on Fastify. */
let adapter: AdapterName = 'express';

async function start(options: TestAppOptions) {
  app = await createTestApp({ adapter, ...options });
  return request(app.getHttpServer());
}

afterEach(async () => {
  await app?.close();
  app = undefined;
});

const fails =
  (message = 'connection refused') =>
  () => {
    throw new Error(message);
  };

describe.each(ADAPTERS)('on %s', (current: AdapterName) => {
  beforeAll(() => {
    adapter = current;
  });

  describe('GET /health/live', () => {
    it('answers 200 {"status":"pass"} as application/health+json, uncacheable', async () => {
      const http = await start({});
      const response = await http.get('/health/live').expect(200);
      expect(response.headers['content-type']).toBe('application/health+json; charset=utf-8');
      expect(response.headers['cache-control']).toBe('no-store');
      expect(response.body).toEqual({ status: 'pass' });
    });

    it('runs no indicator, even when every dependency is down', async () => {
      const Db = defineIndicator({ name: 'db' }, fails());
      const http = await start({ providers: [Db] });
      await http.get('/health/live').expect(200, { status: 'pass' });
      expect(app!.get(Db).runs).toBe(0);
    });

    it('sends no ETag, so no client or cache can be answered 304 by a health route', async () => {
      const http = await start({ providers: [defineIndicator({ name: 'db' })] });
      const first = await http.get('/health/ready').expect(200);
      expect(first.headers.etag).toBeUndefined();
      await http.get('/health/ready').set('If-None-Match', '*').expect(200);
      const head = await http.head('/health/live').expect(200);
      expect(head.text ?? '').toBe('');
    });

    it('carries the identity options', async () => {
      const http = await start({
        health: { version: '1.2.3', releaseId: 'abc', serviceId: 'svc', description: 'Orders' },
      });
      await http.get('/health/live').expect(200, {
        status: 'pass',
        version: '1.2.3',
        releaseId: 'abc',
        serviceId: 'svc',
        description: 'Orders',
      });
    });
  });

  describe('GET /health/ready', () => {
    it('answers 200 pass with every readiness check', async () => {
      const http = await start({
        providers: [defineIndicator({ name: 'db', componentType: 'datastore' })],
      });
      const { body } = await http.get('/health/ready').expect(200);
      expect(body.status).toBe('pass');
      expect(body.checks['db:responseTime']).toEqual([
        {
          componentId: 'db',
          componentType: 'datastore',
          status: 'pass',
          observedValue: expect.any(Number),
          observedUnit: 'ms',
          time: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
        },
      ]);
    });

    it('answers 503 fail, with the output, when a critical indicator fails', async () => {
      const http = await start({
        providers: [
          defineIndicator({ name: 'db' }, fails()),
          defineIndicator({ name: 'cache', critical: false }),
        ],
      });
      const response = await http.get('/health/ready').expect(503);
      expect(response.headers['cache-control']).toBe('no-store');
      expect(response.body).toMatchObject({ status: 'fail', output: 'db: connection refused' });
      expect(response.body.checks['db:responseTime'][0]).toMatchObject({
        status: 'fail',
        output: 'connection refused',
      });
      expect(response.body.checks['cache:responseTime'][0].status).toBe('pass');
    });

    it('answers 200 warn when only a non-critical indicator fails', async () => {
      const http = await start({
        providers: [
          defineIndicator({ name: 'db' }),
          defineIndicator({ name: 'cache', critical: false }, fails()),
        ],
      });
      const { body } = await http.get('/health/ready').expect(200);
      expect(body).toMatchObject({ status: 'warn', output: 'cache: connection refused' });
    });

    it('answers 503 "starting" until start-up has completed', async () => {
      let ready = false;
      const http = await start({
        providers: [
          defineIndicator({ name: 'warmup', probes: ['startup'], cacheTtlMs: 0 }, () => {
            if (!ready) throw new Error('loading reference data');
          }),
        ],
      });
      await http.get('/health/ready').expect(503);
      expect((await http.get('/health/ready')).body).toMatchObject({
        status: 'fail',
        output: 'starting',
      });
      ready = true;
      await http.get('/health/ready').expect(200);
    });

    it('fails a hung indicator soon after its timeout, with the others complete', async () => {
      const http = await start({
        providers: [
          defineIndicator({ name: 'db', timeoutMs: 100 }, hang),
          defineIndicator({ name: 'cache' }),
        ],
      });
      const started = Date.now();
      const { body } = await http.get('/health/ready').expect(503);
      expect(Date.now() - started).toBeLessThan(600);
      expect(body.checks['db:responseTime'][0]).toMatchObject({
        status: 'fail',
        output: 'timed out after 100 ms',
      });
      expect(body.checks['cache:responseTime'][0].status).toBe('pass');
    });

    it('shares one run among 200 simultaneous requests on a cold cache', async () => {
      const Db = defineIndicator({ name: 'db' }, (signal) => delay(50, signal));
      const http = await start({ providers: [Db] });
      await app!.listen(0);
      const responses = await Promise.all(
        Array.from({ length: 200 }, () => http.get('/health/ready')),
      );
      expect(responses.every((r) => r.status === 200)).toBe(true);
      expect(app!.get(Db).runs).toBe(1);
    });

    it('serves a cached result until cacheTtlMs has passed', async () => {
      const Db = defineIndicator({ name: 'db', cacheTtlMs: 200 });
      const http = await start({ providers: [Db] });
      const first = (await http.get('/health/ready')).body;
      const second = (await http.get('/health/ready')).body;
      expect(second.checks['db:responseTime'][0].time).toBe(
        first.checks['db:responseTime'][0].time,
      );
      expect(app!.get(Db).runs).toBe(1);
      await delay(250);
      await http.get('/health/ready');
      expect(app!.get(Db).runs).toBe(2);
    });
  });

  describe('GET /health/startup', () => {
    it('answers 503 until every startup indicator has passed once, then 200 for good', async () => {
      let done = false;
      const Warmup = defineIndicator({ name: 'warmup', probes: ['startup'], cacheTtlMs: 0 }, () => {
        if (!done) throw new Error('warming up (40%)');
      });
      const http = await start({ providers: [Warmup] });
      const before = await http.get('/health/startup').expect(503);
      expect(before.body).toMatchObject({ status: 'fail', output: 'warmup: warming up (40%)' });
      expect(before.headers['content-type']).toMatch(/^application\/health\+json/);
      done = true;
      await http.get('/health/startup').expect(200);
      done = false;
      await http.get('/health/startup').expect(200);
    });

    it('answers 200 at once when the app has no startup indicator', async () => {
      const http = await start({ providers: [defineIndicator({ name: 'db' })] });
      await http.get('/health/startup').expect(200);
    });
  });

  describe('GET /health/deep', () => {
    it('runs every indicator whatever its probes, plus process diagnostics', async () => {
      const http = await start({
        providers: [
          defineIndicator({ name: 'db' }),
          defineIndicator({ name: 'warmup', probes: ['startup'] }),
          defineIndicator({ name: 'reports', probes: ['deep'] }),
        ],
      });
      const { body } = await http.get('/health/deep').expect(200);
      expect(Object.keys(body.checks)).toEqual(
        expect.arrayContaining([
          'db:responseTime',
          'warmup:responseTime',
          'reports:responseTime',
          'process:uptime',
          'process:heapUsed',
          'process:rss',
          'process:eventLoopDelayP99',
          'process:cpuUtilization',
        ]),
      );
      expect(body.checks['process:uptime'][0]).toMatchObject({
        observedUnit: 's',
        componentType: 'system',
      });
    });

    it('answers 503 when a critical deep-only indicator fails', async () => {
      const http = await start({
        providers: [defineIndicator({ name: 'reports', probes: ['deep'] }, fails())],
      });
      await http.get('/health/deep').expect(503);
      await http.get('/health/ready').expect(200);
    });
  });

  describe('misbehaving indicators', () => {
    it('each become one failed or passing check in an otherwise complete answer: never a 500', async () => {
      const unhandled = jest.fn();
      process.on('unhandledRejection', unhandled);
      const circular: Record<string, unknown> = { name: 'loop' };
      circular.self = circular;
      try {
        const http = await start({
          providers: [
            defineIndicator({ name: 'sync-throw', critical: false }, fails('thrown synchronously')),
            defineIndicator({ name: 'non-error', critical: false }, () =>
              Promise.reject({ code: 1 }),
            ),
            defineIndicator({ name: 'garbage', critical: false }, () => 'OK'),
            defineIndicator({ name: 'circular', critical: false }, () => ({ details: circular })),
            defineIndicator({ name: 'huge', critical: false }, fails('x'.repeat(5_000_000))),
            defineIndicator({ name: 'good' }),
          ],
        });
        const { body, text } = await http.get('/health/ready').expect(200);
        expect(body.status).toBe('warn');
        const status = (name: string) => body.checks[`${name}:responseTime`][0];
        expect(status('sync-throw')).toMatchObject({
          status: 'fail',
          output: 'thrown synchronously',
        });
        expect(status('non-error')).toMatchObject({
          status: 'fail',
          output: 'check() failed with a non-Error value: an object',
        });
        expect(status('garbage')).toMatchObject({ status: 'fail' });
        expect(status('garbage').output).toMatch(/resolved with "OK"/);
        expect(status('circular')).toMatchObject({
          status: 'pass',
          details: { name: 'loop', self: '[Circular]' },
        });
        expect(status('huge').output).toHaveLength(512);
        expect(status('good').status).toBe('pass');
        expect(text.length).toBeLessThan(10 * 1024);
        expect(text).not.toMatch(/\bat .+:\d+:\d+/);
        expect(unhandled).not.toHaveBeenCalled();
      } finally {
        process.off('unhandledRejection', unhandled);
      }
    });

    it('fail when they say "unhealthy" in a shape of their own', async () => {
      const http = await start({
        providers: [
          defineIndicator({ name: 'ok-false' }, () => ({ ok: false })),
          defineIndicator({ name: 'tutorial' }, () => ({ healthy: false, error: 'no replica' })),
          defineIndicator({ name: 'spring' }, () => ({ status: 'DOWN' })),
          defineIndicator({ name: 'returned-error' }, () => new Error('pool closed')),
          defineIndicator({ name: 'terminus' }, () => ({
            db: { status: 'down', message: 'gone' },
          })),
          defineIndicator({ name: 'fine' }, () => ({ healthy: true })),
        ],
      });
      const { body } = await http.get('/health/ready').expect(503);
      const check = (name: string) => body.checks[`${name}:responseTime`][0];
      expect(check('ok-false')).toMatchObject({
        status: 'fail',
        output: 'check() resolved with ok: false',
      });
      expect(check('tutorial')).toMatchObject({ status: 'fail', output: 'no replica' });
      expect(check('spring')).toMatchObject({ status: 'fail', output: 'status "DOWN"' });
      expect(check('returned-error')).toMatchObject({ status: 'fail', output: 'pool closed' });
      expect(check('terminus')).toMatchObject({ status: 'fail', output: 'gone' });
      expect(check('fine').status).toBe('pass');
    });
  });

  describe('HealthModule options', () => {
    it('serves the routes under the "path" option', async () => {
      const http = await start({ health: { path: '/internal/health/' } });
      await http.get('/internal/health/live').expect(200);
      await http.get('/health/live').expect(404);
    });

    it('honours the application global prefix', async () => {
      @Module({ imports: [HealthModule.forRoot()] })
      class AppModule {}
      app = await NestFactory.create(AppModule, { logger: false });
      app.setGlobalPrefix('api');
      await app.init();
      await request(app.getHttpServer()).get('/api/health/live').expect(200);
    });

    it('keeps the probes at their paths when the app enables URI versioning', async () => {
      @Module({ imports: [HealthModule.forRoot()] })
      class AppModule {}
      app = await NestFactory.create(AppModule, { logger: false });
      app.enableVersioning({ type: VersioningType.URI, defaultVersion: '1' });
      await app.init();
      await request(app.getHttpServer()).get('/health/live').expect(200);
    });

    it('applies controllerDecorators, so an app-wide guard can let the probes through', async () => {
      const IS_PUBLIC = 'isPublic';
      @Injectable()
      class RequireToken implements CanActivate {
        constructor(private readonly reflector: Reflector) {}
        canActivate(context: ExecutionContext) {
          return (
            this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, [
              context.getHandler(),
              context.getClass(),
            ]) === true
          );
        }
      }
      const http = await start({
        health: { controllerDecorators: [SetMetadata(IS_PUBLIC, true)] },
        providers: [{ provide: APP_GUARD, useClass: RequireToken }],
      });
      await http.get('/health/live').expect(200);
      await http.get('/health/ready').expect(200);
    });

    it('stops start-up when the module is imported twice in one application', async () => {
      @Module({ imports: [HealthModule.forRoot()] })
      class FeatureModule {}
      await expect(createTestApp({ adapter, imports: [FeatureModule] })).rejects.toThrow(
        'HealthModule.forRoot() (or forRootAsync()) is imported more than once in this application',
      );
    });

    it('keeps the paths of two applications in one process apart', async () => {
      const one = await createTestApp({ adapter, health: { path: 'one' } });
      const two = await createTestApp({ adapter, health: { path: 'two' } });
      try {
        await request(one.getHttpServer()).get('/one/live').expect(200);
        await request(two.getHttpServer()).get('/two/live').expect(200);
        await request(two.getHttpServer()).get('/one/live').expect(404);
      } finally {
        await one.close();
        await two.close();
      }
    });

    it('stops start-up with a message naming a bad option', async () => {
      @Module({ imports: [HealthModule.forRoot({ cacheTtlMs: -1 })] })
      class AppModule {}
      await expect(Test.createTestingModule({ imports: [AppModule] }).compile()).rejects.toThrow(
        'HealthModule option "cacheTtlMs" is number -1; it must be an integer number of milliseconds from 0',
      );
    });

    describe('forRootAsync', () => {
      @Injectable()
      class Config {
        readonly values: HealthModuleOptions = { path: 'status', version: '9.9.9' };
      }
      @Module({ providers: [Config], exports: [Config] })
      class ConfigModule {}

      @Injectable()
      class HealthConfig implements HealthOptionsFactory {
        createHealthOptions(): HealthModuleOptions {
          return { path: 'status', version: '9.9.9' };
        }
      }
      @Module({ providers: [HealthConfig], exports: [HealthConfig] })
      class HealthConfigModule {}

      it.each([
        [
          'useFactory',
          HealthModule.forRootAsync({
            imports: [ConfigModule],
            inject: [Config],
            useFactory: async (config: Config) => config.values,
          }),
        ],
        ['useClass', HealthModule.forRootAsync({ useClass: HealthConfig })],
        [
          'useExisting',
          HealthModule.forRootAsync({ imports: [HealthConfigModule], useExisting: HealthConfig }),
        ],
      ])('takes its options from %s', async (_, healthModule) => {
        @Module({ imports: [healthModule], providers: [defineIndicator({ name: 'db' })] })
        class AppModule {}
        const http = await start({ module: AppModule });
        await http.get('/status/live').expect(200, { status: 'pass', version: '9.9.9' });
        const { body } = await http.get('/status/ready').expect(200);
        expect(body.checks['db:responseTime'][0].status).toBe('pass');
      });

      it('validates options that come from a factory too', async () => {
        @Module({ imports: [HealthModule.forRootAsync({ useFactory: () => ({ path: 'a b' }) })] })
        class AppModule {}
        await expect(Test.createTestingModule({ imports: [AppModule] }).compile()).rejects.toThrow(
          'HealthModule option "path" is "a b"',
        );
      });
    });
  });

  describe('HealthService injected in an application', () => {
    it('is started right after bootstrap when there is no startup indicator', async () => {
      await start({ providers: [defineIndicator({ name: 'db' })] });
      expect(app!.get(HealthService).started).toBe(true);
    });

    it('fails readiness while the application closes, before any onModuleDestroy runs', async () => {
      const seen: unknown[] = [];
      @Injectable()
      class Pool {
        constructor(private readonly health: HealthService) {}
        async onModuleDestroy() {
          seen.push((await this.health.check('ready')).output);
        }
      }
      await start({ providers: [Pool, defineIndicator({ name: 'db' })] });
      await app!.close();
      app = undefined;
      expect(seen).toEqual(['shutting down']);
    });

    it('returns the same report the route serves', async () => {
      @Controller('status')
      class StatusController {
        constructor(private readonly health: HealthService) {}
        @Get()
        status() {
          return this.health.check('ready');
        }
      }
      @Module({
        controllers: [StatusController],
        providers: [defineIndicator({ name: 'db', cacheTtlMs: 60_000 })],
      })
      class FeatureModule {}
      const http = await start({ imports: [FeatureModule] });
      const fromRoute = (await http.get('/health/ready').expect(200)).body;
      const fromService = (await http.get('/status').expect(200)).body;
      expect(fromService).toEqual(fromRoute);
    });
  });
});
