import { afterEach, describe, expect, it } from '@jest/globals';
import { Module, type INestApplicationContext, type LoggerService } from '@nestjs/common';
import { NestApplication, NestApplicationContext, NestFactory } from '@nestjs/core';
import { HealthModule, HealthService, type HealthModuleOptions } from '../lib/index.js';
import { createTestApp } from './support/app.js';

/**
 * The shutdown's set-up, in-process (the suites that send signals start processes of their own:
 * shutdown-apps, probe-server-apps, lifecycle): who closes the application, what start-up says
 * about it, and what of Nest the library touches.
 */

const apps: INestApplicationContext[] = [];

afterEach(async () => {
  for (const app of apps.splice(0)) await app.close();
});

const ignore = () => undefined;

/** A logger that keeps the warnings. */
function capture(): { logger: LoggerService; warnings: string[] } {
  const warnings: string[] = [];
  return {
    logger: { log: ignore, error: ignore, warn: (m: unknown) => warnings.push(String(m)) },
    warnings,
  };
}

/** Start-up's checks of who closes the app run once main.ts has gone on: a turn later. */
const nextTurns = async () => {
  for (let i = 0; i < 2; i++) await new Promise((resolve) => setImmediate(resolve));
};

async function http(options: {
  listen?: boolean;
  handOver?: boolean;
  health?: HealthModuleOptions;
}) {
  const { logger, warnings } = capture();
  const app = await createTestApp({ init: false, health: { logger, ...options.health } });
  apps.push(app);
  if (options.handOver) app.get(HealthService).handleShutdown(app);
  if (options.listen) await app.listen(0, '127.0.0.1');
  else await app.init();
  await nextTurns();
  return { app, warnings };
}

async function context(health: HealthModuleOptions, setUp: (app: INestApplicationContext) => void) {
  @Module({ imports: [HealthModule.forRoot(health)] })
  class ContextModule {}
  const app = await NestFactory.createApplicationContext(ContextModule, { logger: false });
  apps.push(app);
  setUp(app);
  await nextTurns();
  return app;
}

const NOTHING_CLOSES = 'Nothing closes this application on SIGTERM or SIGINT';

describe('who closes the application', () => {
  it('warns an app that listens that nothing closes it on its signals, naming the line to add', async () => {
    const { warnings } = await http({ listen: true });
    expect(warnings).toEqual([
      expect.stringContaining(
        `${NOTHING_CLOSES}: neither app.enableShutdownHooks() nor app.get(HealthService).handleShutdown(app) was called.`,
      ),
    ]);
  });

  it('says nothing to an app handed over, nor to one that only calls init() (an e2e test)', async () => {
    expect((await http({ listen: true, handOver: true })).warnings).toEqual([]);
    expect((await http({ listen: false })).warnings).toEqual([]);
  });

  it('warns that enableShutdownHooks() closes a standalone context at once, before the delay', async () => {
    const { logger, warnings } = capture();
    const health = { logger, shutdown: { signals: ['SIGUSR2' as const] } };
    await context(health, (app) => app.enableShutdownHooks(['SIGUSR2']));
    // NestJS 11 says why first: its close never awaits the HTTP adapter's hook either.
    expect(warnings).toEqual([
      expect.stringMatching(
        /^app\.enableShutdownHooks\(\) (on NestJS 11|of an application without an HTTP server \(a microservice, a standalone context\)) closes the application as soon as the signal arrives/,
      ),
    ]);
    expect(warnings[0]).toContain('Replace it with app.get(HealthService).handleShutdown(app)');
  });

  it('is handed over only by the application its HealthService belongs to', async () => {
    const { app: mine } = await http({ handOver: true });
    const { app: other } = await http({});
    expect(() => mine.get(HealthService).handleShutdown(other)).toThrow(
      'HealthService.handleShutdown(app) was given an application this HealthService is not part of',
    );
  });
});

describe('what of Nest the shutdown touches', () => {
  it('patches no class of Nest, and puts back what it replaced on the HTTP adapter once the app has closed', async () => {
    const protos = [NestApplicationContext.prototype, NestApplication.prototype] as unknown as {
      prepareClose: unknown;
    }[];
    const before = protos.map((proto) => proto.prepareClose);
    const { app } = await http({ listen: true, handOver: true });
    await context({}, (ctx) => ctx.get(HealthService).handleShutdown(ctx));
    const adapter = (app as NestApplication).getHttpAdapter();
    expect(Object.hasOwn(adapter, 'beforeClose')).toBe(true);
    for (const closing of apps.splice(0)) await closing.close();
    expect(protos.map((proto) => proto.prepareClose)).toEqual(before);
    expect([Object.hasOwn(adapter, 'beforeClose'), Object.hasOwn(adapter, 'listen')]).toEqual([
      false,
      false,
    ]);
  });
});
