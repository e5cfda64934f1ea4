import { afterEach, describe, expect, it, jest } from '@jest/globals';
import type { LoggerService } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { Counter, Gauge, Registry, register as defaultRegistry } from 'prom-client';
import { HEALTH_LOGGER, RESOLVED_HEALTH_OPTIONS } from '../core/health.constants.js';
import { HealthEvents } from '../core/health.events.js';
import { EventLoopStalls } from './event-loop.stalls.js';
import { HealthMetrics, type PromClientLike } from './health.metrics.js';
import { resolveHealthOptions, resolveIndicatorOptions } from '../options/health.options.js';
import type { HealthModuleOptions } from '../interfaces/health-module-options.interface.js';
import type { HealthIndicatorOptions } from '../interfaces/health-indicator-options.interface.js';
import { IndicatorRegistry } from '../core/indicator.registry.js';
import { IndicatorRunner } from '../core/indicator.runner.js';
import { ProbeEvaluator } from '../core/probe.evaluator.js';
import { ProcessDiagnostics } from '../core/process.diagnostics.js';
import { Redactor } from '../core/redactor.js';
import { ReadinessState } from '../core/readiness.state.js';

const ignore = () => undefined;
const silent: LoggerService = { log: ignore, warn: ignore, error: ignore };

const NAMES = [
  'health_check_status',
  'health_check_duration_seconds',
  'health_check_runs_total',
  'health_probe_status',
  'health_check_transitions_total',
  'health_event_loop_stall_duration_seconds',
];

/** A check of the test: its options, and whether it fails now (switchable). */
type CheckSpec = HealthIndicatorOptions & { failing?: boolean };

interface Setup {
  metrics: HealthMetrics;
  events: HealthEvents;
  indicators: IndicatorRegistry;
  evaluator: ProbeEvaluator;
  state: ReadinessState;
  stalls: EventLoopStalls;
  /** Runs every check once, as a probe would. */
  runAll(): Promise<void>;
}

const started: HealthMetrics[] = [];

/** A HealthMetrics wired by hand, as the module wires it, with `checks` discovered. */
function setup(
  metrics: HealthModuleOptions['metrics'],
  checks: (string | CheckSpec)[] = [],
  Metrics: typeof HealthMetrics = HealthMetrics,
  more: HealthModuleOptions = {},
): Setup {
  const options = resolveHealthOptions({ metrics, logger: false, ...more });
  const state = new ReadinessState();
  state.bootstrapped = true;
  const events = new HealthEvents();
  const indicators = new IndicatorRegistry(options);
  for (const given of checks) {
    const switchable: CheckSpec = typeof given === 'string' ? { name: given } : given;
    const { failing: _, ...spec } = switchable;
    const check = () => {
      if (switchable.failing) throw new Error('connection refused');
    };
    const indicatorOptions = resolveIndicatorOptions('Test', spec, options);
    indicators.add(new IndicatorRunner(indicatorOptions, { check }, new Redactor(), events));
  }
  indicators.select();
  const evaluator = new ProbeEvaluator(indicators, options, new ProcessDiagnostics(), state);
  const stalls = new EventLoopStalls();
  const instance = new Metrics(options, events, indicators, evaluator, stalls);
  started.push(instance);
  const runAll = async () => {
    await Promise.all(indicators.all.map((runner) => runner.outcome({ retryFailure: true })));
  };
  return { metrics: instance, events, indicators, evaluator, state, stalls, runAll };
}

