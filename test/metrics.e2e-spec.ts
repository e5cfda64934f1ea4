import { afterEach, describe, expect, it } from '@jest/globals';
import type { INestApplication, Provider } from '@nestjs/common';
import { Registry } from 'prom-client';
import request from 'supertest';
import { HealthService } from '../lib/index.js';
import { ADAPTERS, createTestApp, type AdapterName, type TestAppOptions } from './support/app.js';
import { defineIndicator } from './support/indicators.js';
import {
  expectValid,
  parseExposition,
  statusIn,
  valueOf,
  type Exposition,
} from './support/exposition.js';

/** A gauge family's lines: its `# TYPE`, then `samples`. */
const family = (name: string, ...samples: string[]) => [`# TYPE ${name} gauge`, ...samples];

describe('the exposition parser of this suite', () => {
  it('reads names, escaped label values and special values, and skips comments', () => {
    const { samples, types } = parseExposition(
      [
        '# HELP a_total Runs.',
        '# TYPE a_total counter',
        'a_total{check="say \\"hi\\"",path="C:\\\\tmp",text="two\\nlines"} 3',
        'b 1.5e-3 1700000000000',
        'c_bucket{le="+Inf"} +Inf',
        '',
      ].join('\n'),
    );
    expect(types).toEqual({ a_total: 'counter' });
    expect(samples).toEqual([
      {
        name: 'a_total',
        labels: { check: 'say "hi"', path: 'C:\\tmp', text: 'two\nlines' },
        value: 3,
      },
      { name: 'b', labels: {}, value: 0.0015 },
      { name: 'c_bucket', labels: { le: '+Inf' }, value: Infinity },
    ]);
    expect(() => parseExposition('x{a="1} 2')).toThrow('Unterminated');
    expect(() => parseExposition('x{a=1} 2')).toThrow('Bad label');
    expect(() => parseExposition('x oops')).toThrow('Bad sample value');
  });

  it('rejects what Prometheus rejects: a family twice, a stray sample, a series twice', () => {
    expect(() => expectValid(family('a', 'a{x="1"} 1', 'a{x="2"} 0').join('\n'))).not.toThrow();
    expect(() => expectValid([...family('a'), ...family('a')].join('\n'))).toThrow('twice');
    expect(() => expectValid([...family('a'), 'b 1'].join('\n'))).toThrow('outside its family');
    expect(() => expectValid(family('a', 'a{x="1"} 1', 'a{x="1"} 0').join('\n'))).toThrow(
      'a series twice',
    );
  });
});

/** GET /health/metrics: 200 in the registry's content type, parsed. */
async function scrape(http: ReturnType<typeof request>, registry: Registry) {
  const response = await http.get('/health/metrics');
  expect(response.status).toBe(200);
  expect(response.headers['content-type']).toBe(registry.contentType);
  expectValid(response.text);
  return parseExposition(response.text);
}

let app: INestApplication | undefined;

afterEach(async () => {
  await app?.close();
  app = undefined;
});

const down = () => {
  throw new Error('connection refused');
};

/** The series of `health_probe_status` at 1: each probe's status. */
const probes = (metrics: Exposition) =>
  metrics.samples.filter((s) => s.name === 'health_probe_status' && s.value === 1);

/** The status `health_probe_status` shows for a probe. */
const probeStatus = (metrics: Exposition, probe: string) =>
  statusIn(metrics, 'health_probe_status', { probe });

/** An app on express with `providers`, and a scrape of its metrics. */
async function startWith(health: TestAppOptions['health'], providers: Provider[]) {
  const registry = new Registry();
  app = await createTestApp({ health: { metrics: { registry }, ...health }, providers });
  const http = request(app.getHttpServer());
  return { http, scraped: async () => parseExposition((await http.get('/health/metrics')).text) };
}

