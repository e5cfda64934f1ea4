import { metrics } from '@opentelemetry/api';
import {
  AggregationTemporality,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
  type DataPoint,
  type Histogram,
  type MetricData,
} from '@opentelemetry/sdk-metrics';

/**
 * OpenTelemetry's real SDK, as an application sets it up, with an in-memory exporter: what the
 * module records is read back as any exporter (OTLP, Prometheus) would receive it.
 */
export class InMemoryMetrics {
  readonly exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
  /** Exports only when asked (`collect()`): an hour is never reached by a test. */
  readonly reader = new PeriodicExportingMetricReader({
    exporter: this.exporter,
    exportIntervalMillis: 3_600_000,
  });
  readonly provider = new MeterProvider({ readers: [this.reader] });

  /** Registers the provider as OpenTelemetry's global one, as the SDK's start does. */
  registerGlobally(): this {
    metrics.setGlobalMeterProvider(this.provider);
    return this;
  }

  /** Collects now, as an export would: every metric, by name. */
  async collect(): Promise<Map<string, MetricData>> {
    this.exporter.reset();
    await this.reader.forceFlush();
    const exported = this.exporter.getMetrics().at(-1);
    const all = exported?.scopeMetrics.flatMap((scope) => scope.metrics) ?? [];
    return new Map(all.map((metric) => [metric.descriptor.name, metric]));
  }

  async shutdown(): Promise<void> {
    metrics.disable();
    await this.provider.shutdown();
  }
}

/** The data points of a metric whose attributes include `attributes`. */
export function pointsOf<T = number>(
  metric: MetricData | undefined,
  attributes: Record<string, string | boolean> = {},
): DataPoint<T>[] {
  const points = (metric?.dataPoints ?? []) as DataPoint<T>[];
  return points.filter((point) =>
    Object.entries(attributes).every(([key, value]) => point.attributes[key] === value),
  );
}

/** The value of the one data point with those attributes; `undefined` when there is none. */
export function valueAt(
  metric: MetricData | undefined,
  attributes: Record<string, string | boolean>,
): number | undefined {
  const points = pointsOf(metric, attributes);
  if (points.length > 1)
    throw new Error(`${points.length} points at ${JSON.stringify(attributes)}`);
  return points[0]?.value;
}

/** The status a status gauge shows for the series with `attributes`: the one at 1. */
export function statusAt(
  metric: MetricData | undefined,
  attributes: Record<string, string | boolean>,
): unknown {
  const set = pointsOf(metric, attributes).filter((point) => point.value === 1);
  if (set.length > 1) throw new Error(`${set.length} statuses at 1: ${JSON.stringify(attributes)}`);
  return set[0]?.attributes['health.status'];
}

/** A histogram's data point with those attributes. */
export function histogramAt(
  metric: MetricData | undefined,
  attributes: Record<string, string | boolean> = {},
): Histogram | undefined {
  return pointsOf<Histogram>(metric, attributes)[0]?.value;
}
