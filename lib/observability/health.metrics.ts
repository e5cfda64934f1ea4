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
import { describe } from '../core/health.messages.js';
import type { ResolvedHealthOptions } from '../options/health.options.js';
import type { HealthStatus } from '../interfaces/health-check.interface.js';
import { IndicatorRegistry } from '../core/indicator.registry.js';
import { isInstalled } from '../core/peers.js';
import { ProbeEvaluator } from '../core/probe.evaluator.js';
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
const STATUSES: readonly HealthStatus[] = ['pass', 'warn', 'fail'];
/** Seconds: from a cached answer (1 ms) to a check at a typical timeout's limit. */
const BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];
const REGISTRY_MEMBERS = ['metrics', 'getSingleMetric', 'registerMetric', 'removeSingleMetric'];

type Kind = 'gauge' | 'counter' | 'histogram';
const METRICS = {
  checkStatus: { name: 'health_check_status', kind: 'gauge', labels: ['check', 'status'] },
  checkDuration: { name: 'health_check_duration_seconds', kind: 'histogram', labels: ['check'] },
  checkRuns: { name: 'health_check_runs_total', kind: 'counter', labels: ['check', 'result'] },
  probeStatus: { name: 'health_probe_status', kind: 'gauge', labels: ['probe', 'status'] },
} as const satisfies Record<string, { name: string; kind: Kind; labels: readonly string[] }>;
const HELP: Record<string, string> = {
  health_check_status:
    'Status of each health check when scraped: 1 for its current status, 0 for the others.',
  health_check_duration_seconds: 'Duration of health check runs, in seconds.',
  health_check_runs_total: 'Health check runs, by result.',
  health_probe_status:
    'Status of each probe when scraped, as every transport answers it: 1 for it, 0 for the others.',
};
type Key = keyof typeof METRICS;

const metricsMessages = {
  peerMissing: `HealthModule option "metrics" needs the "${PEER}" package, which is not installed. Install it: npm install ${PEER}`,
  badRegistry: (got: unknown) =>
    `HealthModule option "metrics.registry" is ${describe(got)}; it must be a prom-client Registry (an object with metrics(), contentType, getSingleMetric(), registerMetric() and removeSingleMetric()).`,
  clash: (name: string, kind: Kind, labels: readonly string[]) =>
    `The metrics registry already holds a metric "${name}" that is not a ${kind} with the labels ${labels.join(', ')}. Remove it, or give HealthModule another registry (metrics: { registry }).`,
  notOurs: (name: string) =>
    `The metrics registry already holds a metric "${name}" that HealthModule did not create. Remove it, or give HealthModule another registry (metrics: { registry }).`,
  disabled: 'Metrics are disabled: set the HealthModule option "metrics" to true or { registry }.',
};

/**
 * @internal Prometheus metrics of the checks and probes, in the registry of the `metrics` option
 * (prom-client's default registry when none is given). The status gauges are read from the core
 * at each scrape; runs and durations are counted from `HealthEvents`. Each application's series
 * are its own, whoever else shares the registry (`metrics.tenancy.ts`).
 */
@Injectable()
export class HealthMetrics implements OnModuleInit, OnApplicationBootstrap, OnModuleDestroy {
  private registry?: RegistryLike;
  private metrics?: Record<Key, Metric>;
  private subscription?: Subscription;
  /** Checks that have reported a run: their series are not reset to 0 at bootstrap. */
  private readonly seen = new Set<string>();

  constructor(
    @Inject(RESOLVED_HEALTH_OPTIONS) private readonly options: ResolvedHealthOptions,
    private readonly events: HealthEvents,
    private readonly indicators: IndicatorRegistry,
    private readonly evaluator: ProbeEvaluator,
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
    for (const [key, metric] of Object.entries(metrics) as [Key, Metric][]) {
      const { name, kind, labels } = METRICS[key];
      const why = taken(registry, metric);
      if (why === 'other-shape') throw new Error(metricsMessages.clash(name, kind, labels));
      if (why === 'not-ours') throw new Error(metricsMessages.notOurs(name));
    }
    join(registry, Object.values(metrics));
    this.registry = registry;
    this.metrics = metrics;
    this.subscription = this.events.runs.subscribe((run) => this.recordRun(run));
  }

  /** Every discovered check gets its series at 0, so that they exist before its first run. */
  onApplicationBootstrap(): void {
    if (!this.metrics) return;
    const { checkDuration, checkRuns } = this.metrics;
    for (const { name: check } of this.indicators.all) {
      if (this.seen.has(check)) continue;
      for (const status of STATUSES) checkRuns.inc({ check, result: status }, 0);
      checkDuration.zero({ check });
    }
  }

  onModuleDestroy(): void {
    this.subscription?.unsubscribe();
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
  private create(lib: PromClientLike): Record<Key, Metric> {
    const classes = { gauge: lib.Gauge, counter: lib.Counter, histogram: lib.Histogram };
    const make = (key: Key, extra: Partial<MetricConfig> = {}) => {
      const { name, kind, labels } = METRICS[key];
      const config = { name, help: HELP[name]!, labelNames: [...labels], registers: [], ...extra };
      return new classes[kind](config) as Metric;
    };
    const checkStatus: Metric = make('checkStatus', {
      collect: () => this.collectChecks(checkStatus),
    });
    const probeStatus: Metric = make('probeStatus', {
      collect: () => this.collectProbes(probeStatus),
    });
    return {
      checkStatus,
      checkDuration: make('checkDuration', { buckets: BUCKETS }),
      checkRuns: make('checkRuns'),
      probeStatus,
    };
  }

  /** Each check's current status, as the probes read it (a stale background result fails). */
  private collectChecks(gauge: Metric): void {
    gauge.reset();
    const now = Date.now();
    for (const runner of this.indicators.all) {
      const status = runner.peek(now)?.status;
      setOneOf(gauge, { check: runner.name }, status);
    }
  }

  /**
   * Each probe's current status, as every transport answers it now (gates included), from the
   * results at hand: a scrape runs no check. None for a probe whose checks have no result yet.
   */
  private collectProbes(gauge: Metric): void {
    gauge.reset();
    for (const definition of this.indicators.probes) {
      const status = this.evaluator.peek(definition, { diagnostics: false })?.status;
      if (status !== undefined) setOneOf(gauge, { probe: definition.name }, status);
    }
  }

  private recordRun({ check, durationMs, status }: CheckRunEvent): void {
    const { checkDuration, checkRuns } = this.metrics!;
    this.seen.add(check);
    checkDuration.observe({ check }, durationMs / 1000);
    checkRuns.inc({ check, result: status });
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
