import { messages } from '../../core/health.messages.js';
import type { CheckResult } from '../../interfaces/health-check.interface.js';
import { assertClient } from './setting.rules.js';

/** The setting every SQL indicator has: the statement it runs. */
export interface SqlStatementSetting {
  /** The statement to run. Default `'SELECT 1'`. */
  query?: string;
}

/** @internal The statement a SQL indicator runs when its settings give none. */
export const DEFAULT_QUERY = 'SELECT 1';

/** @internal The statement to run: the one the settings give, else `SELECT 1`. */
export function statementOf(settings: { query?: string }): string {
  return settings.query ?? DEFAULT_QUERY;
}

/** @internal Throws at start-up unless `query`, when given, is a non-empty SQL statement. */
export function assertQuery(indicator: string, query: unknown): void {
  if (query !== undefined && (typeof query !== 'string' || !query.trim())) {
    const valid = `an SQL statement, such as "${DEFAULT_QUERY}"`;
    throw new Error(messages.badSetting(indicator, 'query', query, valid));
  }
}

/**
 * @internal Throws at start-up unless the settings of a SQL indicator can work: a client with
 * every method named, and a statement, when given, that is one.
 */
export function assertSqlSettings(
  indicator: string,
  settings: { client?: unknown; query?: unknown },
  methods: readonly string[],
  expected: string,
): void {
  assertClient(indicator, settings.client, methods, expected);
  assertQuery(indicator, settings.query);
}

/** @internal The error of a failed statement, saying which, unless its message does (Knex's). */
export function statementFailed(query: string, error: unknown): Error {
  return error instanceof Error && error.message.startsWith(query)
    ? error
    : new Error(`${query} failed`, { cause: error });
}

/**
 * @internal Waits for the answer to a statement: a pass once it comes (the runner reports how long
 * it took), else `<query> failed` with the client's reason; `reason` takes that reason out of
 * the client's wrapping (Prisma's).
 */
export async function answered(
  query: string,
  answer: PromiseLike<unknown>,
  reason: (error: unknown) => unknown = (error) => error,
): Promise<CheckResult> {
  try {
    await answer;
  } catch (error) {
    throw statementFailed(query, reason(error));
  }
  return {};
}
