import type { CheckResult } from '../interfaces/health-check.interface.js';
import { BuiltInIndicator } from './support/built-in.indicator.js';
import { PendingCall } from './support/client-call.js';
import type { Discovery } from './support/discovery.js';
import { isPgPool, pgPoolLender, type PgPool } from './support/pg-pool.js';
import { pooledStatement, type ConnectionLender } from './support/pool-lender.js';
import { assertClient, hasMethod, settingKeysOf } from './support/setting.rules.js';
import {
  answered,
  assertQuery,
  statementOf,
  type SqlStatementSetting,
} from './support/sql-statement.js';

export type { PgPool, PgPoolClient } from './support/pg-pool.js';

/** A pg `Client` the application has connected, or any client checked out of a pool. */
export interface PgClient {
  query(text: string): Promise<unknown>;
}

/** Settings of `PostgresHealthIndicator`. */
export interface PostgresIndicatorSettings extends SqlStatementSetting {
  /**
   * The application's own pg `Pool` or connected `Client`: the indicator opens no connection of
   * its own. Required (with `register()`, the injection token it is provided under).
   */
  client: PgPool | PgClient;
}

/**
 * PostgreSQL through the application's pg `Pool` or `Client`: passes when `SELECT 1` answers.
 * From a pool it borrows a connection and gives it back; when the check times out, nothing it
 * started is left behind (see `check()`).
 */
export class PostgresHealthIndicator extends BuiltInIndicator<PostgresIndicatorSettings> {
  static override readonly defaults = { name: 'postgres', componentType: 'datastore' };
  static override readonly settingKeys = settingKeysOf<PostgresIndicatorSettings>(
    'client',
    'query',
  );
  static override readonly peer = 'pg';
  /** @internal A pool only: it connects on demand, as for the application's next query. */
  static override readonly discovery: Discovery<PgPool> = {
    kind: 'pg Pool',
    words: ['postgres', 'postgresql', 'pg', 'pool', 'sql'],
    recognises: (value): value is PgPool =>
      isPgPool(value) && ['query', 'end', 'on'].every((method) => hasMethod(value, method)),
  };

  private readonly pool?: ConnectionLender;
  /** A client runs its queries one at a time: a hung one would have the next runs' pile up. */
  private readonly clientQuery = new PendingCall<unknown>();

  constructor(settings: PostgresIndicatorSettings) {
    super(settings);
    if (isPgPool(settings.client)) this.pool = pgPoolLender(settings.client);
  }

  protected override validate(settings: PostgresIndicatorSettings): void {
    const name = this.constructor.name;
    if (!isPgPool(settings.client)) {
      assertClient(name, settings.client, ['query'], 'a pg Pool or Client');
    }
    assertQuery(name, settings.query);
  }

  /**
   * From a pool: borrows a connection, runs the query, gives the connection back. When the signal
   * aborts while the pool is still looking for a connection, the request is withdrawn (a place in
   * its queue, or the connection being opened for it, which would otherwise hang on a server that
   * does not answer); a connection that comes all the same goes back to the pool unused. When it
   * aborts during the query, the connection is destroyed: the query is stuck on it.
   */
  async check(signal: AbortSignal): Promise<CheckResult> {
    signal.throwIfAborted();
    const query = statementOf(this.settings);
    if (this.pool !== undefined) return pooledStatement(this.pool, query, signal);
    const client = this.settings.client as PgClient;
    return answered(
      query,
      this.clientQuery.join(() => client.query(query), signal),
    );
  }
}
