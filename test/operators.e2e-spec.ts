import { afterEach, describe, expect, it } from '@jest/globals';
import type { INestApplication, LoggerService } from '@nestjs/common';
import request from 'supertest';
import { HealthService, type HealthModuleOptions } from '../lib/index.js';
import type { StatusChange } from '../lib/core/health.events.js';
import { ADAPTERS, createTestApp, type AdapterName, type TestAppOptions } from './support/app.js';
import { defineIndicator, delay } from './support/indicators.js';
import { until } from './support/wait.js';

let app: INestApplication | undefined;

afterEach(async () => {
  await app?.close();
  app = undefined;
});

const AS_EXTERNAL: HealthModuleOptions = { internalNetworks: ['10.0.0.0/8'] };
/** A logger method that fails, as a broken transport would. */
const boom = () => {
  throw new Error('logger down');
};
const down = () => {
  throw new Error('connection refused');
};

/** A passing critical indicator and a failing non-critical one. */
const indicators = () => [
  defineIndicator({ name: 'database' }),
  defineIndicator({ name: 'cache', critical: false }, down),
];

/** A logger that keeps what it is told, level first. */
function capture(): { logger: LoggerService; lines: string[] } {
  const lines: string[] = [];
  const push = (level: string) => (message: unknown) => lines.push(`${level} ${String(message)}`);
  return { logger: { log: push('log'), warn: push('warn'), error: push('error') }, lines };
}

