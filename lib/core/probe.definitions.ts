import type { ResolvedIndicatorOptions } from '../options/health.options.js';
import type {
  HealthGroupOptions,
  ProbeAccess,
} from '../interfaces/health-module-options.interface.js';

/**
 * What can make a probe fail whatever its checks say, in the order they are asked:
 * - `shutdown`: a shutdown has begun, or the app called `markNotReady()`;
 * - `startup`: start-up has not completed (answered `starting`, with the startup checks);
 * - `bootstrap`: the application has not bootstrapped (answered `bootstrapping`);
 * - `listening`: the application's HTTP server does not listen yet (answered `starting`), or could
 *   not listen (answered with why).
 */
export type ProbeGate = 'shutdown' | 'startup' | 'bootstrap' | 'listening';

/**
 * @internal A probe as data: which checks it runs, what else decides its status, and who may read
 * it. The four probes are the entries of `PROBES`; every health group is one more. The evaluator,
 * the routes, the OpenAPI document, metrics and every transport read this, and nothing else lists
 * the probes.
 */
export interface ProbeDefinition {
  /** Its route (`<path>/<name>`), and its name in reports, metrics and other transports. */
  readonly name: string;
  readonly kind: 'probe' | 'group';
  /** Whether it runs checks at all: one that runs none and has no gate always passes. */
  readonly runsChecks: boolean;
  /** Whether it runs a check, from the check's options. */
  readonly selects: (check: ResolvedIndicatorOptions) => boolean;
  /** The checks a group names: each must exist. */
  readonly include?: readonly string[];
  readonly gates: readonly ProbeGate[];
  /** Once it passes it passes for good, and checks that passed are not run again (start-up). */
  readonly latches: boolean;
  /** Adds the process diagnostics (`process:*`) to its checks. */
  readonly diagnostics: boolean;
  /** Who sees what, unless the options say otherwise. */
  readonly access: ProbeAccess;
  /** Whether `<path>/<name>/<check>` answers for each of its checks. */
  readonly checkRoutes: boolean;
  /** One line, and a paragraph, for the OpenAPI document. */
  readonly summary: string;
  readonly description: string;
}

/** The probes every application gets. */
export const PROBES: readonly ProbeDefinition[] = Object.freeze([
  {
    name: 'live',
    kind: 'probe',
    runsChecks: false,
    selects: () => false,
    gates: [],
    latches: false,
    diagnostics: false,
    access: 'public',
    checkRoutes: false,
    summary: 'Liveness: is the process alive?',
    description: 'Runs no indicator and never checks a dependency: always 200. Public by default.',
  },
  {
    name: 'ready',
    kind: 'probe',
    runsChecks: true,
    selects: (check) => check.probes.has('ready'),
    gates: ['shutdown', 'startup', 'listening'],
    latches: false,
    diagnostics: false,
    access: 'status',
    checkRoutes: true,
    summary: 'Readiness: can it serve traffic?',
    description:
      'Runs the readiness indicators. A failing critical indicator fails it (503); a failing ' +
      'non-critical one or a `warn` degrades it (still 200). 503 with output `starting` until ' +
      'start-up has completed and the HTTP server listens, and while shutting down. External ' +
      'callers get only `{ "status": ... }` by default.',
  },
  {
    name: 'startup',
    kind: 'probe',
    runsChecks: true,
    selects: (check) => check.probes.has('startup'),
    gates: ['bootstrap'],
    latches: true,
    diagnostics: false,
    access: 'status',
    checkRoutes: false,
    summary: 'Start-up: has it finished initialising?',
    description:
      'Runs the startup indicators until the application has bootstrapped and each has passed ' +
      'once, then latches to 200. External callers get only `{ "status": ... }` by default.',
  },
  {
    name: 'deep',
    kind: 'probe',
    runsChecks: true,
    selects: () => true,
    gates: [],
    latches: false,
    diagnostics: true,
    access: 'internal',
    checkRoutes: true,
    summary: 'Deep: every indicator and the process diagnostics',
    description:
      'For operators: every indicator, whatever its probes, plus the `process:*` diagnostics. ' +
      'Internal callers only by default.',
  },
]);

/** The names of the probes: no group may take one, nor another route of the module. */
export const RESERVED_NAMES: readonly string[] = Object.freeze([
  ...PROBES.map((probe) => probe.name),
  'metrics',
]);

/** The name of a check or a group: 1-64 letters, digits, ".", "_" or "-", from a letter or digit. */
export const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** Whether a group may take `name`: a valid name, and none of the module's own routes. */
export function isGroupName(name: string): boolean {
  return NAME_PATTERN.test(name) && !RESERVED_NAMES.includes(name);
}

/** Who may read one check of a probe: everyone on a public probe, else internal callers only. */
export function checkAccess(probe: ProbeDefinition): ProbeAccess {
  return probe.access === 'public' ? 'public' : 'internal';
}

/** Whether a probe can fail at all. */
export function canFail(probe: Pick<ProbeDefinition, 'runsChecks' | 'gates'>): boolean {
  return probe.runsChecks || probe.gates.length > 0;
}

/** A health group of the `groups` option, as a definition. */
export function groupDefinition(name: string, group: HealthGroupOptions): ProbeDefinition {
  const include = new Set(group.include);
  const gated = group.readinessGates === true;
  return Object.freeze({
    name,
    kind: 'group',
    runsChecks: true,
    selects: (check: ResolvedIndicatorOptions) => include.has(check.name),
    include: [...include],
    gates: gated ? (['shutdown', 'startup', 'listening'] as const) : [],
    latches: false,
    diagnostics: false,
    access: group.access ?? 'status',
    checkRoutes: true,
    summary: `Health group "${name}"`,
    description:
      `Its checks: ${[...include].join(', ')}. A failing critical one fails it (503); a failing ` +
      `non-critical one degrades it (200, \`warn\`).` +
      (gated ? ' 503 while starting, shutting down or marked not ready, as readiness.' : ''),
  });
}
