import {
  Inject,
  Injectable,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
  type OnModuleInit,
} from '@nestjs/common';
import type { Subscription } from 'rxjs';
import { RESOLVED_HEALTH_OPTIONS } from '../core/health.constants.js';
import { HealthEvents, type CheckRunEvent, type ProbeEvent } from './health.events.js';
import { describe } from '../core/health.messages.js';
import type { ResolvedHealthOptions } from '../options/health.options.js';
import type { HealthStatus } from '../interfaces/health-check.interface.js';
import { IndicatorRegistry } from '../core/indicator.registry.js';
import { isInstalled } from '../core/peers.js';

// Typed structurally: the public declarations must not import prom-client, an optional peer.
type Labels = Record<string, string>;
/** @internal The part of a prom-client `Registry` the module uses. */
export interface RegistryLike {
  metrics(): Promise<string>;
  readonly contentType: string;
  getSingleMetric(name: string): unknown;
  registerMetric(metric: never): void;
  removeSingleMetric(name: string): void;
}
interface Metric {
  set(labels: Labels, value: number): void;
  inc(labels: Labels, value?: number): void;
  observe(labels: Labels, value: number): void;
  zero(labels: Labels): void;
}
interface MetricConfig {
  name: string;
  help: string;
  labelNames: string[];
  /** `never`: a registry of ours is prom-client's own `Registry`, typed structurally. */
  registers: never[];
  buckets?: number[];
}
type MetricClass = new (config: MetricConfig) => Partial<Metric>;
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
  health_check_status: 'Status of each health check: 1 for its current status, 0 for the others.',
  health_check_duration_seconds: 'Duration of health check runs, in seconds.',
  health_check_runs_total: 'Health check runs, by result.',
  health_probe_status: 'Status of the last answer of each probe: 1 for it, 0 for the others.',
};
type Key = keyof typeof METRICS;

const metricsMessages = {
  peerMissing: `HealthModule option "metrics" needs the "${PEER}" package, which is not installed. Install it: npm install ${PEER}`,
  badRegistry: (got: unknown) =>
    `HealthModule option "metrics.registry" is ${describe(got)}; it must be a prom-client Registry (an object with metrics(), contentType, getSingleMetric(), registerMetric() and removeSingleMetric()).`,
  clash: (name: string, kind: Kind, labels: readonly string[]) =>
    `The metrics registry already holds a metric "${name}" that is not a ${kind} with the labels ${labels.join(', ')}. Remove it, or give HealthModule another registry (metrics: { registry }).`,
  disabled: 'Metrics are disabled: set the HealthModule option "metrics" to true or { registry }.',
};

/** Metrics created by this module, per registry, with how many instances use each. */
const owned = new WeakMap<object, Map<string, { metric: unknown; users: number }>>();

/**
 * @internal Prometheus metrics of the checks and probes, fed by `HealthEvents`, in the registry
 * of the `metrics` option (prom-client's default registry when none is given).
 */
@Injectable()
export class HealthMetrics implements OnModuleInit, OnApplicationBootstrap, OnModuleDestroy {
  private registry?: RegistryLike;
  private metrics?: Record<Key, Metric>;
  private readonly created: string[] = [];
  private readonly subscriptions: Subscription[] = [];
  /** Checks that have reported a run: their series are not reset to 0 at bootstrap. */
  private readonly seen = new Set<string>();

  constructor(
    @Inject(RESOLVED_HEALTH_OPTIONS) private readonly options: ResolvedHealthOptions,
    private readonly events: HealthEvents,
    private readonly indicators: IndicatorRegistry,
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
    const registry = (this.registry = given ?? lib.register);
    const classes = { gauge: lib.Gauge, counter: lib.Counter, histogram: lib.Histogram };
    try {
      const entries = Object.entries(METRICS).map(([key, { name, kind, labels }]) => {
        const metric = this.reuseOrCreate(registry, name, kind, labels, () => {
          const config = {
            name,
            help: HELP[name]!,
            labelNames: [...labels],
            registers: [registry as never],
          };
          return new classes[kind](kind === 'histogram' ? { ...config, buckets: BUCKETS } : config);
        });
        return [key, metric] as const;
      });
      this.metrics = Object.fromEntries(entries) as Record<Key, Metric>;
    } catch (error) {
      // Start-up fails: what was registered so far must not stay behind in a shared registry.
      this.release();
      throw error;
    }
    this.subscriptions.push(
      this.events.runs.subscribe((run) => this.recordRun(run)),
      this.events.probes.subscribe((probe) => this.recordProbe(probe)),
    );
  }