describe.each(ADAPTERS)('GET /health/metrics, on %s', (adapter: AdapterName) => {
  async function start(options: TestAppOptions = {}) {
    const registry = new Registry();
    app = await createTestApp({
      adapter,
      ...options,
      health: { metrics: { registry }, ...options.health },
      providers: options.providers ?? [
        defineIndicator({ name: 'db' }, down),
        defineIndicator({ name: 'cache', critical: false }),
      ],
    });
    return { http: request(app.getHttpServer()), registry };
  }

  it('answers 200 in the registry content type, even while the application is unhealthy', async () => {
    const { http, registry } = await start();
    await http.get('/health/ready').expect(503);
    const { types } = await scrape(http, registry);
    expect(types).toMatchObject({
      health_check_status: 'gauge',
      health_check_duration_seconds: 'histogram',
      health_check_runs_total: 'counter',
      health_probe_status: 'gauge',
    });
  });

  it('shows the checks and the probe of the last ready probe', async () => {
    const { http, registry } = await start();
    await http.get('/health/ready').expect(503);
    const metrics = await scrape(http, registry);
    const status = (check: string, value: string) =>
      valueOf(metrics, 'health_check_status', { check, status: value });
    expect([status('db', 'pass'), status('db', 'warn'), status('db', 'fail')]).toEqual([0, 0, 1]);
    expect([status('cache', 'pass'), status('cache', 'fail')]).toEqual([1, 0]);
    expect(
      valueOf(metrics, 'health_check_runs_total', { check: 'db', result: 'fail' }),
    ).toBeGreaterThanOrEqual(1);
    expect(valueOf(metrics, 'health_check_runs_total', { check: 'db', result: 'pass' })).toBe(0);
    const count = valueOf(metrics, 'health_check_duration_seconds_count', { check: 'db' });
    expect(count).toBeGreaterThanOrEqual(1);
    expect(
      valueOf(metrics, 'health_check_duration_seconds_bucket', { check: 'db', le: '+Inf' }),
    ).toBe(count);
    const probe = (value: string) =>
      valueOf(metrics, 'health_probe_status', { probe: 'ready', status: value });
    expect([probe('pass'), probe('warn'), probe('fail')]).toEqual([0, 0, 1]);
  });

  it('has the series of every check at 0 before its first run', async () => {
    const { http, registry } = await start();
    const metrics = await scrape(http, registry);
    for (const status of ['pass', 'warn', 'fail']) {
      expect(valueOf(metrics, 'health_check_status', { check: 'db', status })).toBe(0);
      expect(valueOf(metrics, 'health_check_runs_total', { check: 'db', result: status })).toBe(0);
    }
    expect(valueOf(metrics, 'health_check_duration_seconds_count', { check: 'db' })).toBe(0);
  });

  it('has a probe’s series once its status is known: at once without checks, else after a run', async () => {
    const { http, registry } = await start();
    expect(probes(await scrape(http, registry)).map((s) => s.labels)).toEqual([
      { probe: 'live', status: 'pass' },
      { probe: 'startup', status: 'pass' },
    ]);
    await http.get('/health/ready').expect(503);
    expect(probes(await scrape(http, registry)).map((s) => s.labels)).toEqual([
      { probe: 'live', status: 'pass' },
      { probe: 'ready', status: 'fail' },
      { probe: 'startup', status: 'pass' },
      { probe: 'deep', status: 'fail' },
    ]);
  });

  it('refuses an external caller with 403', async () => {
    const { http } = await start({ health: { internalNetworks: ['10.0.0.0/8'] } });
    const response = await http.get('/health/metrics');
    expect(response.status).toBe(403);
    expect(response.text).not.toContain('health_check');
  });

  it('leaves the registry empty once the application has closed', async () => {
    const { registry } = await start();
    expect(registry.getMetricsAsArray()).toHaveLength(6);
    await app!.close();
    app = undefined;
    expect(registry.getMetricsAsArray()).toEqual([]);
  });
});

describe('health_probe_status: the status every transport answers now, whoever asked', () => {
  it('is not moved by a reading that excludes the failing check, nor by one check’s route', async () => {
    const { http, scraped } = await startWith({}, [
      defineIndicator({ name: 'db' }, down),
      defineIndicator({ name: 'cache' }),
    ]);
    await http.get('/health/ready').expect(503);
    await http.get('/health/ready?exclude=db').expect(200);
    await http.get('/health/ready/cache').expect(200);
    expect(probeStatus(await scraped(), 'ready')).toBe('fail');
  });

  it('shows markNotReady() and markReady() at once, with no probe asked since', async () => {
    const { http, scraped } = await startWith({}, [defineIndicator({ name: 'cache' })]);
    await http.get('/health/ready').expect(200);
    const health = app!.get(HealthService);
    health.markNotReady('maintenance');
    const marked = await scraped();
    expect([probeStatus(marked, 'ready'), probeStatus(marked, 'live')]).toEqual(['fail', 'pass']);
    health.markReady();
    expect(probeStatus(await scraped(), 'ready')).toBe('pass');
  });
});
