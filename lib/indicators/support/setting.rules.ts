import { messages } from '../../core/health.messages.js';

/** @internal Whether `value` has a method of that name (an object, or a function such as Knex). */
export function hasMethod(value: unknown, method: string): boolean {
  return (
    (typeof value === 'object' || typeof value === 'function') &&
    value !== null &&
    typeof (value as Record<string, unknown>)[method] === 'function'
  );
}

/** @internal Throws at start-up unless `client` has every method named. */
export function assertClient(
  indicator: string,
  client: unknown,
  methods: readonly string[],
  expected: string,
): void {
  if (!methods.every((method) => hasMethod(client, method))) {
    throw new Error(messages.badClient(indicator, expected, methods, client));
  }
}

/**
 * @internal Throws at start-up unless `value`, when given, is a non-empty name: of a connection
 * of a Nest integration (`dataSource`, `connection`, `contextName`).
 */
export function assertName(indicator: string, key: string, value: unknown, valid: string): void {
  if (value !== undefined && (typeof value !== 'string' || !value.trim())) {
    throw new Error(messages.badSetting(indicator, key, value, valid));
  }
}

/**
 * @internal The keys of an indicator's settings (its `settingKeys`), each checked against the
 * type of its settings.
 */
export function settingKeysOf<S>(...keys: (keyof S & string)[]): readonly (keyof S & string)[] {
  return keys;
}
