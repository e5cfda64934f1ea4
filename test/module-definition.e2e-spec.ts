import { afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import {
  Catch,
  Controller,
  Get,
  HttpException,
  Injectable,
  Module,
  RequestTimeoutException,
  UseGuards,
  type ArgumentsHost,
  type CallHandler,
  type CanActivate,
  type DynamicModule,
  type ExceptionFilter,
  type ExecutionContext,
  type INestApplication,
  type LoggerService,
  type NestInterceptor,
  type Type,
} from '@nestjs/common';
import { APP_FILTER, APP_INTERCEPTOR, HttpAdapterHost } from '@nestjs/core';
import { Test } from '@nestjs/testing';
import { catchError, throwError, timeout, type Observable } from 'rxjs';
import request from 'supertest';
import { HealthModule, type HealthModuleOptions } from '../lib/index.js';
import { ADAPTERS, createTestApp, type AdapterName } from './support/app.js';
import { defineIndicator, delay } from './support/indicators.js';

/** A guard given as a class: it must be registered and called like any enhancer, once a request. */
@Injectable()
class DenyAll implements CanActivate {
  static calls = 0;
  canActivate(): boolean {
    DenyAll.calls++;
    return false;
  }
}

/** An app-wide interceptor shorter than a check, as many apps have. */
@Injectable()
class Timeout implements NestInterceptor {
  intercept(_context: ExecutionContext, next: CallHandler): Observable<unknown> {
    return next.handle().pipe(
      timeout(50),
      catchError(() => throwError(() => new RequestTimeoutException())),
    );
  }
}

/** An app-wide filter that answers every HTTP error in a shape of its own. */
@Catch(HttpException)
class Envelope implements ExceptionFilter {
  constructor(private readonly host: HttpAdapterHost) {}
  catch(error: HttpException, context: ArgumentsHost): void {
    const response = context.switchToHttp().getResponse<unknown>();
    const body = { error: { code: error.getStatus(), kind: 'envelope' } };
    this.host.httpAdapter.reply(response, body, error.getStatus());
  }
}

const ignore = () => undefined;

function recorder(): LoggerService & { errors: string[] } {
  const errors: string[] = [];
  return {
    errors,
    log: ignore,
    warn: ignore,
    error: (message: unknown) => errors.push(String(message)),
  };
}

/** Polls `condition` until it holds, for at most `ms`. */
async function eventually(condition: () => boolean, ms = 5000): Promise<void> {
  const until = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > until) throw new Error('the condition never held');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe.each(ADAPTERS)('the module definition (%s)', (adapter: AdapterName) => {
  const apps: INestApplication[] = [];
  let current: AdapterName = 'express';

  beforeAll(() => {
    current = adapter;
  });

  afterEach(async () => {
    for (const app of apps.splice(0)) await app.close();
    DenyAll.calls = 0;
  });

  async function boot(module: DynamicModule, controllers: Type<unknown>[] = []) {
    @Module({ imports: [module], providers: [defineIndicator({ name: 'db' })], controllers })
    class AppModule {}
    const app = await createTestApp({ adapter: current, module: AppModule });
    apps.push(app);
    return request(app.getHttpServer());
  }

  describe('controllerDecorators', () => {
    it('registers a guard given as a class, which guards every route once a request', async () => {
      const http = await boot(HealthModule.forRoot({ controllerDecorators: [UseGuards(DenyAll)] }));
      await http.get('/health/live').expect(403);
      await http.get('/health/ready').expect(403);
      expect(DenyAll.calls).toBe(2);
    });

    it('applies them once however many applications use the definition', async () => {
      const definition = HealthModule.forRoot({ controllerDecorators: [UseGuards(DenyAll)] });
      const first = await boot(definition);
      const second = await boot(definition);
      await first.get('/health/live').expect(403);
      await second.get('/health/live').expect(403);
      expect(DenyAll.calls).toBe(2);
    });

    it('takes them beside useFactory under forRootAsync', async () => {
      const http = await boot(
        HealthModule.forRootAsync({
          controllerDecorators: [UseGuards(DenyAll)],
          useFactory: () => ({ path: 'status' }),
        }),
      );
      await http.get('/status/live').expect(403);
      expect(DenyAll.calls).toBe(1);
    });

    it('refuses them from a forRootAsync factory, saying where they go', async () => {
      const definition = HealthModule.forRootAsync({
        useFactory: () => ({ controllerDecorators: [UseGuards(DenyAll)] }) as HealthModuleOptions,
      });
      await expect(boot(definition)).rejects.toThrow(
        'HealthModule option "controllerDecorators" shapes the module when it is built: give it to HealthModule.forRootAsync() itself, beside useFactory',
      );
    });

    it('refuses what is not a class decorator when the module is built', () => {
      expect(() =>
        HealthModule.forRoot({ controllerDecorators: ['Public' as unknown as ClassDecorator] }),
      ).toThrow(
        'HealthModule option "controllerDecorators[0]" is "Public"; it must be a class decorator.',
      );
    });
  });

  describe('one forRootAsync() definition in several applications', () => {
    it("serves each application's own path and groups, both open at once", async () => {
      const given: HealthModuleOptions[] = [
        { path: 'one', groups: { alpha: { include: ['db'], access: 'public' } } },
        { path: 'two', groups: { beta: { include: ['db'], access: 'public' } } },
      ];
      const definition = HealthModule.forRootAsync({ useFactory: () => given.shift()! });
      const one = await boot(definition);
      const two = await boot(definition);
      await one.get('/one/alpha').expect(200);
      await one.get('/one/alpha/db').expect(200);
      await one.get('/one/beta').expect(404);
      await one.get('/two/live').expect(404);
      await two.get('/two/beta').expect(200);
      await two.get('/two/alpha').expect(404);
      await two.get('/one/live').expect(404);
    });

    it("leaves the application's own routes under the health path reachable", async () => {
      @Controller('health')
      class Legacy {
        @Get('legacy')
        legacy() {
          return { legacy: true };
        }
      }
      const http = await boot(HealthModule.forRootAsync({ useFactory: () => ({}) }), [Legacy]);
      await http.get('/health/legacy').expect(200, { legacy: true });
      await http.get('/health/ready').expect(200);
    });

    it("answers a name that is no group as Nest answers a route that doesn't exist", async () => {
      const http = await boot(HealthModule.forRootAsync({ useFactory: () => ({}) }));
      const hidden = await http.get('/health/nothing').expect(404);
      const missing = await http.get('/nothing/at/all').expect(404);
      expect(hidden.body).toEqual({ ...missing.body, message: 'Cannot GET /health/nothing' });
    });
  });

  describe('messages that say what to change', () => {
    it('says to use forRoot() when the module is imported as a class', async () => {
      @Module({ imports: [HealthModule] })
      class AppModule {}
      await expect(Test.createTestingModule({ imports: [AppModule] }).compile()).rejects.toThrow(
        'HealthModule is imported as a class: import HealthModule.forRoot() (or HealthModule.forRootAsync()) instead',
      );
    });

    it.each([undefined, null])('refuses a factory that returns %s', async (nothing) => {
      const definition = HealthModule.forRootAsync({
        useFactory: () => nothing as unknown as HealthModuleOptions,
      });
      await expect(boot(definition)).rejects.toThrow(
        `HealthModule got ${nothing} for its options: a forRootAsync() factory (or createHealthOptions()) must return the options object`,
      );
    });

    it('blames what answered first, not the guard, when an interceptor times a probe out', async () => {
      const logger = recorder();
      const Slow = defineIndicator({ name: 'slow', timeoutMs: 400 }, () => delay(200));
      @Module({
        imports: [HealthModule.forRoot({ logger })],
        providers: [Slow, { provide: APP_INTERCEPTOR, useClass: Timeout }],
      })
      class AppModule {}
      const app = await createTestApp({ adapter: current, module: AppModule });
      apps.push(app);
      await request(app.getHttpServer()).get('/health/ready').expect(408);
      await eventually(() => logger.errors.length > 0);
      expect(logger.errors).toEqual([
        expect.stringContaining(
          'The ready answer was not sent: something else had already answered the request',
        ),
      ]);
    });

    it('hides a denied route exactly as the app answers a missing one, global filters included', async () => {
      @Module({
        imports: [HealthModule.forRoot({ deniedStatus: 404, trustProxy: 1 })],
        providers: [{ provide: APP_FILTER, useClass: Envelope }],
      })
      class AppModule {}
      const app = await createTestApp({ adapter: current, module: AppModule });
      apps.push(app);
      const http = request(app.getHttpServer());
      const outside = '203.0.113.9';
      const hidden = await http.get('/health/deep').set('X-Forwarded-For', outside).expect(404);
      const missing = await http.get('/health/nope').set('X-Forwarded-For', outside).expect(404);
      expect(hidden.body).toEqual({ error: { code: 404, kind: 'envelope' } });
      expect(hidden.body).toEqual(missing.body);
      expect(hidden.headers['content-type']).toBe(missing.headers['content-type']);
      expect(hidden.headers['cache-control']).toBe(missing.headers['cache-control']);
    });
  });
});
