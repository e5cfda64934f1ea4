import { messages } from '../core/health.messages.js';
import type { ResolvedAutoIndicators } from '../core/resolved-options.js';
import type { IndicatorProbe } from '../interfaces/health-check.interface.js';

/** @internal Where an auto-found check goes, from the `autoIndicators` options. */
export interface Placement {
  readonly excluded: boolean;
  readonly probes: readonly IndicatorProbe[];
  readonly critical: boolean;
}

/** Every list of the options that names checks, and where it is given. */
function lists(options: ResolvedAutoIndicators): [string, readonly string[]][] {
  return [
    ['autoIndicators.probes.ready', options.ready],
    ['autoIndicators.probes.startup', options.startup],
    ['autoIndicators.critical', options.critical],
    ['autoIndicators.exclude', options.exclude],
  ];
}

/**
 * @internal Throws at start-up when the options name a check auto-discovery did not make (a
 * typo, a client the application no longer has, one an indicator of its own checks), saying
 * which it made; or leave out a check they also promote.
 */
export function assertNamed(options: ResolvedAutoIndicators, names: readonly string[]): void {
  const made = new Set(names);
  for (const [option, named] of lists(options)) {
    const unknown = named.find((name) => !made.has(name));
    if (unknown !== undefined) {
      throw new Error(messages.autoIndicatorNotFound(option, unknown, names));
    }
  }
  for (const [option, named] of lists(options).slice(0, 3)) {
    const both = named.find((name) => options.exclude.includes(name));
    if (both !== undefined)
      throw new Error(messages.autoIndicatorExcludedAndPromoted(both, option));
  }
}

/**
 * @internal Where a check goes: `deep` only, where a failure degrades it, unless promoted. A
 * check promoted into `ready` or `startup` is critical (it is there to gate); `critical` makes one
 * fail `deep` as well.
 */
export function placementOf(options: ResolvedAutoIndicators, name: string): Placement {
  const promoted = (['ready', 'startup'] as const).filter((probe) => options[probe].includes(name));
  return {
    excluded: options.exclude.includes(name),
    probes: [...promoted, 'deep'],
    critical: promoted.length > 0 || options.critical.includes(name),
  };
}

/** @internal Where a check goes, as the start-up log says it: `ready + deep, critical`. */
export function describePlacement({ probes, critical }: Placement): string {
  return `${probes.join(' + ')}${critical ? ', critical' : ''}`;
}
