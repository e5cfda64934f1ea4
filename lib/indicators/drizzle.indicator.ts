import type { CheckResult } from '../interfaces/health-check.interface.js';
import { BuiltInIndicator } from './support/built-in.indicator.js';
import { PendingCall } from './support/client-call.js';
import type { Discovery } from './support/discovery.js';
import { driverPoolLender, PoolLenders } from './support/driver-pool.js';
import { pooledStatement } from './support/pool-lender.js';
import { hasMethod, settingKeysOf } from './support/setting.rules.js';
import {
  answered,
  assertSqlSettings,
  statementOf,
  type SqlStatementSetting,
} from './support/sql-statement.js';

/*
 * The Drizzle type is declared here, as far as the indicator uses it: `drizzle-orm` is an optional
 * peer, so the library imports nothing from it, not even types.
 */

/** A Drizzle database (`drizzle(pool)`), of a SQL dialect. */
export interface DrizzleDatabaseLike {
  /** The driver's client it was made with: a pg `Pool`, a mysql2 pool... */
  readonly $client?: unknown;
  execute(query: string): PromiseLike<unknown>;
}

/** Settings of `DrizzleHealthIndicator`. */
export interface DrizzleIndicatorSettings extends SqlStatementSetting {
  /**
   * The application's Drizzle database: the indicator opens no connection of its own. Required
   * (with `register()`, the injection token it is provided under: Drizzle has no Nest module).
   */
  client: DrizzleDatabaseLike;
}

/**
 * A Drizzle database: passes when `SELECT 1` answers. Over a pg `Pool` (`drizzle-orm/node-postgres`)
 * or a mysql2 pool (`drizzle-orm/mysql2`), the query goes through that pool with the PostgreSQL
 * and MySQL indicators' hygiene and statistics; over other drivers, through `db.execute()`.
 */
export class DrizzleHealthIndicator extends BuiltInIndicator<DrizzleIndicatorSettings> {
  static override readonly defaults = { name: 'drizzle', componentType: 'datastore' };
  static override readonly settingKeys = settingKeysOf<DrizzleIndicatorSettings>('client', 'query');
  static override readonly peer: string = 'drizzle-orm';
  /** @internal Over its driver's pool, which it wraps: that pool, in DI too, is not checked again. */
  static override readonly discovery: Discovery<DrizzleDatabaseLike> = {
    kind: 'Drizzle database',
    words: ['drizzle', 'orm'],
    recognises: (value): value is DrizzleDatabaseLike =>
      ['execute', 'select', 'insert', 'transaction'].every((method) => hasMethod(value, method)) &&
      (value as DrizzleDatabaseLike).$client !== undefined,
    wraps: (db) => [db.$client],
  };

  private readonly pools = new PoolLenders(driverPoolLender);
  /** Other drivers cannot be told to cancel a statement: the one still running is waited for. */
  private readonly execution = new PendingCall<unknown>();

  protected override validate(settings: DrizzleIndicatorSettings): void {
    const expected = 'a Drizzle database (drizzle(pool))';
    assertSqlSettings(this.constructor.name, settings, ['execute'], expected);
  }

  async check(signal: AbortSignal): Promise<CheckResult> {
    const db = this.settings.client;
    const query = statementOf(this.settings);
    const pool = this.pools.of(db.$client);
    if (pool !== undefined) return pooledStatement(pool, query, signal);
    return answered(
      query,
      this.execution.join(() => db.execute(query), signal),
    );
  }
}
