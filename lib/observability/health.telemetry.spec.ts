import { afterEach, describe, expect, it } from '@jest/globals';
import {
  AggregationTemporality,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
  type Histogram,
} from '@opentelemetry/sdk-metrics';
import { HealthEvents } from '../core/health.events.js';
import { IndicatorRegistry } from '../core/indicator.registry.js';
import { IndicatorRunner } from '../core/indicator.runner.js';
import { ProbeEvaluator } from '../core/probe.evaluator.js';
import { ProcessDiagnostics } from '../core/process.diagnostics.js';
import { ReadinessState } from '../core/readiness.state.js';
import { Redactor } from '../core/redactor.js';
import type { HealthModuleOptions } from '../interfaces/health-module-options.interface.js';
import { resolveHealthOptions, resolveIndicatorOptions } from '../options/health.options.js';
import { EventLoopStalls } from './event-loop.stalls.js';
import { HealthTelemetry, type OpenTelemetryApiLike } from './health.telemetry.js';

const ignore = () => undefined;
const silent = { log: ignore, warn: ignore, error: ignore };
const started: HealthTelemetry[] = [];

afterEach(() => {
  for (const telemetry of started.splice(0)) telemetry.onModuleDestroy();
});

/** A HealthTelemetry wired by hand, as the module wires it, with a check `db`. */
function setup(
  openTelemetry: HealthModuleOptions['openTelemetry'],
  Telemetry: typeof HealthTelemetry = HealthTelemetry,
) {
  const options = resolveHealthOptions({ openTelemetry, logger: false });
  const events = new HealthEvents();
  const indicators = new IndicatorRegistry(options);
  const runnerOptions = resolveIndicatorOptions('Test', { name: 'db' }, options);
  indicators.add(new IndicatorRunner(runnerOptions, { check: ignore }, new Redactor(), events));
  indicators.select();
  const state = new ReadinessState();
  const evaluator = new ProbeEvaluator(indicators, options, new ProcessDiagnostics(), state);
  const stalls = new EventLoopStalls();
  const telemetry = new Telemetry(options, silent, events, indicators, evaluator, stalls);
  started.push(telemetry);
  return { telemetry, events, stalls };
}

/** The real SDK, read through an in-memory exporter. */
function sdk() {
  const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
  const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 });
  const provider = new MeterProvider({ readers: [reader] });
  const collect = async () => {
    exporter.reset();
    await reader.forceFlush();
    const metrics =
      exporter
        .getMetrics()
        .at(-1)
        ?.scopeMetrics.flatMap((s) => s.metrics) ?? [];
    return new Map(metrics.map((metric) => [metric.descriptor.name, metric]));
  };
  return { provider, collect };
}

/** A meter provider that keeps what the module asks of it. */
function fakeProvider() {
  const added: unknown[] = [];
  const removed: unknown[] = [];
  const gauge = {
    addCallback: (callback: unknown) => added.push(callback),
    removeCallback: (callback: unknown) => removed.push(callback),
  };
  const meter = {
    createObservableGauge: () => gauge,
    createCounter: () => ({ add: ignore }),
    createHistogram: () => ({ record: ignore }),
  };
  return { provider: { getMeter: () => meter }, added, removed };
}

describe('HealthTelemetry', () => {
  it('records each stall of the event loop with its length in seconds, once it has ended', async () => {
    const { provider, collect } = sdk();
    const { telemetry, stalls } = setup({ meterProvider: provider });
    await telemetry.onModuleInit();
    expect((await collect()).get('health.event_loop.stall.duration')?.dataPoints ?? []).toEqual([]);
    stalls.stalled(12_345);
    const stall = (await collect()).get('health.event_loop.stall.duration');
    expect(stall?.descriptor.unit).toBe('s');
    const histogram = stall?.dataPoints[0]?.value as Histogram;
    expect([histogram.count, histogram.sum]).toEqual([1, 12.345]);
    expect(histogram.buckets.boundaries).toEqual([1, 2.5, 5, 10, 15, 30, 60, 120, 300]);
    await provider.shutdown();
  });

  it('stops reading the core and listening to events when the application closes', async () => {
    const { provider, added, removed } = fakeProvider();
    const { telemetry, events, stalls } = setup({ meterProvider: provider });
    await telemetry.onModuleInit();
    expect(added).toHaveLength(2);
    expect([events.runs.observed, events.changes.observed, stalls.ended.observed]).toEqual([
      true,
      true,
      true,
    ]);
    telemetry.onModuleDestroy();
    expect(removed).toEqual(added);
    expect([events.runs.observed, events.changes.observed, stalls.ended.observed]).toEqual([
      false,
      false,
      false,
    ]);
  });

  it('does nothing when disabled, and never loads @opentelemetry/api', async () => {
    let loads = 0;
    class Spy extends HealthTelemetry {
      protected override async loadApi() {
        loads++;
        return undefined;
      }
    }
    const { telemetry, events } = setup(false, Spy);
    await telemetry.onModuleInit();
    telemetry.onApplicationBootstrap();
    expect([loads, events.runs.observed]).toEqual([0, false]);
  });

  it('says how to install @opentelemetry/api when it is missing', async () => {
    class WithoutPeer extends HealthTelemetry {
      protected override async loadApi(): Promise<OpenTelemetryApiLike | undefined> {
        return undefined;
      }
    }
    const { telemetry } = setup(true, WithoutPeer);
    await expect(telemetry.onModuleInit()).rejects.toThrow(
      'HealthModule option "openTelemetry" needs the "@opentelemetry/api" package, which is not installed. Install it: npm install @opentelemetry/api',
    );
  });
});
