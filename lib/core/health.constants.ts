/** @internal Defaults of every module option, merged in one place (`resolveHealthOptions`). */
export const DEFAULT_MODULE_OPTIONS = {
  path: 'health',
  defaultTimeoutMs: 500,
  cacheTtlMs: 1000,
  trustProxy: false,
  deniedStatus: 403,
  probeTimeoutMs: 1000,
  /** The kubelet's default startupProbe: failureThreshold 3 × periodSeconds 10. */
  startupBudgetMs: 30_000,
  slowCheckMs: 250,
  probeServer: { host: '0.0.0.0', maxStallMs: 10_000 },
  /** Background runs when the probe server is on and no refreshIntervalMs is given: at least this. */
  probeServerRefreshMs: 1000,
  grpc: { maxWatchStreams: 1000 },
  statusPage: { maxStreams: 10 },
  shutdown: {
    signals: ['SIGTERM', 'SIGINT'] as NodeJS.Signals[],
    kubernetesDelayMs: 5000,
    gracePeriodMs: 30_000,
  },
} as const;

/** @internal Outputs longer than this are truncated (with a trailing ellipsis). */
export const OUTPUT_MAX_LENGTH = 512;

/** @internal Bounds of the JSON-safe copy of a result's `details`. */
export const DETAILS_LIMITS = {
  depth: 4,
  keys: 50,
  items: 50,
  stringLength: 512,
  /** Values in all: shared and repeated sub-objects count each time they appear. */
  nodes: 200,
  /** Characters of text read (and redacted) in all: later strings become `[truncated]`. */
  textBudget: 128 * 1024,
  /**
   * Time the redaction of one result may take, in ms, whatever its rules: later strings become
   * `[truncated]`. The built-in rules need a few ms for the whole text budget.
   */
  redactionMs: 50,
} as const;

/** @internal Bounds of what a caller's `?exclude=` can make an answer echo. */
export const EXCLUDE_LIMITS = {
  /** Names read from one request; the rest are ignored. */
  names: 100,
  /** Notes about names that matched no check; the rest are counted in one more note. */
  notes: 10,
  /** Characters of a name echoed in a note (a check's name has at most 64). */
  nameLength: 64,
} as const;

/** @internal Upper bound of a timer in Node.js (2^31 - 1 ms). */
export const MAX_TIMER_MS = 2_147_483_647;

/** @internal The media type of every report. */
export const HEALTH_JSON = 'application/health+json; charset=utf-8';

/** @internal Component name reserved for the deep probe's process diagnostics. */
export const DIAGNOSTICS_COMPONENT = 'process';

/** @internal Provider token of the validated, defaulted options. */
export const RESOLVED_HEALTH_OPTIONS = Symbol('RESOLVED_HEALTH_OPTIONS');

/** @internal Provider token of the controller class created for one module definition. */
export const HEALTH_CONTROLLER_CLASS = Symbol('HEALTH_CONTROLLER_CLASS');

/** @internal Provider token of the logger the module writes to (the `logger` option). */
export const HEALTH_LOGGER = Symbol('HEALTH_LOGGER');
