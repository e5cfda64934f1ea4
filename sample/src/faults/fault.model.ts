/** The dependencies a person can break on purpose. */
export const DEPENDENCIES = ['database', 'cache'] as const;
export type Dependency = (typeof DEPENDENCIES)[number];

/** `down` refuses connections at once; `slow` accepts them and never answers. */
export const FAULT_MODES = ['up', 'down', 'slow'] as const;
export type FaultMode = (typeof FAULT_MODES)[number];

export type Faults = Record<Dependency, FaultMode>;

export function isDependency(value: unknown): value is Dependency {
  return DEPENDENCIES.includes(value as Dependency);
}

export function isFaultMode(value: unknown): value is FaultMode {
  return FAULT_MODES.includes(value as FaultMode);
}

/**
 * Reads the `FAIL` variable: `database`, `database:slow,cache`... A bare name means `down`.
 * A typo throws: a fault that silently does not happen would make the demo lie.
 */
export function parseFaults(spec = ''): Faults {
  const faults: Faults = { database: 'up', cache: 'up' };
  for (const item of spec.split(',').map((part) => part.trim())) {
    if (!item) continue;
    const [dependency, mode = 'down', ...rest] = item.split(':');
    if (!isDependency(dependency) || !isFaultMode(mode) || rest.length > 0) {
      throw new Error(
        `FAIL: cannot read "${item}"; use a comma-separated list of ${DEPENDENCIES.join(' or ')}, ` +
          `each optionally followed by :down or :slow (for example FAIL=database:slow,cache)`,
      );
    }
    faults[dependency] = mode;
  }
  return faults;
}
