import { messages } from '../core/health.messages.js';
import type { CheckResult } from '../interfaces/health-check.interface.js';
import { BuiltInIndicator } from './support/built-in.indicator.js';
import { abortable } from './support/client-call.js';
import { assertClient, hasMethod, settingKeysOf } from './support/setting.rules.js';
import { answered, assertQuery, statementFailed, statementOf } from './support/sql-statement.js';

/** A Prisma client: `$queryRawUnsafe(sql)`. */
export interface PrismaLikeClient {
  $queryRawUnsafe(sql: string): PromiseLike<unknown>;
}

/** A Knex instance (or transaction): `raw(sql)`. */
export interface KnexLikeClient {
  (...args: never[]): unknown;
  raw(sql: string): PromiseLike<unknown>;
}

/**
 * Anything whose `query(sql)` returns a promise: a TypeORM `DataSource` or `EntityManager`,
 * Sequelize, a pg `Pool`, a `mysql2/promise` pool...
 */
export interface QueryableClient {
  query(sql: string): PromiseLike<unknown>;
}

/** The SQL handles `SqlHealthIndicator` can use. */
export type SqlClient = PrismaLikeClient | KnexLikeClient | QueryableClient;

/** Settings of `SqlHealthIndicator`. */
export interface SqlIndicatorSettings {
  /**
   * The application's own SQL handle: the indicator opens no connection of its own. Required
   * (with `register()`, the injection token it is provided under).
   */
  client: SqlClient;
  /** The statement to run. Default `'SELECT 1'` (`'SELECT 1 FROM DUAL'` on Oracle). */
  query?: string;
}

const EXPECTED =
  'an SQL client: a TypeORM DataSource or EntityManager, a Prisma client ($queryRawUnsafe()), a Knex instance (raw()), or any client whose query() returns a promise';

/** How to send a statement to the client, or nothing when no method fits. */
function senderOf(client: unknown): ((sql: string) => unknown) | undefined {
  if (hasMethod(client, '$queryRawUnsafe')) {
    return (sql) => (client as PrismaLikeClient).$queryRawUnsafe(sql);
  }
  // A Knex instance is a function. (An object's raw() may only build a fragment, not run it.)
  if (typeof client === 'function' && hasMethod(client, 'raw')) {
    return (sql) => (client as KnexLikeClient).raw(sql);
  }
  if (!hasMethod(client, 'query')) return undefined;
  // mysql2's callback API answers query() with an event emitter, not a promise: its promise()
  // wrapper does.
  if (hasMethod(client, 'promise')) {
    const wrapped = (client as { promise(): unknown }).promise();
    if (hasMethod(wrapped, 'query')) return (sql) => (wrapped as QueryableClient).query(sql);
  }
  return (sql) => (client as QueryableClient).query(sql);
}

const isThenable = (value: unknown): value is PromiseLike<unknown> =>
  (typeof value === 'object' || typeof value === 'function') &&
  value !== null &&
  typeof (value as { then?: unknown }).then === 'function';

/**
 * Any SQL database through the application's own handle (TypeORM, Prisma, Knex, or anything
 * whose `query(sql)` returns a promise): passes when the statement answers. Each run issues one
 * statement; one given up on at the timeout is left to the client's own timeouts, since a handle
 * this general cannot be told to cancel it.
 */
export class SqlHealthIndicator extends BuiltInIndicator<SqlIndicatorSettings> {
  static override readonly defaults = { name: 'sql', componentType: 'datastore' };
  static override readonly settingKeys = settingKeysOf<SqlIndicatorSettings>('client', 'query');

  private readonly send: (sql: string) => unknown;

  constructor(settings: SqlIndicatorSettings) {
    super(settings);
    this.send = senderOf(settings.client)!;
  }

  protected override validate(settings: SqlIndicatorSettings): void {
    const name = this.constructor.name;
    if (senderOf(settings.client) === undefined) {
      assertClient(name, settings.client, ['query'], EXPECTED);
      throw new Error(messages.badClient(name, EXPECTED, ['query'], settings.client));
    }
    assertQuery(name, settings.query);
  }

  async check(signal: AbortSignal): Promise<CheckResult> {
    signal.throwIfAborted();
    const query = statementOf(this.settings);
    let answer: unknown;
    try {
      answer = this.send(query);
    } catch (error) {
      throw statementFailed(query, error);
    }
    if (!isThenable(answer)) {
      throw new Error(
        `the client answered ${query} with no promise: pass a client of a promise API (for mysql2, its promise() wrapper)`,
      );
    }
    return answered(query, abortable(answer, signal));
  }
}
