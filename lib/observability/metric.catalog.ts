/**
 * @internal The module's metrics, once: their Prometheus names (prom-client, `metrics`) and their
 * OpenTelemetry names (`openTelemetry`), so that the two sets say the same things under names
 * each world expects. OpenTelemetry's are dotted, with units in UCUM and attributes namespaced
 * (there is no semantic convention for health yet); Prometheus' carry the unit in the name.
 */

/** @internal What kind of instrument a metric is, in both worlds. */
export type MetricKind = 'gauge' | 'counter' | 'histogram';

/** @internal One metric of the module. */
export interface MetricSpec {
  /** The Prometheus name (prom-client). */
  readonly prometheus: string;
  /** The OpenTelemetry name, under the `openTelemetry.prefix` when one is given. */
  readonly openTelemetry: string;
  readonly kind: MetricKind;
  /** UCUM, as OpenTelemetry takes it: `s`, or a count of `{things}`. */
  readonly unit: string;
  /** Prometheus label names; each maps to an OpenTelemetry attribute (`ATTRIBUTES`). */
  readonly labels: readonly Label[];
  readonly help: string;
  /** A histogram's bucket boundaries, in seconds. */
  readonly buckets?: readonly number[];
}

/** @internal The Prometheus labels of the module's metrics. */
export type Label = 'check' | 'critical' | 'status' | 'result' | 'probe';

/** @internal The OpenTelemetry attribute of each Prometheus label. */
export const ATTRIBUTES: Readonly<Record<Label, string>> = {
  check: 'health.check.name',
  critical: 'health.check.critical',
  status: 'health.status',
  result: 'health.status',
  probe: 'health.probe.name',
};

/** Seconds: from a cached answer (1 ms) to a check at a typical timeout's limit. */
const RUN_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];
/** Seconds: a stall is longer than `maxStallMs` (at least 0.5 s, 10 s by default). */
const STALL_BUCKETS = [1, 2.5, 5, 10, 15, 30, 60, 120, 300];

/** @internal Every metric of the module. */
export const METRICS = {
  checkStatus: {
    prometheus: 'health_check_status',
    openTelemetry: 'health.check.status',
    kind: 'gauge',
    unit: '{check}',
    labels: ['check', 'critical', 'status'],
    help: 'Status of each health check when read: 1 for its current status, 0 for the others.',
  },
  checkDuration: {
    prometheus: 'health_check_duration_seconds',
    openTelemetry: 'health.check.duration',
    kind: 'histogram',
    unit: 's',
    labels: ['check'],
    help: 'Duration of health check runs, in seconds.',
    buckets: RUN_BUCKETS,
  },
  checkRuns: {
    prometheus: 'health_check_runs_total',
    openTelemetry: 'health.check.runs',
    kind: 'counter',
    unit: '{run}',
    labels: ['check', 'result'],
    help: 'Health check runs, by result.',
  },
  checkTransitions: {
    prometheus: 'health_check_transitions_total',
    openTelemetry: 'health.check.transitions',
    kind: 'counter',
    unit: '{transition}',
    labels: ['check'],
    help: 'Changes of status of each health check (its first result is none).',
  },
  probeStatus: {
    prometheus: 'health_probe_status',
    openTelemetry: 'health.probe.status',
    kind: 'gauge',
    unit: '{probe}',
    labels: ['probe', 'status'],
    help: 'Status of each probe when read, as every transport answers it: 1 for it, 0 for the others.',
  },
  stallDuration: {
    prometheus: 'health_event_loop_stall_duration_seconds',
    openTelemetry: 'health.event_loop.stall.duration',
    kind: 'histogram',
    unit: 's',
    labels: [],
    help: 'Stalls of the main event loop longer than probeServer.maxStallMs, as the probe server saw them (liveness failed meanwhile), in seconds; recorded as each ends.',
    buckets: STALL_BUCKETS,
  },
} as const satisfies Record<string, MetricSpec>;

/** @internal A key of `METRICS`. */
export type MetricKey = keyof typeof METRICS;
