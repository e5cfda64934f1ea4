import type { HealthGroupOptions, ProbeAccess } from '../interfaces/health-check.interface.js';
import type { ResolvedIndicatorOptions } from './indicator-options.js';
import { NAME_PATTERN } from './value.rules.js';

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
  /** Whether one of its checks can be read on its own (`<path>/<name>/<check>` over HTTP). */
  readonly answersPerCheck: boolean;
  /**
   * Other names it answers to where a protocol has its own: Kubernetes' `liveness` and
   * `readiness`, and `""`, a server's overall health (gRPC health checking).
   */
  readonly aliases: readonly string[];
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
    answersPerCheck: false,
    aliases: ['liveness'],
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
    answersPerCheck: true,
    aliases: ['readiness', ''],
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
    answersPerCheck: false,
    aliases: [],
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
    answersPerCheck: true,
    aliases: [],
  },
]);

/** The probe other names lead to (`liveness`, `readiness`, `""`), and the probes' own names. */
export function probeNamed<P extends Pick<ProbeDefinition, 'name' | 'aliases'>>(
  name: string,
  probes: readonly P[],
): P | undefined {
  return (
    probes.find((probe) => probe.name === name) ??
    probes.find((probe) => probe.aliases.includes(name))
  );
}

/**
 * The names of the probes: no group may take one, nor another route of the module (the metrics,
 * the status page, whose live stream is `status/events`).
 */
export const RESERVED_NAMES: readonly string[] = Object.freeze([
  ...PROBES.map((probe) => probe.name),
  'metrics',
  'status',
]);

/** Whether a group may take `name`: a valid name, and none of the module's own routes. */
export function isGroupName(name: string): boolean {
  return NAME_PATTERN.test(name) && !RESERVED_NAMES.includes(name);
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
    answersPerCheck: true,
    aliases: [],
  });
}
