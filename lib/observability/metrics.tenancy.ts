/**
 * Several applications in one process on one prom-client registry (its default one, or one given
 * to each), as end-to-end suites run them. A registry holds one metric per name, yet each
 * application's series must stay its own: each application has metrics of its own, registered
 * nowhere, and under each name the registry holds a `SharedMetric` that reads one of them: that
 * of the application rendering its own exposition at that moment, else that of the oldest one
 * still open. It leaves the registry with the last of them. With one application, the registry's
 * exposition is exactly that application's metrics.
 */

/**
 * Where a `SharedMetric` keeps its tenants. A global symbol, so that two copies of this module in
 * one process (the sources and `dist/`, two installs) share a registry too; versioned, so that a
 * copy that would read them differently sees someone else's metric instead.
 */
const TENANTS = Symbol.for('nestjs-probes.metrics.tenants.v1');

/** @internal The part of a prom-client `Registry` the module uses. */
export interface RegistryLike {
  metrics(): Promise<string>;
  readonly contentType: string;
  getSingleMetric(name: string): unknown;
  registerMetric(metric: never): void;
  removeSingleMetric(name: string): void;
}

/** @internal What a registry reads of a prom-client metric (all of prom-client's have it). */
export interface CollectedMetric {
  readonly name: string;
  readonly help: string;
  readonly type: string;
  readonly labelNames: readonly string[];
  get(): Promise<object>;
  /** A histogram's: what the text format is rendered from. */
  getForPromString?(): Promise<object>;
  reset(): void;
}

interface Tenants {
  /** Each application's metric of that name, oldest first. */
  readonly metrics: CollectedMetric[];
  /** The metric of the application whose exposition is being rendered, while values are read. */
  viewer?: CollectedMetric;
}

/** What the registry holds under one of the module's names, whichever application registered it. */
class SharedMetric {
  name: string;
  readonly help: string;
  readonly type: string;
  readonly labelNames: readonly string[];
  readonly [TENANTS]: Tenants;

  constructor(first: CollectedMetric) {
    this.name = first.name;
    this.help = first.help;
    this.type = first.type;
    this.labelNames = first.labelNames;
    this[TENANTS] = { metrics: [first] };
  }

  get(): Promise<object> {
    return this.read((metric) => metric.get());
  }

  getForPromString(): Promise<object> {
    return this.read((metric) => metric.getForPromString?.() ?? metric.get());
  }

  reset(): void {
    for (const metric of this[TENANTS].metrics) metric.reset();
  }

  /** Values of the metric read now, synchronously: the viewer is set only while they are. */
  private async read(values: (metric: CollectedMetric) => Promise<object>): Promise<object> {
    const { viewer, metrics } = this[TENANTS];
    const read = await values(viewer ?? metrics[0]!);
    // An OpenMetrics registry renames a counter by renaming what it holds: this one.
    return { ...read, name: this.name };
  }
}

function tenantsOf(held: unknown): Tenants | undefined {
  return (held as Partial<SharedMetric> | undefined)?.[TENANTS];
}

/** @internal Why a name of the module is not free in a registry; `undefined`: it is. */
export type Taken = 'other-shape' | 'not-ours';

/**
 * @internal Whether `metric` can join the registry: a name held by a metric of the module's
 * (another application's) of the same type and labels can; one held by anything else cannot.
 */
export function taken(registry: RegistryLike, metric: CollectedMetric): Taken | undefined {
  const held = registry.getSingleMetric(metric.name);
  if (held === undefined) return undefined;
  const { type, labelNames } = held as { type?: unknown; labelNames?: unknown };
  const labels = metric.labelNames;
  const sameLabels =
    Array.isArray(labelNames) &&
    labelNames.length === labels.length &&
    labels.every((label) => labelNames.includes(label));
  if (type !== metric.type || !sameLabels) return 'other-shape';
  return tenantsOf(held) === undefined ? 'not-ours' : undefined;
}

/** @internal Puts an application's metrics in the registry, each name free (see `taken()`). */
export function join(registry: RegistryLike, metrics: readonly CollectedMetric[]): void {
  for (const metric of metrics) {
    const tenants = tenantsOf(registry.getSingleMetric(metric.name));
    if (tenants) tenants.metrics.push(metric);
    else registry.registerMetric(new SharedMetric(metric) as never);
  }
}

/** @internal Takes an application's metrics out of the registry; the last one out removes the name. */
export function leave(registry: RegistryLike, metrics: readonly CollectedMetric[]): void {
  for (const metric of metrics) {
    const tenants = tenantsOf(registry.getSingleMetric(metric.name));
    const index = tenants?.metrics.indexOf(metric) ?? -1;
    if (index < 0) continue;
    tenants!.metrics.splice(index, 1);
    if (tenants!.metrics.length === 0) registry.removeSingleMetric(metric.name);
  }
}

/**
 * @internal The registry's exposition as one application shows it: everything the registry holds
 * (its other metrics, its default labels, its format), with this application's own series under
 * the module's names.
 */
export function renderAs(
  registry: RegistryLike,
  metrics: readonly CollectedMetric[],
): Promise<string> {
  const viewed = metrics.flatMap((metric) => {
    const tenants = tenantsOf(registry.getSingleMetric(metric.name));
    return tenants ? [{ tenants, metric }] : [];
  });
  for (const { tenants, metric } of viewed) tenants.viewer = metric;
  try {
    // metrics() asks every metric for its values as it is called, before it awaits anything.
    return registry.metrics();
  } finally {
    for (const { tenants } of viewed) tenants.viewer = undefined;
  }
}
