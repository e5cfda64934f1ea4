import { afterEach, describe, expect, it } from '@jest/globals';
import type { INestApplication } from '@nestjs/common';
import { Registry, register as defaultRegistry } from 'prom-client';
import request from 'supertest';
import { createTestApp } from './support/app.js';
import {
  expectValid,
  ownSamples,
  parseExposition,
  statusIn,
  valueOf,
} from './support/exposition.js';
import { defineIndicator } from './support/indicators.js';

/**
 * Several applications with `metrics` on in one process, as end-to-end suites run them: on
 * prom-client's default registry, or on one registry given to each. Each one's `/metrics` shows
 * its own checks and probes only, and what closes takes its own series with it.
 */

const NAMES = [
  'health_check_status',
  'health_check_duration_seconds',
  'health_check_runs_total',
  'health_probe_status',
];

let apps: INestApplication[] = [];

afterEach(async () => {
  for (const app of apps.splice(0)) await app.close();
});

const down = () => {
  throw new Error('connection refused');
};

/** GET /health/metrics of an application: 200, a valid exposition, parsed. */
async function scrape(app: INestApplication) {
  const response = await request(app.getHttpServer()).get('/health/metrics').expect(200);
  expectValid(response.text);
  return parseExposition(response.text);
}

/** The checks an exposition has series of. */
const checksOf = (metrics: ReturnType<typeof parseExposition>) =>
  new Set(ownSamples(metrics).flatMap((sample) => sample.labels.check ?? []));

describe.each([
  ['prom-client’s default registry', () => ({ shared: defaultRegistry, option: true as const })],
  [
    'one registry given to both',
    () => {
      const shared = new Registry();
      return { shared, option: { registry: shared } };
    },
  ],
])('two applications on %s', (_, registries) => {
  /** Orders (db failing, cache) started first, then billing (db passing, queue); ready asked. */
  async function startBoth() {
    const { shared, option } = registries();
    const orders = await createTestApp({
      health: { metrics: option },
      providers: [defineIndicator({ name: 'db' }, down), defineIndicator({ name: 'cache' })],
    });
    apps.push(orders);
    const billing = await createTestApp({
      health: { metrics: option },
      providers: [defineIndicator({ name: 'db' }), defineIndicator({ name: 'queue' })],
    });
    apps.push(billing);
    await request(orders.getHttpServer()).get('/health/ready').expect(503);
    await request(billing.getHttpServer()).get('/health/ready').expect(200);
    return { shared, orders, billing };
  }

  it('shows each application its own checks, runs and probes only', async () => {
    const { orders, billing } = await startBoth();
    const ours = await scrape(orders);
    const theirs = await scrape(billing);
    expect(checksOf(ours)).toEqual(new Set(['db', 'cache']));
    expect(checksOf(theirs)).toEqual(new Set(['db', 'queue']));
    expect(statusIn(ours, 'health_check_status', { check: 'db' })).toBe('fail');
    expect(statusIn(theirs, 'health_check_status', { check: 'db' })).toBe('pass');
    expect(statusIn(ours, 'health_probe_status', { probe: 'ready' })).toBe('fail');
    expect(statusIn(theirs, 'health_probe_status', { probe: 'ready' })).toBe('pass');
    const runs = (metrics: typeof ours, result: string) =>
      valueOf(metrics, 'health_check_runs_total', { check: 'db', result });
    expect(runs(ours, 'pass')).toBe(0);
    expect(runs(ours, 'fail')).toBeGreaterThanOrEqual(1);
    expect(runs(theirs, 'pass')).toBeGreaterThanOrEqual(1);
    expect(runs(theirs, 'fail')).toBe(0);
  });

  it('shows an outside scrape of the registry the series of the application started first', async () => {
    const { shared, orders } = await startBoth();
    const outside = await shared.metrics();
    expectValid(outside);
    expect(checksOf(parseExposition(outside))).toEqual(new Set(['db', 'cache']));
    expect(ownSamples(parseExposition(outside))).toEqual(ownSamples(await scrape(orders)));
  });

  it.each([
    ['the first', 'orders', ['db', 'queue']],
    ['the second', 'billing', ['db', 'cache']],
  ] as const)(
    'keeps the other’s series complete when %s closes, and drops the closed one’s',
    async (__, closing, left) => {
      const started = await startBoth();
      const closed = started[closing];
      const open = closing === 'orders' ? started.billing : started.orders;
      const before = await scrape(open);
      await closed.close();
      apps = apps.filter((app) => app !== closed);
      const after = await scrape(open);
      expect(ownSamples(after)).toEqual(ownSamples(before));
      expect(checksOf(after)).toEqual(new Set(left));
      // An outside scrape shows nothing of the closed application any more.
      const outside = parseExposition(await started.shared.metrics());
      expect(checksOf(outside)).toEqual(new Set(left));
      expect(ownSamples(outside)).toEqual(ownSamples(after));
      await open.close();
      apps = [];
      for (const name of NAMES) expect(started.shared.getSingleMetric(name)).toBeUndefined();
    },
  );
});