describe.each(ADAPTERS)('reading a probe, on %s', (adapter: AdapterName) => {
  async function start(options: TestAppOptions) {
    app = await createTestApp({ adapter, ...options });
    return request(app.getHttpServer());
  }

  it('answers ?verbose in plain text, a line per check, with the JSON status code', async () => {
    const http = await start({ providers: indicators() });
    const response = await http.get('/health/ready?verbose').expect(200);
    expect(response.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(response.text).toBe(
      '[+]database ok\n[-]cache failed: connection refused\nready check passed (degraded)\n',
    );
  });

  it('answers Accept: text/plain in text too, and says why a probe fails with no failed check', async () => {
    const http = await start({
      providers: [
        defineIndicator({ name: 'warmup', probes: ['startup'] }, () => {
          throw new Error('warming up');
        }),
      ],
    });
    const ready = await http.get('/health/ready').set('Accept', 'text/plain').expect(503);
    expect(ready.text).toBe('[-]warmup failed: warming up\nready check failed\n');
    const live = await http.get('/health/live?verbose=1').expect(200);
    expect(live.text).toBe('live check passed\n');
  });

  it('leaves a check out with ?exclude, aggregating the rest again', async () => {
    const http = await start({
      providers: [defineIndicator({ name: 'database' }, down), defineIndicator({ name: 'queue' })],
    });
    await http.get('/health/ready').expect(503);
    const { body } = await http.get('/health/ready?exclude=database').expect(200);
    expect(body.status).toBe('pass');
    expect(Object.keys(body.checks)).toEqual(['queue:responseTime']);
    const text = await http.get('/health/ready?exclude=database&exclude=nope&verbose').expect(200);
    expect(text.text).toBe(
      '[+]queue ok\nwarn: exclude: no check named "nope" in this probe\nready check passed\n',
    );
  });

  it('reports an unknown excluded name in notes, not as an error', async () => {
    const http = await start({ providers: indicators() });
    const { body } = await http.get('/health/deep?exclude=nope').expect(200);
    expect(body.notes).toEqual(['exclude: no check named "nope" in this probe']);
  });

  it('echoes a bounded few of the unknown names, cut short, and no forged text line', async () => {
    const http = await start({ providers: indicators() });
    const many = Array.from({ length: 1100 }, (_, i) => `exclude=n${i}`).join('&');
    const { body, text } = await http.get(`/health/ready?${many}`).expect(200);
    expect(body.notes).toHaveLength(11);
    expect(body.notes[10]).toBe('exclude: 90 more names matched no check');
    expect(text.length).toBeLessThan(2048);
    const long = await http.get(`/health/ready?exclude=${'x'.repeat(14_000)}`).expect(200);
    expect(long.body.notes).toEqual([`exclude: no check named "${'x'.repeat(64)}…" in this probe`]);
    const forged = await http
      .get('/health/ready?verbose&exclude=%0A%5B%2B%5Dfake%20ok%0D')
      .expect(200);
    expect(forged.text.split('\n')).not.toContain('[+]fake ok');
    expect(forged.text).toContain('no check named "\\n[+]fake ok\\r" in this probe');
  });

  it('answers JSON to ?verbose=false, and text to ?verbose and ?verbose=1', async () => {
    const http = await start({ providers: indicators() });
    for (const query of ['verbose=false', 'verbose=0', 'verbose=no']) {
      const response = await http.get(`/health/ready?${query}`).expect(200);
      expect([query, response.type]).toEqual([query, 'application/health+json']);
    }
    for (const query of ['verbose', 'verbose=1', 'verbose=true']) {
      const response = await http.get(`/health/ready?${query}`).expect(200);
      expect([query, response.type]).toEqual([query, 'text/plain']);
    }
  });

  it('answers for one check under ready/<name> and deep/<name>, 404 for an unknown name', async () => {
    const http = await start({
      providers: [...indicators(), defineIndicator({ name: 'reports', probes: ['deep'] })],
    });
    const one = await http.get('/health/ready/database').expect(200);
    expect(one.body).toMatchObject({ status: 'pass' });
    expect(Object.keys(one.body.checks)).toEqual(['database:responseTime']);
    // One check's own status decides: a failing non-critical check answers 503 on its own.
    await http.get('/health/ready/cache').expect(503);
    await http.get('/health/deep/reports').expect(200);
    await http.get('/health/ready/reports').expect(404);
    await http.get('/health/deep/nothing').expect(404);
    const text = await http.get('/health/ready/cache?verbose').expect(503);
    expect(text.text).toBe('[-]cache failed: connection refused\ncache check failed\n');
  });

  it('gives external callers none of it: no text, no exclusion, no single checks', async () => {
    const http = await start({ providers: indicators(), health: AS_EXTERNAL });
    const ready = await http.get('/health/ready?verbose&exclude=cache').expect(200);
    expect(ready.text).toBe('{"status":"warn"}');
    await http.get('/health/ready/database').expect(403);
    await http.get('/health/deep/database').expect(403);
  });
});

describe('status changes', () => {
  it('emits every transition on changes$, and logs one line per change, never per probe', async () => {
    let failing = false;
    const { logger, lines } = capture();
    app = await createTestApp({
      providers: [
        defineIndicator({ name: 'db', cacheTtlMs: 0 }, () => {
          if (failing) throw new Error('connection refused');
        }),
      ],
      health: { logger },
    });
    const health = app.get(HealthService);
    const changes: StatusChange[] = [];
    health.changes$.subscribe((change) => changes.push(change));
    await health.check('ready');
    await health.check('ready');
    failing = true;
    await health.check('ready');
    await health.check('ready');
    failing = false;
    await delay(20);
    await health.check('ready');
    expect(changes.map(({ check, from, to }) => `${check} ${from}->${to}`)).toEqual([
      'db unknown->pass',
      'db pass->fail',
      'db fail->pass',
    ]);
    expect(changes[1]).toMatchObject({ output: 'connection refused', at: expect.any(String) });
    const changeLines = lines.filter((line) => line.includes('"db"'));
    expect(changeLines).toEqual([
      'error Health check "db" failed: connection refused',
      expect.stringMatching(/^log Health check "db" recovered after \d+\.\d s down$/),
    ]);
  });

  it('warns about a check slower than slowCheckMs', async () => {
    const { logger, lines } = capture();
    app = await createTestApp({
      providers: [defineIndicator({ name: 'slow' }, (signal) => delay(60, signal))],
      health: { logger, slowCheckMs: 30 },
    });
    await app.get(HealthService).check('ready');
    expect(lines).toContainEqual(
      expect.stringMatching(
        /^warn Health check "slow" took \d+ ms, more than slowCheckMs \(30 ms\)$/,
      ),
    );
  });

  it('survives a logger that throws, keeping the check and its background schedule', async () => {
    const Db = defineIndicator({ name: 'db' }, down);
    app = await createTestApp({
      providers: [Db],
      health: { logger: { log: () => undefined, warn: boom, error: boom }, refreshIntervalMs: 100 },
    });
    await until(() => app!.get(Db).runs >= 3, 'three background runs, the logger failing in each');
    expect((await app.get(HealthService).check('ready')).status).toBe('fail');
  });

  describe('of a check that has not passed yet since boot', () => {
    it('logs it once, below error level, as not passing yet, then its first pass', async () => {
      const warm = { done: false };
      const { logger, lines } = capture();
      app = await createTestApp({
        providers: [
          defineIndicator({ name: 'warmup', probes: ['startup'] }, () => {
            if (!warm.done) throw new Error('warming up');
          }),
        ],
        health: { logger },
      });
      const health = app.get(HealthService);
      for (let run = 0; run < 3; run++) expect((await health.check('startup')).status).toBe('fail');
      warm.done = true;
      expect((await health.check('startup')).status).toBe('pass');
      expect(lines.filter((line) => line.includes('"warmup"'))).toEqual([
        'log Health check "warmup" is not passing yet: warming up',
        expect.stringMatching(/^log Health check "warmup" passes, \d+\.\d s after its first run$/),
      ]);
    });

    it('takes no failure at boot for an error when the check passes on its next run, as a queue worker that registers a moment later', async () => {
      const workers = { running: 0 };
      const { logger, lines } = capture();
      app = await createTestApp({
        providers: [
          defineIndicator({ name: 'bullmq' }, () => {
            if (workers.running === 0) throw new Error('0 running workers');
          }),
        ],
        health: { logger },
      });
      const health = app.get(HealthService);
      expect((await health.check('ready')).status).toBe('fail');
      workers.running = 1;
      await until(async () => (await health.check('ready')).status === 'pass', 'ready to pass');
      expect(lines.filter((line) => line.includes('"bullmq"'))).toEqual([
        'log Health check "bullmq" is not passing yet: 0 running workers',
        expect.stringMatching(/^log Health check "bullmq" passes, \d+\.\d s after its first run$/),
      ]);
    });

    it('logs an error when it still fails once start-up has completed', async () => {
      const { logger, lines } = capture();
      app = await createTestApp({
        providers: [defineIndicator({ name: 'queue' }, down)],
        health: { logger },
      });
      const health = app.get(HealthService);
      const errors = () => lines.filter((line) => line.startsWith('error'));
      await until(async () => {
        await health.check('ready');
        return errors().length > 0;
      }, 'an error line');
      expect(lines.filter((line) => line.includes('"queue"'))).toEqual([
        'log Health check "queue" is not passing yet: connection refused',
        expect.stringMatching(
          /^error Health check "queue" failed: connection refused \(it has not passed once in the \d+\.\d s since the application started\)$/,
        ),
      ]);
    });

    it('logs an error once the start-up budget is spent, though start-up has not completed', async () => {
      const { logger, lines } = capture();
      app = await createTestApp({
        providers: [defineIndicator({ name: 'warmup', probes: ['startup'] }, down)],
        health: { logger, startupBudgetMs: 300 },
      });
      const health = app.get(HealthService);
      const errors = () => lines.filter((line) => line.startsWith('error'));
      await until(async () => {
        await health.check('startup');
        return errors().length > 0;
      }, 'an error line');
      expect(health.started).toBe(false);
      expect(lines.filter((line) => line.includes('"warmup"'))).toEqual([
        'log Health check "warmup" is not passing yet: connection refused',
        expect.stringMatching(
          /^error Health check "warmup" failed: connection refused \(it has not passed once in the \d+\.\d s since the application started\)$/,
        ),
      ]);
    });

    it('logs the first failure as an error with startupBudgetMs: 0', async () => {
      const { logger, lines } = capture();
      app = await createTestApp({
        providers: [defineIndicator({ name: 'db' }, down)],
        health: { logger, startupBudgetMs: 0 },
      });
      await app.get(HealthService).check('ready');
      expect(lines.filter((line) => line.includes('"db"'))).toEqual([
        expect.stringMatching(/^error Health check "db" failed: connection refused \(/),
      ]);
    });
  });

  it('can be silenced', async () => {
    const writes: string[] = [];
    app = await createTestApp({
      providers: [defineIndicator({ name: 'db' }, down)],
      health: { logger: false },
      logger: {
        log: (m: unknown) => writes.push(String(m)),
        warn: (m: unknown) => writes.push(String(m)),
        error: (m: unknown) => writes.push(String(m)),
      },
    });
    await app.get(HealthService).check('ready');
    expect(writes.filter((line) => line.includes('Health check'))).toEqual([]);
  });
});

describe('failureThreshold', () => {
  it('reports warn until that many consecutive failures, then fail; a success resets it', async () => {
    let failing = true;
    app = await createTestApp({
      providers: [
        defineIndicator({ name: 'db', failureThreshold: 3, cacheTtlMs: 0 }, () => {
          if (failing) throw new Error('timeout');
        }),
      ],
    });
    const health = app.get(HealthService);
    const statuses: string[] = [];
    for (let i = 0; i < 4; i++) statuses.push((await health.check('ready')).status);
    expect(statuses).toEqual(['warn', 'warn', 'fail', 'fail']);
    const report = await health.check('ready');
    expect(report.checks!['db:responseTime'][0].output).toBe('timeout');
    failing = false;
    expect((await health.check('ready')).status).toBe('pass');
    failing = true;
    const again = await health.check('ready');
    expect(again.status).toBe('warn');
    expect(again.checks!['db:responseTime'][0].output).toBe('timeout (failure 1 of 3)');
  });
});

describe('background checks', () => {
  it('runs indicators on a schedule; a probe reads the latest result without running anything', async () => {
    const started: number[] = [];
    const Db = defineIndicator({ name: 'db' }, () => void started.push(performance.now()));
    app = await createTestApp({ providers: [Db], health: { refreshIntervalMs: 100 } });
    const health = app.get(HealthService);
    await until(() => started.length >= 3, 'three background runs');
    // Every 100 ms less its 10 % jitter, never sooner: the gaps, not a count in a fixed time, which
    // a loaded machine lowers.
    const gaps = started.slice(1).map((at, i) => at - started[i]!);
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(90 - 2);
    const runs = app.get(Db).runs;
    await Promise.all(Array.from({ length: 50 }, () => health.check('ready')));
    expect(app.get(Db).runs).toBe(runs);
  });

  it('never overlaps a run with itself, even when a run outlasts the interval', async () => {
    let active = 0;
    let overlapped = false;
    const Slow = defineIndicator(
      { name: 'slow', refreshIntervalMs: 100, timeoutMs: 150 },
      async (signal) => {
        active++;
        overlapped ||= active > 1;
        await delay(120, signal).finally(() => active--);
      },
    );
    app = await createTestApp({ providers: [Slow] });
    await until(() => app!.get(Slow).runs >= 3, 'three background runs');
    expect(overlapped).toBe(false);
  });

  it('stops its timers at shutdown', async () => {
    const before = process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    app = await createTestApp({
      providers: [defineIndicator({ name: 'db', refreshIntervalMs: 100 })],
    });
    await delay(150);
    await app.close();
    app = undefined;
    expect(
      process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length,
    ).toBeLessThanOrEqual(before);
  });
});
