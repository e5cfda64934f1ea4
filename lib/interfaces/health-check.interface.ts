/** The status of a check or a probe, as in draft-inadarei-api-health-check. */
export type HealthStatus = 'pass' | 'warn' | 'fail';

/** The probes an indicator can belong to. `deep` runs every indicator whatever its probes. */
export type IndicatorProbe = 'startup' | 'ready' | 'deep';

/** Every probe the module serves. `live` runs no indicator. */
export type ProbeName = 'live' | IndicatorProbe;

/** The standard component types of the health+json format; a URI is allowed too. */
export type ComponentType = 'component' | 'datastore' | 'system' | (string & {});

/**
 * What a `check()` may resolve with to say more than "it passed".
 * Every field is optional; resolving with nothing means pass.
 */
export interface CheckResult {
  /** `'warn'`: degraded but working. `'fail'` fails the check without throwing. Default `'pass'`. */
  status?: HealthStatus;
  /** What the check measured (latency, free bytes...). Default: the run's duration in ms. */
  observedValue?: number | string | boolean;
  /** The unit of `observedValue` (`ms`, `bytes`, `percent`...). */
  observedUnit?: string;
  /** `datastore`, `system`, `component` or a URI. Default `'component'`. */
  componentType?: ComponentType;
  /** A human-readable note, shown for `warn` and `fail`. */
  output?: string;
  /** Free-form extra information (any object); made JSON-safe, redacted and bounded before it is served. */
  details?: object;
}

/** The contract of a class decorated with `@HealthIndicator()`. */
export interface HealthCheck {
  /**
   * Resolve to pass, throw or reject to fail. The signal aborts when the check's timeout
   * elapses: pass it on to the client call so the work stops too.
   */
  check(signal: AbortSignal): Promise<CheckResult | void> | CheckResult | void;
}

/** One check's entry in a report: an element of a `checks` array in health+json. */
export interface CheckReport {
  componentId: string;
  componentType: ComponentType;
  status: HealthStatus;
  observedValue?: number | string | boolean;
  observedUnit?: string;
  /** ISO 8601: when the value was observed, which shows the age of a cached result. */
  time: string;
  /** Present on a check no one declared: made for a client found by `autoIndicators`. */
  autoDiscovered?: true;
  output?: string;
  details?: Record<string, unknown>;
}

/** A probe's answer, served as `application/health+json`. */
export interface HealthReport {
  status: HealthStatus;
  version?: string;
  releaseId?: string;
  serviceId?: string;
  description?: string;
  output?: string;
  /** Remarks about the answer itself, such as an `?exclude=` name that matched no check. */
  notes?: string[];
  /** Keyed `<name>:<measurement>`, for example `database:responseTime`. */
  checks?: Record<string, CheckReport[]>;
}

/**
 * Who sees what on a probe route. `public`: everyone gets the whole report. `status`: everyone
 * gets the status code and `status`; only internal callers get the rest. `internal`: only
 * internal callers get an answer; everyone else is denied (`deniedStatus`).
 */
export type ProbeAccess = 'public' | 'status' | 'internal';

/** A health group: the checks it answers for, and who may read it. */
export interface HealthGroupOptions {
  /** The names of its checks (`@HealthIndicator({ name })`). Required, at least one. */
  include: readonly string[];
  /** Who sees what, as for the probes. Default `'status'`. */
  access?: ProbeAccess;
  /**
   * Answers 503 while the application is starting, shutting down or marked not ready, as
   * readiness does. Default `false`: a group tells what its checks say, whatever the lifecycle.
   */
  readinessGates?: boolean;
}
