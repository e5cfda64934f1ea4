import { afterEach, describe, expect, it } from '@jest/globals';
import type { INestApplicationContext, Provider } from '@nestjs/common';
import { Module } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { defineIndicator, delay } from '../test/support/indicators.js';
import type { HealthModuleOptions } from './interfaces/health-module-options.interface.js';
import { HealthModule } from './health.module.js';
import { HealthService } from './health.service.js';

let context: INestApplicationContext | undefined;

async function service(providers: Provider[], options: HealthModuleOptions = {}, init = true) {
  @Module({ imports: [HealthModule.forRoot(options)], providers })
  class AppModule {}
  const moduleRef = await Test.createTestingModule({ imports: [AppModule] })
    .setLogger({ log() {}, error() {}, warn() {} })
    .compile();
  context = moduleRef;
  if (init) await moduleRef.init();
  return context.get(HealthService);
}

const fails = () => {
  throw new Error('down');
};

afterEach(async () => {
  await context?.close();
  context = undefined;
});

describe('HealthService', () => {
  describe('aggregation', () => {
    it('passes when every check passes', async () => {
      const health = await service([
        defineIndicator({ name: 'a' }),
        defineIndicator({ name: 'b' }),
      ]);
      expect((await health.check('ready')).status).toBe('pass');
    });

    it('fails when a critical check fails', async () => {
      const health = await service([
        defineIndicator({ name: 'a' }),
        defineIndicator({ name: 'b', critical: true }, fails),
      ]);
      const report = await health.check('ready');
      expect(report.status).toBe('fail');
      expect(report.output).toBe('b: down');
    });

    it('only degrades to warn when a non-critical check fails', async () => {
      const health = await service([
        defineIndicator({ name: 'a' }),
        defineIndicator({ name: 'cache', critical: false }, fails),
      ]);
      const report = await health.check('ready');
      expect(report.status).toBe('warn');
      expect(report.output).toBe('cache: down');
    });

    it('degrades to warn when a check warns, critical or not', async () => {
      const health = await service([
        defineIndicator({ name: 'a' }, () => ({ status: 'warn', output: 'pool nearly full' })),
      ]);
      expect(await health.check('ready')).toMatchObject({
        status: 'warn',
        output: 'a: pool nearly full',
      });
    });

    it('lets a critical failure win over any warning', async () => {
      const health = await service([
        defineIndicator({ name: 'a' }, () => ({ status: 'warn' })),
        defineIndicator({ name: 'b', critical: false }, fails),
        defineIndicator({ name: 'c' }, fails),
      ]);
      expect((await health.check('ready')).status).toBe('fail');
    });

    it('passes a probe with no indicator', async () => {
      const health = await service([]);
      expect((await health.check('ready')).status).toBe('pass');
    });
  });

  describe('probes', () => {
    it('runs an indicator only in the probes it belongs to, and every one in deep', async () => {
      const health = await service([
        defineIndicator({ name: 'db' }),
        defineIndicator({ name: 'migrations', probes: ['startup'] }),
        defineIndicator({ name: 'audit', probes: ['deep'] }),
      ]);
      expect(Object.keys((await health.check('startup')).checks!)).toEqual([
        'migrations:responseTime',
      ]);
      expect(Object.keys((await health.check('ready')).checks!)).toEqual(['db:responseTime']);
      const deep = Object.keys((await health.check('deep')).checks!);
      expect(deep).toEqual(
        expect.arrayContaining([
          'db:responseTime',
          'migrations:responseTime',
          'audit:responseTime',
        ]),
      );
    });

    it('adds process diagnostics to deep', async () => {
      const health = await service([]);
      const { checks } = await health.check('deep');
      for (const key of ['uptime', 'heapUsed', 'rss', 'eventLoopDelayP99', 'cpuUtilization']) {
        expect(checks![`process:${key}`][0]).toMatchObject({
          componentId: 'process',
          componentType: 'system',
          status: 'pass',
        });
      }
    });

    it('answers live without running any indicator', async () => {
      const Db = defineIndicator({ name: 'db' });
      const health = await service([Db], { version: '2.0.0' });
      expect(await health.check('live')).toEqual({ status: 'pass', version: '2.0.0' });
      expect(context!.get(Db).runs).toBe(0);
    });

    it('rejects an unknown probe name from untyped callers', async () => {
      const health = await service([]);
      await expect(health.check('liveness' as 'live')).rejects.toThrow(
        'Unknown probe or group "liveness": use "live", "ready", "startup", "deep".',
      );
    });

    it('runs the indicators of a probe in parallel', async () => {
      const slow = Array.from({ length: 5 }, (_, i) =>
        defineIndicator({ name: `slow${i}` }, (signal) => delay(100, signal)),
      );
      const health = await service(slow);
      const started = Date.now();
      expect((await health.check('ready')).status).toBe('pass');
      expect(Date.now() - started).toBeLessThan(400);
    });

    it('reads 1,000 simultaneous probes on a cold cache with one run per indicator', async () => {
      const A = defineIndicator({ name: 'a' }, (signal) => delay(20, signal));
      const B = defineIndicator({ name: 'b' }, (signal) => delay(20, signal));
      const health = await service([A, B]);
      await Promise.all(Array.from({ length: 1000 }, () => health.check('ready')));
      expect(context!.get(A).runs).toBe(1);
      expect(context!.get(B).runs).toBe(1);
    });
  });

  describe('start-up', () => {
    it('fails startup and ready until the application has bootstrapped', async () => {
      const health = await service([defineIndicator({ name: 'db' })], {}, false);
      expect(await health.check('startup')).toMatchObject({
        status: 'fail',
        output: 'bootstrapping',
      });
      expect(await health.check('ready')).toMatchObject({ status: 'fail', output: 'starting' });
      expect(health.started).toBe(false);
    });

    it('fails startup and ready until every startup indicator has passed once, then latches', async () => {
      let done = false;
      const Warmup = defineIndicator({ name: 'warmup', probes: ['startup'], cacheTtlMs: 0 }, () => {
        if (!done) throw new Error('warming up');
      });
      const health = await service([Warmup, defineIndicator({ name: 'db' })]);
      expect(await health.check('startup')).toMatchObject({
        status: 'fail',
        output: 'warmup: warming up',
      });
      expect(await health.check('ready')).toMatchObject({ status: 'fail', output: 'starting' });
      done = true;
      expect((await health.check('startup')).status).toBe('pass');
      expect(health.started).toBe(true);
      expect((await health.check('ready')).status).toBe('pass');
      // Latched: the task is not run again, and a later failure cannot undo start-up.
      done = false;
      const runs = context!.get(Warmup).runs;
      expect((await health.check('startup')).status).toBe('pass');
      expect(context!.get(Warmup).runs).toBe(runs);
    });

    it('latches as soon as a startup indicator passes, without waiting out a cached failure', async () => {
      let done = false;
      const health = await service(
        [
          defineIndicator({ name: 'warmup', probes: ['startup'] }, () => {
            if (!done) throw new Error('warming up');
          }),
        ],
        { cacheTtlMs: 60_000 },
      );
      expect((await health.check('startup')).status).toBe('fail');
      done = true;
      expect((await health.check('startup')).status).toBe('pass');
    });

    it('shows in ready, while starting, the startup checks it is waiting for', async () => {
      const health = await service(
        [defineIndicator({ name: 'warmup', probes: ['startup'] }, fails)],
        { version: '1.0.0' },
      );
      const report = await health.check('ready');
      expect(report).toMatchObject({ status: 'fail', version: '1.0.0', output: 'starting' });
      expect(report.checks!['warmup:responseTime'][0]).toMatchObject({
        status: 'fail',
        output: 'down',
      });
    });

    it('does not run again a startup indicator that has passed once', async () => {
      let bFails = true;
      const A = defineIndicator({ name: 'a', probes: ['startup'], cacheTtlMs: 0 });
      const B = defineIndicator({ name: 'b', probes: ['startup'], cacheTtlMs: 0 }, () => {
        if (bFails) throw new Error('not yet');
      });
      const health = await service([A, B]);
      expect((await health.check('startup')).status).toBe('fail');
      bFails = false;
      expect((await health.check('startup')).status).toBe('pass');
      expect(context!.get(A).runs).toBe(1);
    });

    it('completes start-up from the ready probe alone, as when no startup probe is configured', async () => {
      const health = await service([
        defineIndicator({ name: 'warmup', probes: ['startup'] }),
        defineIndicator({ name: 'db' }),
      ]);
      expect((await health.check('ready')).status).toBe('pass');
      expect(health.started).toBe(true);
    });

    it('does not latch on a failure that failureThreshold only reports as warn', async () => {
      let done = false;
      const health = await service([
        defineIndicator({ name: 'migrations', probes: ['startup'], failureThreshold: 3 }, () => {
          if (!done) throw new Error('migrating');
        }),
      ]);
      const held = await health.check('startup');
      expect(held).toMatchObject({
        status: 'fail',
        output: 'migrations: migrating (failure 1 of 3)',
      });
      expect(health.started).toBe(false);
      expect((await health.check('ready')).status).toBe('fail');
      done = true;
      expect((await health.check('startup')).status).toBe('pass');
      expect(health.started).toBe(true);
    });

    it('is not held back by a failing non-critical startup indicator', async () => {
      const health = await service([
        defineIndicator({ name: 'prefetch', probes: ['startup'], critical: false }, fails),
      ]);
      expect((await health.check('startup')).status).toBe('warn');
      expect(health.started).toBe(true);
    });
  });

  describe('the report', () => {
    it('carries the identity options and keys checks <name>:<measurement>', async () => {
      const health = await service([defineIndicator({ name: 'db', componentType: 'datastore' })], {
        version: '1.2.3',
        releaseId: 'abc123',
        serviceId: 'orders',
        description: 'Orders service',
      });
      const report = await health.check('ready');
      expect(report).toMatchObject({
        status: 'pass',
        version: '1.2.3',
        releaseId: 'abc123',
        serviceId: 'orders',
        description: 'Orders service',
      });
      expect(report.checks!['db:responseTime'][0]).toMatchObject({
        componentId: 'db',
        componentType: 'datastore',
        status: 'pass',
        observedUnit: 'ms',
      });
      expect(report).not.toHaveProperty('output');
    });

    it('returns the same report object while every result comes from the cache', async () => {
      const health = await service([defineIndicator({ name: 'db' })], { cacheTtlMs: 60_000 });
      expect(await health.check('ready')).toBe(await health.check('ready'));
    });

    it('freezes the reports it hands out', async () => {
      const health = await service([defineIndicator({ name: 'db' })]);
      const report = await health.check('ready');
      expect(Object.isFrozen(report)).toBe(true);
      expect(Object.isFrozen(report.checks)).toBe(true);
    });
  });
});
