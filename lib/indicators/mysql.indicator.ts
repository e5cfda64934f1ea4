import { messages } from '../core/health.messages.js';
import type { CheckResult } from '../interfaces/health-check.interface.js';
import { BuiltInIndicator } from './support/built-in.indicator.js';
import { PendingCall } from './support/client-call.js';
import type { Discovery } from './support/discovery.js';
import {
  mysqlCore,
  mysqlPoolLender,
  queryConnection,
  type CoreConnection,
} from './support/mysql-pool.js';
import { pooledStatement, type ConnectionLender } from './support/pool-lender.js';
import { assertClient, hasMethod, settingKeysOf } from './support/setting.rules.js';
import {
  answered,
  assertQuery,
  statementOf,
  type SqlStatementSetting,
} from './support/sql-statement.js';

/*
 * The mysql2 types are declared here, as far as the indicator uses them: `mysql2` is an optional
 * peer, so the library imports nothing from it, not even types.
 */

/** A pool or connection of mysql2's callback API: `createPool()`, `createConnection()`. */
export interface MysqlCallbackClient {
  query(...args: never[]): unknown;
  promise(...args: never[]): unknown;
}

/**
 * A pool or connection of mysql2's promise API: from `mysql2/promise`, or `.promise()` of the
 * above. (The indicator works through the callback object each of them wraps.)
 */
export interface MysqlPromiseClient {
  query(sql: string): Promise<unknown>;
}

/** Settings of `MysqlHealthIndicator`. */
export interface MysqlIndicatorSettings extends SqlStatementSetting {
  /**
   * The application's own mysql2 pool or connection, of either API: the indicator opens no
   * connection of its own. Required (with `register()`, the injection token it is provided under).
   */
  client: MysqlCallbackClient | MysqlPromiseClient;
}

const EXPECTED = 'a mysql2 pool or connection, of "mysql2" or "mysql2/promise"';

const mysqlCorePool = (value: unknown) => {
  const core = mysqlCore(value);
  return core !== undefined && 'pool' in core;
};

/**
 * MySQL or MariaDB through the application's mysql2 pool or connection (callback or promise
 * API): passes when `SELECT 1` answers. From a pool it borrows a connection and gives it back;
 * when the check times out, nothing it started is left behind (see `check()`).
 */
export class MysqlHealthIndicator extends BuiltInIndicator<MysqlIndicatorSettings> {
  static override readonly defaults = { name: 'mysql', componentType: 'datastore' };
  static override readonly settingKeys = settingKeysOf<MysqlIndicatorSettings>('client', 'query');
  static override readonly peer = 'mysql2';
  /**
   * @internal A pool only, of either API (a promise pool wraps a callback one): it connects on
   * demand, as for the application's next query.
   */
  static override readonly discovery: Discovery<MysqlCallbackClient | MysqlPromiseClient> = {
    kind: 'mysql2 pool',
    words: ['mysql', 'mysql2', 'mariadb', 'pool', 'sql'],
    recognises: (value): value is MysqlCallbackClient | MysqlPromiseClient =>
      hasMethod(value, 'end') && hasMethod(value, 'getConnection') && mysqlCorePool(value),
    wraps: (pool) => {
      const core = mysqlCore(pool);
      return core !== undefined && 'pool' in core && (core.pool as unknown) !== pool
        ? [core.pool]
        : [];
    },
  };

  private readonly pool?: ConnectionLender;
  private readonly connection?: CoreConnection;
  /** A connection runs its queries one at a time: a hung one would have the next runs' pile up. */
  private readonly connectionQuery = new PendingCall<void>();

  constructor(settings: MysqlIndicatorSettings) {
    super(settings);
    const core = mysqlCore(settings.client)!;
    if ('pool' in core) this.pool = mysqlPoolLender(core.pool);
    else this.connection = core.connection;
  }

  protected override validate(settings: MysqlIndicatorSettings): void {
    const name = this.constructor.name;
    assertClient(name, settings.client, ['query'], EXPECTED);
    if (mysqlCore(settings.client) === undefined) {
      throw new Error(
        `${messages.badClient(name, EXPECTED, ['query', 'promise'], settings.client)} For another SQL client, use SqlHealthIndicator.`,
      );
    }
    assertQuery(name, settings.query);
  }

  /**
   * From a pool: borrows a connection, runs the query, gives the connection back. When the signal
   * aborts while the pool is still looking for a connection, the request is withdrawn (a place in
   * its queue, or the connection being opened for it, which would otherwise wait for a server
   * that does not answer until mysql2's connectTimeout); a connection that comes all the same
   * goes back to the pool unused. When it aborts during the query, the connection is destroyed:
   * the query is stuck on it.
   */
  async check(signal: AbortSignal): Promise<CheckResult> {
    signal.throwIfAborted();
    const query = statementOf(this.settings);
    if (this.pool !== undefined) return pooledStatement(this.pool, query, signal);
    const connection = this.connection!;
    return answered(
      query,
      this.connectionQuery.join(() => queryConnection(connection, query), signal),
    );
  }
}
