import {
  Inject,
  Injectable,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
  type OnModuleInit,
} from '@nestjs/common';
import type { Subscription } from 'rxjs';
import { RESOLVED_HEALTH_OPTIONS } from '../core/health.constants.js';
import { HealthEvents, type CheckRunEvent } from '../core/health.events.js';
import { EventLoopStalls } from './event-loop.stalls.js';
import { describe } from '../core/health.messages.js';
import type { ResolvedHealthOptions } from '../options/health.options.js';
import type { HealthStatus } from '../interfaces/health-check.interface.js';
import { IndicatorRegistry } from '../core/indicator.registry.js';
import { isInstalled } from '../core/peers.js';
import { ProbeEvaluator } from '../core/probe.evaluator.js';
import { METRICS, type MetricKey, type MetricKind, type MetricSpec } from './metric.catalog.js';
import { readChecks, readProbes, STATUSES } from './status.readings.js';
import {
  join,
  leave,
  renderAs,
  taken,
  type CollectedMetric,
  type RegistryLike,
} from './metrics.tenancy.js';

// Typed structurally: the public declarations must not import prom-client, an optional peer.
type Labels = Record<string, string>;
interface Metric extends CollectedMetric {
  set(labels: Labels, value: number): void;
  inc(labels: Labels, value?: number): void;
  observe(labels: Labels, value: number): void;
  zero(labels: Labels): void;
}
interface MetricConfig {
  name: string;
  help: string;
  labelNames: string[];
  /** None: the registry holds what reads them (`metrics.tenancy.ts`). */
  registers: never[];
  buckets?: number[];
  /** Called by prom-client as the metric is read: at every scrape. */
  collect?: () => void;
}
type MetricClass = new (config: MetricConfig) => object;
/** @internal The part of the `prom-client` module the module uses. */
export interface PromClientLike {
  register: RegistryLike;
  Gauge: MetricClass;
  Counter: MetricClass;
  Histogram: MetricClass;
}

const PEER = 'prom-client';
const REGISTRY_MEMBERS = ['metrics', 'getSingleMetric', 'registerMetric', 'removeSingleMetric'];

const metricsMessages = {
  peerMissing: `HealthModule option "metrics" needs the "${PEER}" package, which is not installed. Install it: npm install ${PEER}`,
  badRegistry: (got: unknown) =>
    `HealthModule option "metrics.registry" is ${describe(got)}; it must be a prom-client Registry (an object with metrics(), contentType, getSingleMetric(), registerMetric() and removeSingleMetric()).`,
  clash: (name: string, kind: MetricKind, labels: readonly string[]) =>
    `The metrics registry already holds a metric "${name}" that is not a ${kind} with the labels ${labels.join(', ')}. Remove it, or give HealthModule another registry (metrics: { registry }).`,
  notOurs: (name: string) =>
    `The metrics registry already holds a metric "${name}" that HealthModule did not create. Remove it, or give HealthModule another registry (metrics: { registry }).`,
  disabled: 'Metrics are disabled: set the HealthModule option "metrics" to true or { registry }.',
};

/**
 * @internal Prometheus metrics of the checks and probes, in the registry of the `metrics` option
 * (prom-client's default registry when none is given). The status gauges are read from the core
 * at each scrape; runs, durations, transitions and stalls are counted as they happen. Each
 * application's series are its own, whoever else shares the registry (`metrics.tenancy.ts`).
 */
@Injectable()
export class HealthMetrics implements OnModuleInit, OnApplicationBootstrap, OnModuleDestroy {
  private registry?: RegistryLike;
  private metrics?: Record<MetricKey, Metric>;
  private readonly subscriptions: Subscription[] = [];
  /** Checks that have reported a run: their series are not reset to 0 at bootstrap. */
  private readonly seen = new Set<string>();

  constructor(
    @Inject(RESOLVED_HEALTH_OPTIONS) private readonly options: ResolvedHealthOptions,
    private readonly events: HealthEvents,
    private readonly indicators: IndicatorRegistry,
    private readonly evaluator: ProbeEvaluator,
    private readonly stalls: EventLoopStalls,
  ) {}

  /** Whether the `metrics` option is on. */
  get enabled(): boolean {
    return this.options.metrics !== false;
  }

  async onModuleInit(): Promise<void> {
    if (this.options.metrics === false) return;
    const given = this.options.metrics.registry;
    if (given !== undefined && !isRegistry(given)) {
      throw new Error(metricsMessages.badRegistry(given));
    }
    const lib = await this.loadPromClient();
    if (!lib) throw new Error(metricsMessages.peerMissing);
    const registry = given ?? lib.register;
    const metrics = this.create(lib);
    // Every name is checked before any is registered: a start-up that fails leaves nothing behind.
    for (const [key, metric] of Object.entries(metrics) as [MetricKey, Metric][]) {
      const { prometheus: name, kind, labels } = METRICS[key];
      const why = taken(registry, metric);
      if (why === 'other-shape') throw new Error(metricsMessages.clash(name, kind, labels));
      if (why === 'not-ours') throw new Error(metricsMessages.notOurs(name));
    }
    join(registry, Object.values(metrics));
    this.registry = registry;
    this.metrics = metrics;
    this.follow(metrics);
  }