async function start(metrics: HealthModuleOptions['metrics'], checks: (string | CheckSpec)[] = []) {
  const result = setup(metrics, checks);
  await result.metrics.onModuleInit();
  result.metrics.onApplicationBootstrap();
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

/** The one-hot status of a series of a status gauge, as the registry shows it: `undefined` if none. */
async function statusOf(registry: Registry, name: string, labels: Record<string, string>) {
  const values = await Promise.all(
    ['pass', 'warn', 'fail'].map((status) => sample(registry, name, { ...labels, status })),
  );
  if (values.every((value) => value === undefined)) return undefined;
  return ['pass', 'warn', 'fail'][values.indexOf(1)] ?? 'none';
}

/** db (critical) failing, cache (not critical) passing. */
const failingDb = (): CheckSpec[] => [
  { name: 'db', failing: true },
  { name: 'cache', critical: false },
];

afterEach(() => {
  jest.useRealTimers();
  for (const instance of started.splice(0)) instance.onModuleDestroy();
});

describe('HealthMetrics', () => {
  it('registers six metrics in the given registry', async () => {
    const registry = new Registry();
    const { metrics } = await start({ registry });
    expect(metrics.enabled).toBe(true);
    const types = Object.fromEntries(registry.getMetricsAsArray().map((m) => [m.name, m.type]));
    expect(types).toEqual({
      health_check_status: 'gauge',
      health_check_duration_seconds: 'histogram',
      health_check_runs_total: 'counter',
      health_check_transitions_total: 'counter',
      health_probe_status: 'gauge',
      health_event_loop_stall_duration_seconds: 'histogram',
    });
  });

  it('labels each check’s status with whether it is critical', async () => {
    const registry = new Registry();
    const { runAll } = await start({ registry }, failingDb());
    await runAll();
    const status = (check: string, critical: string) =>
      statusOf(registry, 'health_check_status', { check, critical });
    expect([await status('db', 'true'), await status('cache', 'false')]).toEqual(['fail', 'pass']);
    expect([await status('db', 'false'), await status('cache', 'true')]).toEqual([
      undefined,
      undefined,
    ]);
  });

  it('counts the changes of status of each check, not its first result', async () => {
    const registry = new Registry();
    const { events, metrics } = setup({ registry }, ['db']);
    await metrics.onModuleInit();
    metrics.onApplicationBootstrap();
    const transitions = () => sample(registry, 'health_check_transitions_total', { check: 'db' });
    expect(await transitions()).toBe(0);
    const at = new Date().toISOString();
    events.changes.next({ check: 'db', from: 'unknown', to: 'pass', at });
    expect(await transitions()).toBe(0);
    events.changes.next({ check: 'db', from: 'pass', to: 'fail', at });
    events.changes.next({ check: 'db', from: 'fail', to: 'pass', at });
    expect(await transitions()).toBe(2);
  });

  it('records each stall of the event loop with its length, from 0 at start', async () => {
    const registry = new Registry();
    const { stalls } = await start({ registry });
    const stall = 'health_event_loop_stall_duration_seconds';
    expect(await sample(registry, `${stall}_count`, {})).toBe(0);
    stalls.stalled(12_345);
    expect(await sample(registry, `${stall}_count`, {})).toBe(1);
    expect(await sample(registry, `${stall}_sum`, {})).toBeCloseTo(12.345);
    expect(await sample(registry, `${stall}_bucket`, { le: '10' })).toBe(0);
    expect(await sample(registry, `${stall}_bucket`, { le: '15' })).toBe(1);
  });

  it('counts every run: duration histogram and runs counter', async () => {
    const registry = new Registry();
    const { events } = await start({ registry });
    events.runs.next({ check: 'db', status: 'fail', durationMs: 12 });
    events.runs.next({ check: 'db', status: 'pass', durationMs: 3 });
    const runs = (result: string) =>
      sample(registry, 'health_check_runs_total', { check: 'db', result });
    expect([await runs('pass'), await runs('fail')]).toEqual([1, 1]);
    const duration = 'health_check_duration_seconds';
    expect(await sample(registry, `${duration}_count`, { check: 'db' })).toBe(2);
    expect(await sample(registry, `${duration}_sum`, { check: 'db' })).toBeCloseTo(0.015);
    expect(await sample(registry, `${duration}_bucket`, { check: 'db', le: '0.005' })).toBe(1);
    expect(await sample(registry, `${duration}_bucket`, { check: 'db', le: '0.025' })).toBe(2);
  });

  it('shows each check’s latest result when scraped', async () => {
    const registry = new Registry();
    const spec: CheckSpec = { name: 'db', failing: true, cacheTtlMs: 0 };
    const { runAll } = await start({ registry }, [spec]);
    await runAll();
    expect(await statusOf(registry, 'health_check_status', { check: 'db' })).toBe('fail');
    spec.failing = false;
    await runAll();
    expect(await statusOf(registry, 'health_check_status', { check: 'db' })).toBe('pass');
  });

  it('shows a background result that has gone stale as failed, as the probes read it', async () => {
    jest.useFakeTimers({ now: Date.now() });
    const registry = new Registry();
    const { indicators } = await start({ registry }, [{ name: 'db', refreshIntervalMs: 1000 }]);
    const runner = indicators.get('db')!;
    runner.start();
    await jest.advanceTimersByTimeAsync(0);
    expect(await statusOf(registry, 'health_check_status', { check: 'db' })).toBe('pass');
    // Time passes and the schedule does not run: the result is 4 intervals old.
    jest.setSystemTime(Date.now() + 4000 + 1);
    expect(await statusOf(registry, 'health_check_status', { check: 'db' })).toBe('fail');
    runner.stop();
  });

  it('creates the series of every discovered check at 0 at bootstrap, not over a run', async () => {
    const registry = new Registry();
    const { metrics, events } = setup({ registry }, ['db', 'cache']);
    await metrics.onModuleInit();
    events.runs.next({ check: 'cache', status: 'warn', durationMs: 1 });
    metrics.onApplicationBootstrap();
    expect(await sample(registry, 'health_check_transitions_total', { check: 'db' })).toBe(0);
    for (const status of ['pass', 'warn', 'fail']) {
      expect(await sample(registry, 'health_check_status', { check: 'db', status })).toBe(0);
      expect(
        await sample(registry, 'health_check_runs_total', { check: 'db', result: status }),
      ).toBe(0);
    }
    expect(await sample(registry, 'health_check_duration_seconds_count', { check: 'db' })).toBe(0);
    expect(await sample(registry, 'health_check_duration_seconds_count', { check: 'cache' })).toBe(
      1,
    );
  });

  describe('the probe status gauge: each probe’s current status when scraped', () => {
    it('comes from the checks’ results, whether or not a probe was asked', async () => {
      const registry = new Registry();
      const { runAll } = await start({ registry }, failingDb());
      const probe = (name: string) => statusOf(registry, 'health_probe_status', { probe: name });
      // No result yet: no series for the probes that have checks; live has none to wait for.
      expect([await probe('ready'), await probe('deep'), await probe('live')]).toEqual([
        undefined,
        undefined,
        'pass',
      ]);
      await runAll();
      expect([await probe('ready'), await probe('deep'), await probe('live')]).toEqual([
        'fail',
        'fail',
        'pass',
      ]);
    });

    it('never shows a reading that excludes checks', async () => {
      const registry = new Registry();
      const { runAll, evaluator, indicators } = await start({ registry }, failingDb());
      await runAll();
      const filtered = await evaluator.evaluate(indicators.probe('ready')!, ['db']);
      expect(filtered.status).toBe('pass');
      expect(await statusOf(registry, 'health_probe_status', { probe: 'ready' })).toBe('fail');
    });

    it('follows start-up: ready fails while a startup check has not passed', async () => {
      const registry = new Registry();
      const warmup: CheckSpec = { name: 'warmup', probes: ['startup'], failing: true };
      const { runAll } = await start({ registry }, ['db', warmup]);
      await runAll();
      const probe = (name: string) => statusOf(registry, 'health_probe_status', { probe: name });
      expect([await probe('startup'), await probe('ready'), await probe('live')]).toEqual([
        'fail',
        'fail',
        'pass',
      ]);
      warmup.failing = false;
      await runAll();
      expect([await probe('startup'), await probe('ready')]).toEqual(['pass', 'pass']);
    });

    it('follows readiness at once: marked not ready, back in rotation, shutting down', async () => {
      const registry = new Registry();
      const { runAll, state } = await start({ registry }, ['db']);
      await runAll();
      const probe = (name: string) => statusOf(registry, 'health_probe_status', { probe: name });
      expect(await probe('ready')).toBe('pass');
      state.notReadyReason = 'maintenance';
      expect(await probe('ready')).toBe('fail');
      state.notReadyReason = undefined;
      expect(await probe('ready')).toBe('pass');
      state.shuttingDown = true;
      expect([await probe('ready'), await probe('live')]).toEqual(['fail', 'pass']);
    });

    it('reads no process diagnostics for the deep probe', async () => {
      const registry = new Registry();
      const { runAll, evaluator } = await start({ registry }, ['db']);
      await runAll();
      const read = jest.spyOn(
        (evaluator as unknown as { diagnostics: ProcessDiagnostics }).diagnostics,
        'read',
      );
      expect(await statusOf(registry, 'health_probe_status', { probe: 'deep' })).toBe('pass');
      expect(read).not.toHaveBeenCalled();
    });
  });

  it('renders the exposition with the registry content type', async () => {
    const registry = new Registry();
    const { metrics, events } = await start({ registry }, ['db']);
    events.runs.next({ check: 'db', status: 'pass', durationMs: 2 });
    const { contentType, body } = await metrics.render();
    expect(contentType).toBe(registry.contentType);
    expect(body).toBe(await registry.metrics());
    expect(body).toMatch(/^# TYPE health_check_status gauge$/m);
    expect(body).toMatch(/^health_check_runs_total\{check="db",result="pass"\} 1$/m);
  });

  it('renders an OpenMetrics registry as prom-client does, counters included', async () => {
    const registry = new Registry<typeof Registry.OPENMETRICS_CONTENT_TYPE>();
    registry.setContentType(Registry.OPENMETRICS_CONTENT_TYPE);
    const { metrics, events } = await start({ registry }, ['db']);
    events.runs.next({ check: 'db', status: 'pass', durationMs: 2 });
    const { contentType, body } = await metrics.render();
    expect(contentType).toBe(Registry.OPENMETRICS_CONTENT_TYPE);
    expect(body).toMatch(/^# TYPE health_check_runs counter$/m);
    expect(body).toMatch(/^health_check_runs_total\{check="db",result="pass"\} 1$/m);
    expect(body).not.toContain('_total_total');
    expect(body.endsWith('# EOF\n')).toBe(true);
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
      await sample(defaultRegistry, 'health_check_runs_total', { check: 'db', result: 'pass' }),
    ).toBe(1);
    expect((await metrics.render()).contentType).toBe(defaultRegistry.contentType);
    metrics.onModuleDestroy();
    for (const name of NAMES) expect(defaultRegistry.getSingleMetric(name)).toBeUndefined();
  });

  describe('a registry that holds metrics of these names already', () => {
    it('fails start-up on a metric of the same name it did not create, leaving it there', async () => {
      const registry = new Registry();
      const own = new Gauge({
        name: 'health_probe_status',
        help: 'mine',
        labelNames: ['status', 'probe'],
        registers: [registry],
      });
      const { metrics } = setup({ registry });
      await expect(metrics.onModuleInit()).rejects.toThrow(
        'The metrics registry already holds a metric "health_probe_status" that HealthModule did not create. Remove it, or give HealthModule another registry (metrics: { registry }).',
      );
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
    const { metrics, events, stalls } = await start({ registry });
    metrics.onModuleDestroy();
    expect([events.runs.observed, events.changes.observed, stalls.ended.observed]).toEqual([
      false,
      false,
      false,
    ]);
    expect(() => events.runs.next({ check: 'db', status: 'pass', durationMs: 1 })).not.toThrow();
  });

  it('is injected by Nest with the options, the events, the indicators, the evaluator and the stalls', async () => {
    const registry = new Registry();
    const moduleRef = await Test.createTestingModule({
      providers: [
        HealthMetrics,
        HealthEvents,
        EventLoopStalls,
        IndicatorRegistry,
        ProbeEvaluator,
        ProcessDiagnostics,
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
    expect(await sample(registry, 'health_check_runs_total', { check: 'db', result: 'warn' })).toBe(
      1,
    );
    await moduleRef.close();
    expect(registry.getMetricsAsArray()).toEqual([]);
  });
});
