import { afterEach, describe, expect, it } from '@jest/globals';
import { Module, type Provider } from '@nestjs/common';
import { Test, type TestingModule } from '@nestjs/testing';
import { HealthModule } from '../health.module.js';
import { HealthService } from '../health.service.js';
import type { HealthModuleOptions } from '../interfaces/health-module-options.interface.js';
import { startUpFailure } from '../../test/support/app.js';

/*
 * autoIndicators in a Nest app, with clients by their shapes (ioredis-like, no server): where the
 * checks go, under forRoot() and forRootAsync(), and what stops start-up.
 */

let moduleRef: TestingModule | undefined;
const lines: string[] = [];
const logger = { log: (line: string) => lines.push(line), warn() {}, error() {} };

/** An ioredis client, by its shape, whose PING passes or fails as `state.up` says. */
function redis(state = { up: true }) {
  return {
    status: 'ready',
    connect() {},
    duplicate() {},
    ping: async () => {
      if (!state.up) throw new Error('connection lost');
      return 'PONG';
    },
  };
}

async function boot(options: HealthModuleOptions, providers: Provider[], async = false) {
  lines.length = 0;
  const health = async
    ? HealthModule.forRootAsync({ useFactory: async () => ({ ...options, logger }) })
    : HealthModule.forRoot({ ...options, logger });
  @Module({ imports: [health], providers })
  class AppModule {}
  moduleRef = await Test.createTestingModule({ imports: [AppModule] }).compile();
  await moduleRef.init();
  return moduleRef.get(HealthService);
}

const failure = (options: HealthModuleOptions, providers: Provider[]) =>
  startUpFailure(() => boot(options, providers));

afterEach(async () => {
  await moduleRef?.close().catch(() => undefined);
  moduleRef = undefined;
});

describe('autoIndicators', () => {
  it('makes nothing, and looks at nothing, unless asked', async () => {
    const health = await boot({}, [{ provide: 'REDIS', useValue: redis() }]);
    expect(Object.keys((await health.check('deep')).checks ?? {})).not.toContain(
      'redis:responseTime',
    );
    expect(lines.filter((line) => line.startsWith('Auto-discovered'))).toEqual([]);
  });

  it.each([false, true])(
    'puts a check in deep only, where it degrades; promoted, it gates (forRootAsync: %s)',
    async (async) => {
      const state = { up: false };
      const providers = [
        { provide: 'CACHE_REDIS', useValue: redis(state) },
        { provide: 'SESSIONS_REDIS', useValue: redis(state) },
        { provide: 'QUEUE_REDIS', useValue: redis(state) },
      ];
      const options = {
        autoIndicators: { probes: { ready: ['redis.sessions'] }, critical: ['redis.queue'] },
        groups: { caches: { include: ['redis.cache'] } },
        cacheTtlMs: 0,
      };
      const health = await boot(options, providers, async);
      const deep = await health.check('deep');
      expect(deep.status).toBe('fail');
      expect(deep.output).toBe(
        'redis.cache: connection lost; redis.sessions: connection lost; redis.queue: connection lost',
      );
      const ready = await health.check('ready');
      expect(Object.keys(ready.checks ?? {})).toEqual(['redis.sessions:responseTime']);
      expect(ready.status).toBe('fail');
      // Not critical: the group it is in degrades.
      expect((await health.check('caches')).status).toBe('warn');
      state.up = true;
      expect((await health.check('deep')).status).toBe('pass');
      expect(lines.find((line) => line.startsWith('Auto-discovered'))).toBe(
        'Auto-discovered 3 client(s) to check: redis.cache ← Redis client (token CACHE_REDIS) → deep; redis.sessions ← Redis client (token SESSIONS_REDIS) → ready + deep, critical; redis.queue ← Redis client (token QUEUE_REDIS) → deep, critical',
      );
    },
  );

  it('leaves out what it is told to, saying so', async () => {
    const health = await boot({ autoIndicators: { exclude: ['redis'] } }, [
      { provide: 'REDIS', useValue: redis() },
    ]);
    expect(Object.keys((await health.check('deep')).checks ?? {})).not.toContain(
      'redis:responseTime',
    );
    expect(lines.find((line) => line.startsWith('Auto-discovered'))).toBe(
      'Auto-discovered 0 client(s) to check. Not checked: redis: excluded',
    );
  });

  it('stops start-up on a name it did not make, or one both left out and promoted', async () => {
    const providers = [{ provide: 'REDIS', useValue: redis() }];
    expect(await failure({ autoIndicators: { critical: ['redis.cache'] } }, providers)).toBe(
      'HealthModule option "autoIndicators.critical" names "redis.cache", which is not a check auto-discovery made: it found "redis". Fix the name (see the start-up log line "Auto-discovered"), or register an indicator for that client yourself and set its probes there.',
    );
    expect(await failure({ autoIndicators: { exclude: ['redis'] } }, [])).toMatch(
      /names "redis", which is not a check auto-discovery made: it found no client to check\./,
    );
    const both = { probes: { startup: ['redis'] }, exclude: ['redis'] };
    expect(await failure({ autoIndicators: both }, providers)).toBe(
      'HealthModule option "autoIndicators.exclude" leaves "redis" out, but "autoIndicators.probes.startup" names it too. Keep it in one of them.',
    );
  });
});
