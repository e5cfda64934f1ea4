import { afterEach, describe, expect, it } from '@jest/globals';
import type { LoggerService } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { Counter, Gauge, Registry, register as defaultRegistry } from 'prom-client';
import { HEALTH_LOGGER, RESOLVED_HEALTH_OPTIONS } from '../core/health.constants.js';
import { HealthEvents } from './health.events.js';
import { HealthMetrics, type PromClientLike } from './health.metrics.js';
import { resolveHealthOptions, resolveIndicatorOptions } from '../options/health.options.js';
import type { HealthModuleOptions } from '../interfaces/health-module-options.interface.js';
import { IndicatorRegistry } from '../core/indicator.registry.js';
import { IndicatorRunner } from '../core/indicator.runner.js';
import { Redactor } from '../core/redactor.js';
import { ReadinessState } from '../core/readiness.state.js';

const ignore = () => undefined;
const silent: LoggerService = { log: ignore, warn: ignore, error: ignore };

const NAMES = [
  'health_check_status',
  'health_check_duration_seconds',
  'health_check_runs_total',
  'health_probe_status',
];

interface Setup {
  metrics: HealthMetrics;
  events: HealthEvents;
  indicators: IndicatorRegistry;
}

const started: HealthMetrics[] = [];

/** A HealthMetrics wired by hand, as the module wires it, with `checks` discovered. */
function setup(
  metrics: HealthModuleOptions['metrics'],
  checks: string[] = [],
  Metrics: typeof HealthMetrics = HealthMetrics,
): Setup {
  const options = resolveHealthOptions({ metrics, logger: false });
  const events = new HealthEvents(options, silent, new ReadinessState());
  const indicators = new IndicatorRegistry(options);
  for (const name of checks) {
    const indicatorOptions = resolveIndicatorOptions('Test', { name }, options);
    indicators.add(new IndicatorRunner(indicatorOptions, { check: ignore }, new Redactor()));
  }
  const instance = new Metrics(options, events, indicators);
  started.push(instance);
  return { metrics: instance, events, indicators };
}

async function start(metrics: HealthModuleOptions['metrics'], checks: string[] = []) {
  const result = setup(metrics, checks);
  await result.metrics.onModuleInit();
  return result;
}

/** The value of one sample, read back from the registry. */
async function sample(registry: Registry, name: string, labels: Record<string, string>) {
  const base = name.replace(/_(count|sum|bucket)$/, '');
  const metric = (await registry.getMetricsAsJSON()).find((m) => m.name === base);
  const found = metric?.values.find(
    (v) =>
      (v as { metricName?: string }).metricName === (base === name ? undefined : name) &&
      Object.entries(labels).every(([key, value]) => String(v.labels[key]) === value),
  );
  return found?.value;
}

afterEach(() => {
  for (const instance of started.splice(0)) instance.onModuleDestroy();
});

