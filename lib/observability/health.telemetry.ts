import {
  Inject,
  Injectable,
  type LoggerService,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
  type OnModuleInit,
} from '@nestjs/common';
import { createRequire } from 'node:module';
import type { Subscription } from 'rxjs';
import { HEALTH_LOGGER, RESOLVED_HEALTH_OPTIONS } from '../core/health.constants.js';
import { HealthEvents } from '../core/health.events.js';
import { IndicatorRegistry } from '../core/indicator.registry.js';
import { isInstalled } from '../core/peers.js';
import { ProbeEvaluator } from '../core/probe.evaluator.js';
import type { ResolvedHealthOptions } from '../core/resolved-options.js';
import { EventLoopStalls } from './event-loop.stalls.js';
import { ATTRIBUTES, METRICS, type Label, type MetricKey } from './metric.catalog.js';
import { readChecks, readProbes, STATUSES } from './status.readings.js';

// Typed structurally: the public declarations must not import @opentelemetry/api, an optional peer.
type Attributes = Record<string, string | boolean>;
interface ObservableResult {
  observe(value: number, attributes?: Attributes): void;
}
type Callback = (result: ObservableResult) => void;
interface ObservableGauge {
  addCallback(callback: Callback): void;
  removeCallback(callback: Callback): void;
}
interface InstrumentOptions {
  description: string;
  unit: string;
  advice?: { explicitBucketBoundaries: number[] };
}
interface Meter {
  createObservableGauge(name: string, options: InstrumentOptions): ObservableGauge;
  createCounter(name: string, options: InstrumentOptions): { add(v: number, a: Attributes): void };
  createHistogram(
    name: string,
    options: InstrumentOptions,
  ): { record(v: number, a?: Attributes): void };
}
interface MeterProvider {
  getMeter(name: string, version?: string): Meter;
}
/** @internal The part of `@opentelemetry/api` the module uses. */
export interface OpenTelemetryApiLike {
  metrics: { getMeterProvider(): MeterProvider };
  /** The global no-op meter: what a provider gives while no SDK is registered. */
  createNoopMeter(): unknown;
}

const PEER = '@opentelemetry/api';
/** The instrumentation scope: `otel_scope_name` once exported to Prometheus. */
const SCOPE = 'nestjs-probes';

const telemetryMessages = {
  peerMissing: `HealthModule option "openTelemetry" needs the "${PEER}" package, which is not installed. Install it: npm install ${PEER}`,
  noProvider:
    'OpenTelemetry metrics are on, but no MeterProvider was registered when the application initialised: nothing will be recorded, even once one is (the metrics API has no proxy provider). Start the OpenTelemetry SDK before NestFactory.create(), or give HealthModule openTelemetry: { meterProvider }.',
};

/**
 * @internal The module's metrics on an OpenTelemetry `MeterProvider` (`openTelemetry` option),
 * the same as the Prometheus ones (`metric.catalog.ts`): the status gauges are asynchronous,
 * read from the core when the SDK collects, as a scrape reads them; runs, durations,
 * transitions and stalls are recorded as they happen. With no provider registered, the API's
 * no-op meter records nothing.
 */
@Injectable()
export class HealthTelemetry implements OnModuleInit, OnApplicationBootstrap, OnModuleDestroy {
  private readonly subscriptions: Subscription[] = [];
  private readonly callbacks: [ObservableGauge, Callback][] = [];
  private counters?: Record<'checkRuns' | 'checkTransitions', ReturnType<Meter['createCounter']>>;

  constructor(
    @Inject(RESOLVED_HEALTH_OPTIONS) private readonly options: ResolvedHealthOptions,
    @Inject(HEALTH_LOGGER) private readonly logger: LoggerService,
    private readonly events: HealthEvents,
    private readonly indicators: IndicatorRegistry,
    private readonly evaluator: ProbeEvaluator,
    private readonly stalls: EventLoopStalls,
  ) {}

  /**
   * Takes the meter now, as the application initialises: a provider registered later is never
   * seen (the API hands out no proxy), which is why the SDK must start before the application.
   */
  async onModuleInit(): Promise<void> {
    const settings = this.options.openTelemetry;
    if (settings === false) return;
    const api = await this.loadApi();
    if (!api) throw new Error(telemetryMessages.peerMissing);
    const provider = (settings.meterProvider ?? api.metrics.getMeterProvider()) as MeterProvider;
    const meter = provider.getMeter(SCOPE, ownVersion());
    if (meter === api.createNoopMeter()) this.logger.warn(telemetryMessages.noProvider);
    this.instrument(meter, settings.prefix);
  }