  /** Every discovered check gets its series at 0, so that they exist before its first run. */
  onApplicationBootstrap(): void {
    if (!this.metrics) return;
    const { checkStatus, checkDuration, checkRuns } = this.metrics;
    for (const { name: check } of this.indicators.all) {
      if (this.seen.has(check)) continue;
      for (const status of STATUSES) {
        checkStatus.set({ check, status }, 0);
        checkRuns.inc({ check, result: status }, 0);
      }
      checkDuration.zero({ check });
    }
  }

  onModuleDestroy(): void {
    for (const subscription of this.subscriptions.splice(0)) subscription.unsubscribe();
    this.release();
  }

  /** Removes the metrics this instance registered, once no other instance uses them. */
  private release(): void {
    const registry = this.registry;
    if (!registry) return;
    const mine = owned.get(registry);
    for (const name of this.created.splice(0)) {
      const entry = mine?.get(name);
      if (!entry || --entry.users > 0) continue;
      mine!.delete(name);
      // Unless someone replaced it meanwhile: then it is theirs.
      if (registry.getSingleMetric(name) === entry.metric) registry.removeSingleMetric(name);
    }
    this.registry = this.metrics = undefined;
  }

  /** The registry's exposition, as `GET <path>/metrics` serves it. */
  async render(): Promise<{ contentType: string; body: string }> {
    if (!this.registry) throw new Error(metricsMessages.disabled);
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }

  /** Loads the optional peer; `undefined` when it is not installed. Overridden by tests. */
  protected async loadPromClient(): Promise<PromClientLike | undefined> {
    if (!isInstalled(PEER)) return undefined;
    return await import('prom-client');
  }

  private recordRun({ check, status, durationMs }: CheckRunEvent): void {
    const { checkStatus, checkDuration, checkRuns } = this.metrics!;
    this.seen.add(check);
    for (const s of STATUSES) checkStatus.set({ check, status: s }, s === status ? 1 : 0);
    checkDuration.observe({ check }, durationMs / 1000);
    checkRuns.inc({ check, result: status });
  }

  private recordProbe({ probe, status }: ProbeEvent): void {
    const { probeStatus } = this.metrics!;
    for (const s of STATUSES) probeStatus.set({ probe, status: s }, s === status ? 1 : 0);
  }

  /** A metric of that name already in the registry (another app, a test) is shared, not redone. */
  private reuseOrCreate(
    registry: RegistryLike,
    name: string,
    kind: Kind,
    labels: readonly string[],
    create: () => unknown,
  ): Metric {
    const mine = owned.get(registry) ?? new Map<string, { metric: unknown; users: number }>();
    owned.set(registry, mine);
    const existing = registry.getSingleMetric(name);
    if (existing === undefined) {
      const metric = create();
      mine.set(name, { metric, users: 1 });
      this.created.push(name);
      return metric as Metric;
    }
    const { type, labelNames } = existing as { type?: unknown; labelNames?: unknown };
    const sameLabels =
      Array.isArray(labelNames) &&
      labelNames.length === labels.length &&
      labels.every((label) => labelNames.includes(label));
    if (type !== kind || !sameLabels) throw new Error(metricsMessages.clash(name, kind, labels));
    const entry = mine.get(name);
    if (entry?.metric === existing) {
      entry.users++;
      this.created.push(name);
    }
    return existing as Metric;
  }
}

function isRegistry(value: unknown): value is RegistryLike {
  if (typeof value !== 'object' || value === null) return false;
  const registry = value as Record<string, unknown>;
  return (
    typeof registry.contentType === 'string' &&
    REGISTRY_MEMBERS.every((member) => typeof registry[member] === 'function')
  );
}