describe('HealthMetrics', () => {
  it('registers four metrics in the given registry', async () => {
    const registry = new Registry();
    const { metrics } = await start({ registry });
    expect(metrics.enabled).toBe(true);
    const types = Object.fromEntries(registry.getMetricsAsArray().map((m) => [m.name, m.type]));
    expect(types).toEqual({
      health_check_status: 'gauge',
      health_check_duration_seconds: 'histogram',
      health_check_runs_total: 'counter',
      health_probe_status: 'gauge',
    });
  });

  it('records every run: status gauge, duration histogram and runs counter', async () => {
    const registry = new Registry();
    const { events } = await start({ registry });
    events.runs.next({ check: 'db', status: 'fail', durationMs: 12 });
    const status = (value: string) =>
      sample(registry, 'health_check_status', { check: 'db', status: value });
    expect([await status('pass'), await status('warn'), await status('fail')]).toEqual([0, 0, 1]);
    events.runs.next({ check: 'db', status: 'pass', durationMs: 3 });
    expect([await status('pass'), await status('warn'), await status('fail')]).toEqual([1, 0, 0]);
    const runs = (result: string) =>
      sample(registry, 'health_check_runs_total', { check: 'db', result });
    expect([await runs('pass'), await runs('fail')]).toEqual([1, 1]);
    const duration = 'health_check_duration_seconds';
    expect(await sample(registry, `${duration}_count`, { check: 'db' })).toBe(2);
    expect(await sample(registry, `${duration}_sum`, { check: 'db' })).toBeCloseTo(0.015);
    expect(await sample(registry, `${duration}_bucket`, { check: 'db', le: '0.005' })).toBe(1);
    expect(await sample(registry, `${duration}_bucket`, { check: 'db', le: '0.025' })).toBe(2);
  });

  it('records the status of every probe answered', async () => {
    const registry = new Registry();
    const { events } = await start({ registry });
    events.probes.next({ probe: 'ready', status: 'warn' });
    events.probes.next({ probe: 'live', status: 'pass' });
    const probe = (name: string, status: string) =>
      sample(registry, 'health_probe_status', { probe: name, status });
    expect(await probe('ready', 'warn')).toBe(1);
    expect(await probe('ready', 'pass')).toBe(0);
    expect(await probe('ready', 'fail')).toBe(0);
    expect(await probe('live', 'pass')).toBe(1);
  });

  it('creates the series of every discovered check at 0 at bootstrap, not over a run', async () => {
    const registry = new Registry();
    const { metrics, events } = await start({ registry }, ['db', 'cache']);
    events.runs.next({ check: 'cache', status: 'warn', durationMs: 1 });
    metrics.onApplicationBootstrap();
    for (const status of ['pass', 'warn', 'fail']) {
      expect(await sample(registry, 'health_check_status', { check: 'db', status })).toBe(0);
      expect(
        await sample(registry, 'health_check_runs_total', { check: 'db', result: status }),
      ).toBe(0);
    }
    expect(await sample(registry, 'health_check_duration_seconds_count', { check: 'db' })).toBe(0);
    expect(await sample(registry, 'health_check_status', { check: 'cache', status: 'warn' })).toBe(
      1,
    );
  });

  it('renders the exposition with the registry content type', async () => {
    const registry = new Registry();
    const { metrics, events } = await start({ registry });
    events.runs.next({ check: 'db', status: 'pass', durationMs: 2 });
    const { contentType, body } = await metrics.render();
    expect(contentType).toBe(registry.contentType);
    expect(body).toBe(await registry.metrics());
    expect(body).toMatch(/^# TYPE health_check_status gauge$/m);
    expect(body).toMatch(/^health_check_status\{check="db",status="pass"\} 1$/m);
  });

  it('does nothing when disabled, and never loads prom-client', async () => {
    class Spy extends HealthMetrics {
      loads = 0;
      protected override async loadPromClient() {
        this.loads++;
        return undefined;
      }
    }
    const { metrics } = setup(false, [], Spy);
    await metrics.onModuleInit();
    expect(metrics.enabled).toBe(false);
    expect((metrics as Spy).loads).toBe(0);
    await expect(metrics.render()).rejects.toThrow('Metrics are disabled');
  });

  it('uses prom-client’s default registry when none is given, and leaves it clean', async () => {
    const { metrics, events } = await start(true);
    events.runs.next({ check: 'db', status: 'pass', durationMs: 1 });
    expect(
      await sample(defaultRegistry, 'health_check_status', { check: 'db', status: 'pass' }),
    ).toBe(1);
    expect((await metrics.render()).contentType).toBe(defaultRegistry.contentType);
    metrics.onModuleDestroy();
    for (const name of NAMES) expect(defaultRegistry.getSingleMetric(name)).toBeUndefined();
  });

  describe('a shared registry', () => {
    it('reuses the metrics of another instance, and removes them when the last one stops', async () => {
      const registry = new Registry();
      const first = await start({ registry });
      const second = await start({ registry });
      first.events.runs.next({ check: 'a', status: 'pass', durationMs: 1 });
      second.events.runs.next({ check: 'b', status: 'fail', durationMs: 1 });
      expect(await sample(registry, 'health_check_status', { check: 'a', status: 'pass' })).toBe(1);
      expect(await sample(registry, 'health_check_status', { check: 'b', status: 'fail' })).toBe(1);

      first.metrics.onModuleDestroy();
      second.events.runs.next({ check: 'b', status: 'pass', durationMs: 1 });
      expect(await sample(registry, 'health_check_status', { check: 'b', status: 'pass' })).toBe(1);

      second.metrics.onModuleDestroy();
      expect(registry.getMetricsAsArray()).toEqual([]);
      const third = await start({ registry });
      expect(registry.getMetricsAsArray()).toHaveLength(4);
      third.metrics.onModuleDestroy();
    });

    it('reuses a metric the application registered itself, and leaves it there', async () => {
      const registry = new Registry();
      const own = new Gauge({
        name: 'health_probe_status',
        help: 'mine',
        labelNames: ['status', 'probe'],
        registers: [registry],
      });
      const { metrics, events } = await start({ registry });
      events.probes.next({ probe: 'ready', status: 'pass' });
      expect(
        await sample(registry, 'health_probe_status', { probe: 'ready', status: 'pass' }),
      ).toBe(1);
      metrics.onModuleDestroy();
      expect(registry.getMetricsAsArray().map((m) => m.name)).toEqual(['health_probe_status']);
      expect(registry.getSingleMetric('health_probe_status')).toBe(own);
    });

    it('fails start-up on a metric of the same name but another type, leaving nothing behind', async () => {
      const registry = new Registry();
      const theirs = new Counter({
        name: 'health_probe_status',
        help: 'theirs',
        registers: [registry],
      });
      const { metrics } = setup({ registry });
      await expect(metrics.onModuleInit()).rejects.toThrow(
        'The metrics registry already holds a metric "health_probe_status" that is not a gauge with the labels probe, status.',
      );
      expect(registry.getMetricsAsArray().map((m) => m.name)).toEqual(['health_probe_status']);
      expect(registry.getSingleMetric('health_probe_status')).toBe(theirs);
    });
  });

  describe('start-up errors', () => {
    it.each([
      ['an empty object', {}, 'an object'],
      ['a Map', new Map(), 'an object'],
      ['a string', 'default', '"default"'],
    ])('rejects %s as the registry', async (_, registry, shown) => {
      const { metrics } = setup({ registry });
      await expect(metrics.onModuleInit()).rejects.toThrow(
        `HealthModule option "metrics.registry" is ${shown}; it must be a prom-client Registry (an object with metrics(), contentType, getSingleMetric(), registerMetric() and removeSingleMetric()).`,
      );
    });

    it('says how to install prom-client when it is missing', async () => {
      class WithoutPeer extends HealthMetrics {
        protected override async loadPromClient(): Promise<PromClientLike | undefined> {
          return undefined;
        }
      }
      const { metrics } = setup({ registry: new Registry() }, [], WithoutPeer);
      await expect(metrics.onModuleInit()).rejects.toThrow(
        'HealthModule option "metrics" needs the "prom-client" package, which is not installed. Install it: npm install prom-client',
      );
    });
  });

  it('stops listening to the events when destroyed', async () => {
    const registry = new Registry();
    const { metrics, events } = await start({ registry });
    metrics.onModuleDestroy();
    expect(events.runs.observed).toBe(false);
    expect(events.probes.observed).toBe(false);
    expect(() => events.runs.next({ check: 'db', status: 'pass', durationMs: 1 })).not.toThrow();
  });

  it('is injected by Nest with the options, the events and the indicator registry', async () => {
    const registry = new Registry();
    const moduleRef = await Test.createTestingModule({
      providers: [
        HealthMetrics,
        HealthEvents,
        IndicatorRegistry,
        ReadinessState,
        {
          provide: RESOLVED_HEALTH_OPTIONS,
          useValue: resolveHealthOptions({ metrics: { registry } }),
        },
        { provide: HEALTH_LOGGER, useValue: silent },
      ],
    }).compile();
    await moduleRef.init();
    moduleRef.get(HealthEvents).runs.next({ check: 'db', status: 'warn', durationMs: 1 });
    expect(await sample(registry, 'health_check_status', { check: 'db', status: 'warn' })).toBe(1);
    await moduleRef.close();
    expect(registry.getMetricsAsArray()).toEqual([]);
  });
});
