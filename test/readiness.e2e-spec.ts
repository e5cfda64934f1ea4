import { afterEach, describe, expect, it } from '@jest/globals';
import type { INestApplication, LoggerService } from '@nestjs/common';
import request from 'supertest';
import { HealthService } from '../lib/index.js';
import { createTestApp, type TestAppOptions } from './support/app.js';
import { defineIndicator } from './support/indicators.js';

let app: INestApplication | undefined;

async function start(options: TestAppOptions) {
  app = await createTestApp(options);
  return request(app.getHttpServer());
}

afterEach(async () => {
  await app?.close();
  app = undefined;
});

describe('taking an instance out of rotation', () => {
  it('fails readiness with the reason given, keeps liveness, and comes back', async () => {
    const http = await start({
      providers: [defineIndicator({ name: 'db' })],
      health: { version: '2.1.0' },
    });
    const health = app!.get(HealthService);
    await http.get('/health/ready').expect(200);
    health.markNotReady('reindexing the catalogue');
    const { body } = await http.get('/health/ready').expect(503);
    expect(body).toEqual({ status: 'fail', version: '2.1.0', output: 'reindexing the catalogue' });
    await http.get('/health/live').expect(200);
    expect((await health.check('ready')).output).toBe('reindexing the catalogue');
    health.markReady();
    await http.get('/health/ready').expect(200);
  });

  it('takes precedence over start-up that is still running', async () => {
    const http = await start({
      providers: [
        defineIndicator({ name: 'warmup', probes: ['startup'] }, () => {
          throw new Error('warming up');
        }),
      ],
    });
    app!.get(HealthService).markNotReady('maintenance');
    expect((await http.get('/health/ready').expect(503)).body.output).toBe('maintenance');
  });

  it('subscribes to no signal when shutdown is false, and lets go of them on close', async () => {
    const before = process.listenerCount('SIGTERM');
    await start({ health: { shutdown: false } });
    expect(process.listenerCount('SIGTERM')).toBe(before);
    await app!.close();
    app = await createTestApp({});
    expect(process.listenerCount('SIGTERM')).toBe(before + 1);
    expect(process.listenerCount('SIGINT')).toBeGreaterThan(0);
    await app.close();
    app = undefined;
    expect(process.listenerCount('SIGTERM')).toBe(before);
  });
});

describe('start-up', () => {
  it('passes ready as soon as a check that failed at boot passes, without waiting out its cache', async () => {
    const workers = { running: 0 };
    const http = await start({
      providers: [
        defineIndicator({ name: 'bullmq' }, () => {
          if (workers.running === 0) throw new Error('0 running workers');
        }),
      ],
      health: { cacheTtlMs: 5000 },
    });
    await http.get('/health/startup').expect(200);
    await http.get('/health/ready').expect(503);
    // The worker registers a moment later: a failure of a check that has not passed yet is run
    // again soon, not reused for the 5 s a result is cached.
    workers.running = 1;
    const deadline = Date.now() + 1000;
    while ((await http.get('/health/ready')).status !== 200) {
      if (Date.now() > deadline) throw new Error('ready did not pass within 1 s');
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  });
});

/** A logger that keeps the warnings. */
function capture(): { logger: LoggerService; warnings: string[] } {
  const warnings: string[] = [];
  const logger: LoggerService = {
    log() {},
    error() {},
    warn(message: unknown) {
      warnings.push(String(message));
    },
  };
  return { logger, warnings };
}

/** Boots an app and returns the warnings it logged at start-up. */
async function warningsFor(options: TestAppOptions) {
  const { logger, warnings } = capture();
  app = await createTestApp({ ...options, logger });
  return warnings;
}

describe('start-up warnings about settings that cannot work', () => {
  it('warns about an indicator timeout at or above the declared probe timeout', async () => {
    const warnings = await warningsFor({
      providers: [
        defineIndicator({ name: 'search', timeoutMs: 2000 }),
        defineIndicator({ name: 'db' }),
      ],
      health: { probeTimeoutMs: 2000 },
    });
    expect(warnings).toEqual([
      expect.stringContaining(
        'Health indicator "search" has timeoutMs 2000, at or above the probe timeout of 2000 ms',
      ),
    ]);
  });

  it('measures against the kubelet default of one second when no probe timeout is declared', async () => {
    const warnings = await warningsFor({
      providers: [defineIndicator({ name: 'slow', timeoutMs: 1000 })],
    });
    expect(warnings.join()).toContain('"slow" has timeoutMs 1000');
  });

  it('warns about a shutdown delay that cannot fit in the grace period', async () => {
    const warnings = await warningsFor({
      health: { shutdown: { delayMs: 30_000, gracePeriodMs: 30_000 } },
    });
    expect(warnings).toEqual([
      expect.stringContaining(
        'shutdown.delayMs (30000 ms) is not shorter than shutdown.gracePeriodMs (30000 ms',
      ),
    ]);
  });

  it('stays quiet when the settings fit', async () => {
    const warnings = await warningsFor({
      providers: [defineIndicator({ name: 'db', timeoutMs: 500 })],
      health: { shutdown: { delayMs: 5000, gracePeriodMs: 30_000 } },
    });
    expect(warnings).toEqual([]);
  });
});
