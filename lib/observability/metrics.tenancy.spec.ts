import { describe, expect, it } from '@jest/globals';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { join, leave, renderAs, taken, type CollectedMetric } from './metrics.tenancy.js';

/** One application's metrics, registered nowhere, as HealthMetrics makes them. */
function application(check: string, status: number) {
  const gauge = new Gauge({ name: 'g', help: 'g', labelNames: ['check'], registers: [] });
  const runs = new Counter({ name: 'runs_total', help: 'r', labelNames: ['check'], registers: [] });
  const durations = new Histogram({
    name: 'd_seconds',
    help: 'd',
    labelNames: ['check'],
    buckets: [1],
    registers: [],
  });
  gauge.set({ check }, status);
  runs.inc({ check });
  durations.observe({ check }, 0.5);
  return [gauge, runs, durations] as unknown as CollectedMetric[];
}

/** A registry holding `held`, which the module did not make. */
function holding(held: Gauge | Counter): Registry {
  const registry = new Registry();
  registry.registerMetric(held);
  return registry;
}

/** The sample lines of an exposition. */
const samples = (text: string) => text.split('\n').filter((line) => /^[a-z]/.test(line));

describe('a registry shared by several applications', () => {
  it('renders each application’s own series, and the oldest’s to an outside reader', async () => {
    const registry = new Registry();
    const [a, b] = [application('a', 1), application('b', 0)];
    join(registry, a);
    join(registry, b);
    expect(registry.getMetricsAsArray().map((m) => m.name)).toEqual([
      'g',
      'runs_total',
      'd_seconds',
    ]);
    expect(samples(await renderAs(registry, a))).toEqual([
      'g{check="a"} 1',
      'runs_total{check="a"} 1',
      'd_seconds_bucket{le="1",check="a"} 1',
      'd_seconds_bucket{le="+Inf",check="a"} 1',
      'd_seconds_sum{check="a"} 0.5',
      'd_seconds_count{check="a"} 1',
    ]);
    expect(samples(await renderAs(registry, b))).toContain('g{check="b"} 0');
    expect((await renderAs(registry, b)).includes('"a"')).toBe(false);
    expect(await registry.metrics()).toBe(await renderAs(registry, a));
  });

  it('renders exactly what prom-client would with that application’s metrics registered', async () => {
    const registry = new Registry();
    const reference = new Registry();
    const before = new Gauge({ name: 'before', help: 'x', registers: [] });
    const after = new Gauge({ name: 'after', help: 'x', registers: [] });
    before.set(1);
    after.set(2);
    const b = application('b', 0);
    for (const shown of [registry, reference]) shown.setDefaultLabels({ pod: 'p1' });
    registry.registerMetric(before);
    join(registry, application('a', 1));
    join(registry, b);
    registry.registerMetric(after);
    for (const metric of [before, ...b, after]) reference.registerMetric(metric as never);
    const text = await renderAs(registry, b);
    expect(text).toBe(await reference.metrics());
    expect(samples(text)).toContain('g{check="b",pod="p1"} 0');
  });

  it.each([
    ['the first', 0],
    ['the second', 1],
  ])(
    'keeps the other’s series when %s leaves, and the last one out frees the names',
    async (_, out) => {
      const registry = new Registry();
      const apps = [application('a', 1), application('b', 0)];
      for (const app of apps) join(registry, app);
      const staying = apps[1 - out]!;
      const before = await renderAs(registry, staying);
      leave(registry, apps[out]!);
      expect(await renderAs(registry, staying)).toBe(before);
      expect(await registry.metrics()).toBe(before);
      leave(registry, staying);
      expect(registry.getMetricsAsArray()).toEqual([]);
    },
  );

  it('tells a name held by another application’s metric from one held by something else', () => {
    const registry = new Registry();
    const [gauge] = application('a', 1);
    expect(taken(registry, gauge!)).toBeUndefined();
    join(registry, [gauge!]);
    expect(taken(registry, application('b', 0)[0]!)).toBeUndefined();
    const config = { name: 'g', help: 'theirs', registers: [] };
    expect(taken(holding(new Gauge({ ...config, labelNames: ['check'] })), gauge!)).toBe(
      'not-ours',
    );
    expect(taken(holding(new Counter({ ...config, labelNames: ['check'] })), gauge!)).toBe(
      'other-shape',
    );
    expect(taken(holding(new Gauge({ ...config, labelNames: ['probe'] })), gauge!)).toBe(
      'other-shape',
    );
  });
});
