import { afterEach, describe, expect, it } from '@jest/globals';
import type { INestApplication, LoggerService } from '@nestjs/common';
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import { DataPointType, MeterProvider } from '@opentelemetry/sdk-metrics';
import request from 'supertest';
import type { HealthModuleOptions } from '../lib/index.js';
import { createTestApp } from './support/app.js';
import { EventLoopStalls } from '../lib/observability/event-loop.stalls.js';
import { parseExposition, valueOf } from './support/exposition.js';
import { defineIndicator } from './support/indicators.js';
import {
  histogramAt,
  InMemoryMetrics,
  statusAt,
  valueAt,
  type InMemoryMetrics as Sdk,
} from './support/otel.js';
import { expectPromtoolAccepts } from './support/promtool.js';
import { describeWithBinary, freePort } from './support/servers.js';
import { until } from './support/wait.js';

/**
 * `openTelemetry`: the module's metrics on OpenTelemetry's real SDK (`@opentelemetry/sdk-metrics`),
 * read back through an in-memory exporter, and through the OpenTelemetry Prometheus exporter.
 */

let app: INestApplication | undefined;
let sdk: Sdk | undefined;

afterEach(async () => {
  await app?.close();
  await sdk?.shutdown();
  app = sdk = undefined;
});

const failing = { db: true };
/** db (critical) fails while `failing.db`; cache (not critical) passes. */
const checks = () => [
  defineIndicator({ name: 'db', cacheTtlMs: 0 }, () => {
    if (failing.db) throw new Error('connection refused');
  }),
  defineIndicator({ name: 'cache', critical: false }),
];

async function start(openTelemetry: HealthModuleOptions['openTelemetry'], logger?: LoggerService) {
  failing.db = true;
  app = await createTestApp({
    health: { openTelemetry, logger: logger ?? false },
    providers: checks(),
  });
  return request(app.getHttpServer());
}

const db = { 'health.check.name': 'db' };
const cache = { 'health.check.name': 'cache' };
const probe = (name: string) => ({ 'health.probe.name': name });

describe('OpenTelemetry metrics, on the real SDK', () => {
  it('records each check’s status (critical or not) and each probe’s, with units', async () => {
    sdk = new InMemoryMetrics();
    const http = await start({ meterProvider: sdk.provider });
    await http.get('/health/ready').expect(503);
    const metrics = await sdk.collect();
    const checkStatus = metrics.get('health.check.status');
    expect(checkStatus?.descriptor).toMatchObject({ unit: '{check}', type: 'OBSERVABLE_GAUGE' });
    expect(checkStatus?.dataPointType).toBe(DataPointType.GAUGE);
    expect(statusAt(checkStatus, { ...db, 'health.check.critical': true })).toBe('fail');
    expect(statusAt(checkStatus, { ...cache, 'health.check.critical': false })).toBe('pass');
    expect(valueAt(checkStatus, { ...db, 'health.status': 'pass' })).toBe(0);
    const probeStatus = metrics.get('health.probe.status');
    expect(probeStatus?.descriptor).toMatchObject({ unit: '{probe}', type: 'OBSERVABLE_GAUGE' });
    expect(
      ['live', 'ready', 'startup', 'deep'].map((name) => statusAt(probeStatus, probe(name))),
    ).toEqual(['pass', 'fail', 'pass', 'fail']);
  });

  it('records runs by result and durations in seconds, in the module’s buckets', async () => {
    sdk = new InMemoryMetrics();
    const http = await start({ meterProvider: sdk.provider });
    await http.get('/health/ready').expect(503);
    await http.get('/health/ready').expect(503);
    const metrics = await sdk.collect();
    const runs = metrics.get('health.check.runs');
    expect(runs?.descriptor).toMatchObject({ unit: '{run}', type: 'COUNTER' });
    // db is run by each probe (no cache); cache once (cached for a second). Unseen results: 0.
    expect(valueAt(runs, { ...db, 'health.status': 'fail' })).toBe(2);
    expect(valueAt(runs, { ...db, 'health.status': 'pass' })).toBe(0);
    expect(valueAt(runs, { ...cache, 'health.status': 'pass' })).toBe(1);
    const duration = metrics.get('health.check.duration');
    expect(duration?.descriptor).toMatchObject({ unit: 's', type: 'HISTOGRAM' });
    const histogram = histogramAt(duration, db)!;
    expect(histogram.count).toBe(2);
    expect(histogram.sum).toBeGreaterThan(0);
    expect(histogram.sum).toBeLessThan(1);
    expect(histogram.buckets.boundaries).toEqual([
      0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5,
    ]);
  });

  it('follows a check that changes: its status when collected, each transition counted', async () => {
    sdk = new InMemoryMetrics();
    const http = await start({ meterProvider: sdk.provider });
    await http.get('/health/ready').expect(503);
    let metrics = await sdk.collect();
    expect(valueAt(metrics.get('health.check.transitions'), db)).toBe(0);
    failing.db = false;
    await http.get('/health/ready').expect(200);
    metrics = await sdk.collect();
    expect(statusAt(metrics.get('health.check.status'), db)).toBe('pass');
    expect(statusAt(metrics.get('health.probe.status'), probe('ready'))).toBe('pass');
    expect(metrics.get('health.check.transitions')?.descriptor.unit).toBe('{transition}');
    expect(valueAt(metrics.get('health.check.transitions'), db)).toBe(1);
    failing.db = true;
    await http.get('/health/ready').expect(503);
    metrics = await sdk.collect();
    expect(statusAt(metrics.get('health.check.status'), db)).toBe('fail');
    expect(valueAt(metrics.get('health.check.transitions'), db)).toBe(2);
    expect(valueAt(metrics.get('health.check.transitions'), cache)).toBe(0);
  });

  it('records on the global provider, registered before the application starts', async () => {
    sdk = new InMemoryMetrics().registerGlobally();
    const http = await start(true);
    await http.get('/health/ready').expect(503);
    const metrics = await sdk.collect();
    expect(statusAt(metrics.get('health.check.status'), db)).toBe('fail');
  });

  it('records nothing, and says why, with no provider registered as it starts', async () => {
    const warnings: string[] = [];
    const logger = {
      log: () => undefined,
      error: () => undefined,
      warn: (m: string) => warnings.push(m),
    };
    const http = await start(true, logger);
    expect(warnings).toEqual([
      'OpenTelemetry metrics are on, but no MeterProvider was registered when the application initialised: nothing will be recorded, even once one is (the metrics API has no proxy provider). Start the OpenTelemetry SDK before NestFactory.create(), or give HealthModule openTelemetry: { meterProvider }.',
    ]);
    // A provider registered afterwards is not seen: the module's meter stays the no-op one.
    sdk = new InMemoryMetrics().registerGlobally();
    await http.get('/health/ready').expect(503);
    const metrics = await sdk.collect();
    expect([...metrics.keys()].filter((name) => name.startsWith('health.'))).toEqual([]);
  });

  it('puts the prefix before every name, attributes unchanged', async () => {
    sdk = new InMemoryMetrics();
    const http = await start({ meterProvider: sdk.provider, prefix: 'shop.orders' });
    await http.get('/health/ready').expect(503);
    const metrics = await sdk.collect();
    expect([...metrics.keys()].toSorted()).toEqual([
      'shop.orders.health.check.duration',
      'shop.orders.health.check.runs',
      'shop.orders.health.check.status',
      'shop.orders.health.check.transitions',
      'shop.orders.health.probe.status',
    ]);
    expect(statusAt(metrics.get('shop.orders.health.check.status'), db)).toBe('fail');
  });
});

