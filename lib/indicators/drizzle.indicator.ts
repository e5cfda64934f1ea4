import type { CheckResult } from '../interfaces/health-check.interface.js';
import {
  BuiltInIndicator,
  abortable,
  assertClient,
  assertQuery,
  elapsed,
} from './support/built-in.indicator.js';
import { DriverPool } from './support/driver-pool.js';

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
export interface DrizzleIndicatorSettings {
  /**
   * The application's Drizzle database: the indicator opens no connection of its own. Required
   * (with `register()`, the injection token it is provided under: Drizzle has no Nest module).
   */
  client: DrizzleDatabaseLike;
  /** The statement to run. Default `'SELECT 1'`. */
  query?: string;
}

const DEFAULT_QUERY = 'SELECT 1';

/**
 * A Drizzle database: passes when `SELECT 1` answers. Over a pg `Pool` (`drizzle-orm/node-postgres`)
 * or a mysql2 pool (`drizzle-orm/mysql2`), the query goes through that pool with the PostgreSQL
 * and MySQL indicators' hygiene and statistics; over other drivers, through `db.execute()`.
 */
export class DrizzleHealthIndicator extends BuiltInIndicator<DrizzleIndicatorSettings> {
  static override readonly defaults = { name: 'drizzle', componentType: 'datastore' };
  static override readonly settingKeys = [
    'client',
    'query',
  ] satisfies readonly (keyof DrizzleIndicatorSettings)[];
  static override readonly peer: string = 'drizzle-orm';

  private readonly pools = new DriverPool(this.settings.query);

  protected override validate(settings: DrizzleIndicatorSettings): void {
    const name = this.constructor.name;
    assertClient(name, settings.client, ['execute'], 'a Drizzle database (drizzle(pool))');
    assertQuery(name, settings.query, DEFAULT_QUERY);
  }

  async check(signal: AbortSignal): Promise<CheckResult> {
    signal.throwIfAborted();
    const db = this.settings.client;
    const pool = this.pools.of(db.$client);
    if (pool) return pool.check(signal);
    const query = this.settings.query ?? DEFAULT_QUERY;
    const started = performance.now();
    const running = this.singleFlight(() => Promise.resolve(db.execute(query)));
    await abortable(running, signal).catch((error: unknown) => {
      throw new Error(`${query} failed`, { cause: error });
    });
    return { observedValue: elapsed(started), observedUnit: 'ms' };
  }
}