  /** Every discovered check gets its series at 0, so that they exist before its first run. */
  onApplicationBootstrap(): void {
    if (!this.metrics) return;
    const { checkDuration, checkRuns, checkTransitions } = this.metrics;
    for (const { name: check } of this.indicators.all) {
      if (this.seen.has(check)) continue;
      for (const status of STATUSES) checkRuns.inc({ check, result: status }, 0);
      checkTransitions.inc({ check }, 0);
      checkDuration.zero({ check });
    }
  }

  onModuleDestroy(): void {
    for (const subscription of this.subscriptions.splice(0)) subscription.unsubscribe();
    if (this.registry && this.metrics) leave(this.registry, Object.values(this.metrics));
    this.registry = this.metrics = undefined;
  }

  /** The registry's exposition with this application's series, as `GET <path>/metrics` serves it. */
  async render(): Promise<{ contentType: string; body: string }> {
    if (!this.registry || !this.metrics) throw new Error(metricsMessages.disabled);
    const body = await renderAs(this.registry, Object.values(this.metrics));
    return { contentType: this.registry.contentType, body };
  }

  /** Loads the optional peer; `undefined` when it is not installed. Overridden by tests. */
  protected async loadPromClient(): Promise<PromClientLike | undefined> {
    if (!isInstalled(PEER)) return undefined;
    return await import('prom-client');
  }

  /** This application's metrics, registered nowhere. */
  private create(lib: PromClientLike): Record<MetricKey, Metric> {
    const classes = { gauge: lib.Gauge, counter: lib.Counter, histogram: lib.Histogram };
    const make = (key: MetricKey, collect?: (self: Metric) => void): Metric => {
      const spec: MetricSpec = METRICS[key];
      const { prometheus: name, kind, help, labels, buckets } = spec;
      const config: MetricConfig = { name, help, labelNames: [...labels], registers: [] };
      if (buckets) config.buckets = [...buckets];
      const metric = new classes[kind]({
        ...config,
        ...(collect && { collect: () => collect(metric) }),
      }) as Metric;
      return metric;
    };
    return {
      checkStatus: make('checkStatus', (gauge) => this.collectChecks(gauge)),
      checkDuration: make('checkDuration'),
      checkRuns: make('checkRuns'),
      checkTransitions: make('checkTransitions'),
      probeStatus: make('probeStatus', (gauge) => this.collectProbes(gauge)),
      stallDuration: make('stallDuration'),
    };
  }

  /** Counts what happens, as it happens: runs, changes of status, stalls. */
  private follow(metrics: Record<MetricKey, Metric>): void {
    const { checkDuration, checkRuns, checkTransitions, stallDuration } = metrics;
    this.subscriptions.push(
      this.events.runs.subscribe(({ check, durationMs, status }: CheckRunEvent) => {
        this.seen.add(check);
        checkDuration.observe({ check }, durationMs / 1000);
        checkRuns.inc({ check, result: status });
      }),
      this.events.changes.subscribe(({ check, from }) => {
        if (from !== 'unknown') checkTransitions.inc({ check });
      }),
      this.stalls.ended.subscribe((ms) => stallDuration.observe({}, ms / 1000)),
    );
  }

  /** Each check's current status, as the probes read it (a stale background result fails). */
  private collectChecks(gauge: Metric): void {
    gauge.reset();
    for (const { check, critical, status } of readChecks(this.indicators)) {
      setOneOf(gauge, { check, critical: String(critical) }, status);
    }
  }

  /** Each probe's current status, as every transport answers it now (a scrape runs no check). */
  private collectProbes(gauge: Metric): void {
    gauge.reset();
    for (const { probe, status } of readProbes(this.indicators, this.evaluator)) {
      setOneOf(gauge, { probe }, status);
    }
  }
}

/** 1 for `status`, 0 for the others (all 0 while there is none). */
function setOneOf(gauge: Metric, labels: Labels, status: HealthStatus | undefined): void {
  for (const s of STATUSES) gauge.set({ ...labels, status: s }, s === status ? 1 : 0);
}

function isRegistry(value: unknown): value is RegistryLike {
  if (typeof value !== 'object' || value === null) return false;
  const registry = value as Record<string, unknown>;
  return (
    typeof registry.contentType === 'string' &&
    REGISTRY_MEMBERS.every((member) => typeof registry[member] === 'function')
  );
}