/** What the OpenTelemetry Prometheus exporter names our metrics (docs/operators.md). */
const EXPORTED = {
  'health.check.status': ['health_check_status', 'gauge'],
  'health.check.duration': ['health_check_duration', 'histogram'],
  'health.check.runs': ['health_check_runs_total', 'counter'],
  'health.check.transitions': ['health_check_transitions_total', 'counter'],
  'health.probe.status': ['health_probe_status', 'gauge'],
  'health.event_loop.stall.duration': ['health_event_loop_stall_duration', 'histogram'],
};

describeWithBinary('promtool', 'OpenTelemetry metrics through the Prometheus exporter', () => {
  let exporter: PrometheusExporter | undefined;

  afterEach(async () => {
    await app?.close();
    await exporter?.shutdown();
    app = exporter = undefined;
  });

  it('are named as documented, and promtool accepts a scrape of them', async () => {
    const port = await freePort();
    exporter = new PrometheusExporter({ host: '127.0.0.1', port, preventServerStart: true });
    await exporter.startServer();
    const http = await start({ meterProvider: new MeterProvider({ readers: [exporter] }) });
    await http.get('/health/ready').expect(503);
    // A stall, as the probe server's heartbeat reports one when it ends.
    app!.get(EventLoopStalls).stalled(1500);
    const scrape = async () => (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    let text = '';
    await until(
      async () => (text = await scrape()).includes('health_check_runs_total'),
      'a scrape',
    );
    await expectPromtoolAccepts(text);
    const { samples, types } = parseExposition(text);
    for (const [name, [exported, type]] of Object.entries(EXPORTED)) {
      expect([name, types[exported]]).toEqual([name, type]);
    }
    expect(valueOf(parseExposition(text), 'health_event_loop_stall_duration_count')).toBe(1);
    const status = samples.find(
      (s) => s.name === 'health_check_status' && s.labels.health_status === 'fail' && s.value === 1,
    );
    expect(status?.labels).toMatchObject({
      health_check_name: 'db',
      health_check_critical: 'true',
      otel_scope_name: 'nestjs-probes',
    });
    expect(samples).toContainEqual(
      expect.objectContaining({
        name: 'health_probe_status',
        labels: expect.objectContaining({ health_probe_name: 'ready', health_status: 'fail' }),
        value: 1,
      }),
    );
  });
});
