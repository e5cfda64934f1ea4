import type { IndicatorProbe } from './health-check.interface.js';

/** Options of `@HealthIndicator()`. Only `name` is required. */
export interface HealthIndicatorOptions {
  /** Unique in the application; letters, digits, `.`, `_` and `-`. It names the check in reports. */
  name: string;
  /** A failing critical indicator fails the probe; a non-critical one only degrades it. Default `true`. */
  critical?: boolean;
  /** How long a run may take before it fails and its signal aborts. Default: the module's `defaultTimeoutMs`. */
  timeoutMs?: number;
  /** How long a result is reused; 0 runs it on every probe. Default: the module's `cacheTtlMs`. */
  cacheTtlMs?: number;
  /** The probes it belongs to. Default `['ready']`. `deep` runs every indicator regardless. */
  probes?: readonly IndicatorProbe[];
  /** The measurement half of the check's key (`<name>:<measurement>`). Default `'responseTime'`. */
  measurement?: string;
  /** Default `componentType` of its results: `'component'` (the default), `'datastore'`, `'system'` or a URI with a scheme. */
  componentType?: string;
  /** Runs it in the background every this many ms; probes read its latest result. Default: the module's `refreshIntervalMs`. */
  refreshIntervalMs?: number;
  /** Consecutive failures before it reports `fail`; it reports `warn` in between, to damp flapping. Default 1. */
  failureThreshold?: number;
}