  /** Every discovered check gets its counters at 0, as the Prometheus ones. */
  onApplicationBootstrap(): void {
    if (!this.counters) return;
    const { checkRuns, checkTransitions } = this.counters;
    for (const { name: check } of this.indicators.all) {
      for (const status of STATUSES) checkRuns.add(0, attributes({ check, result: status }));
      checkTransitions.add(0, attributes({ check }));
    }
  }

  onModuleDestroy(): void {
    for (const subscription of this.subscriptions.splice(0)) subscription.unsubscribe();
    for (const [gauge, callback] of this.callbacks.splice(0)) gauge.removeCallback(callback);
    this.counters = undefined;
  }

  /** Loads the optional peer; `undefined` when it is not installed. Overridden by tests. */
  protected async loadApi(): Promise<OpenTelemetryApiLike | undefined> {
    if (!isInstalled(PEER)) return undefined;
    return await import('@opentelemetry/api');
  }

  private instrument(meter: Meter, prefix: string): void {
    const name = (key: MetricKey) => (prefix ? `${prefix}.` : '') + METRICS[key].openTelemetry;
    const histogram = (key: MetricKey) => meter.createHistogram(name(key), instrumentOptions(key));
    const counter = (key: MetricKey) => meter.createCounter(name(key), instrumentOptions(key));
    const observe = (key: MetricKey, callback: Callback) => {
      const gauge = meter.createObservableGauge(name(key), instrumentOptions(key));
      gauge.addCallback(callback);
      this.callbacks.push([gauge, callback]);
    };
    observe('checkStatus', (result) => {
      for (const { check, critical, status } of readChecks(this.indicators)) {
        observeOneOf(result, { check, critical }, status);
      }
    });
    observe('probeStatus', (result) => {
      for (const { probe, status } of readProbes(this.indicators, this.evaluator)) {
        observeOneOf(result, { probe }, status);
      }
    });
    const [duration, stalls] = [histogram('checkDuration'), histogram('stallDuration')];
    const [runs, transitions] = [counter('checkRuns'), counter('checkTransitions')];
    this.counters = { checkRuns: runs, checkTransitions: transitions };
    this.subscriptions.push(
      this.events.runs.subscribe(({ check, durationMs, status }) => {
        duration.record(durationMs / 1000, attributes({ check }));
        runs.add(1, attributes({ check, result: status }));
      }),
      this.events.changes.subscribe(({ check, from }) => {
        if (from !== 'unknown') transitions.add(1, attributes({ check }));
      }),
      this.stalls.ended.subscribe((ms) => stalls.record(ms / 1000)),
    );
  }
}

/** What an instrument is created with: its description, unit and buckets (`metric.catalog.ts`). */
function instrumentOptions(key: MetricKey): InstrumentOptions {
  const spec = METRICS[key];
  const buckets = 'buckets' in spec ? [...spec.buckets] : undefined;
  return {
    description: spec.help,
    unit: spec.unit,
    ...(buckets && { advice: { explicitBucketBoundaries: buckets } }),
  };
}

/** The OpenTelemetry attributes of Prometheus labels (`ATTRIBUTES`). */
function attributes(labels: Partial<Record<Label, string | boolean>>): Attributes {
  const named: Attributes = {};
  for (const [label, value] of Object.entries(labels) as [Label, string | boolean][]) {
    named[ATTRIBUTES[label]] = value;
  }
  return named;
}

/** 1 for `status`, 0 for the others (all 0 while there is none), as the Prometheus gauges. */
function observeOneOf(
  result: ObservableResult,
  labels: Partial<Record<Label, string | boolean>>,
  status: string | undefined,
): void {
  for (const s of STATUSES)
    result.observe(s === status ? 1 : 0, attributes({ ...labels, status: s }));
}

/** The package's version, as the instrumentation scope's; `undefined` if it cannot be read. */
function ownVersion(): string | undefined {
  try {
    // From lib/observability/ (sources) and dist/observability/ (built) alike.
    const manifest = createRequire(import.meta.url)('../../package.json') as { version?: unknown };
    return typeof manifest.version === 'string' ? manifest.version : undefined;
  } catch {
    return undefined;
  }
}
