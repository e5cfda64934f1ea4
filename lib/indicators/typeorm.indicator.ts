import type { InjectionToken } from '@nestjs/common';
import { messages } from '../health.messages.js';
import type { CheckResult } from '../interfaces/health-check.interface.js';
import {
  BuiltInIndicator,
  abortable,
  assertClient,
  assertQuery,
  elapsed,
  type ClientLocation,
} from './support/built-in.indicator.js';
import { DriverPool } from './support/driver-pool.js';

/*
 * The TypeORM types are declared here, as far as the indicator uses them: `typeorm` and
 * `@nestjs/typeorm` are optional peers, so the library imports nothing from them, not even types.
 */

/** A TypeORM `DataSource`. */
export interface TypeOrmDataSourceLike {
  /** False before `initialize()` and after `destroy()`. */
  readonly isInitialized: boolean;
  /** Its driver: a pg or mysql2 pool under `master` or `pool`, where it has one. */
  readonly driver: object;
  query(sql: string): Promise<unknown>;
}

/** Settings of `TypeOrmHealthIndicator`. */
export interface TypeOrmIndicatorSettings {
  /**
   * The application's `DataSource`: with `register()`, the token it is provided under. Left out,
   * the one `@nestjs/typeorm` provides (`TypeOrmModule.forRoot()`) is injected.
   */
  client?: TypeOrmDataSourceLike;
  /** The name of the `@nestjs/typeorm` data source (`forRoot({ name })`). Default: the default one. */
  dataSource?: string;
  /** The statement to run. Default `'SELECT 1'`. */
  query?: string;
}

const DEFAULT_QUERY = 'SELECT 1';
const INTEGRATION = '@nestjs/typeorm';

/** What `@nestjs/typeorm` exports that the indicator uses. */
interface NestTypeOrm {
  getDataSourceToken(name?: string): InjectionToken;
}

function assertName(indicator: string, name: unknown): void {
  if (name !== undefined && (typeof name !== 'string' || !name.trim())) {
    const valid = `the name of a data source of ${INTEGRATION} (TypeOrmModule.forRoot({ name }))`;
    throw new Error(messages.badSetting(indicator, 'dataSource', name, valid));
  }
}

/**
 * A TypeORM `DataSource`, by default the one `@nestjs/typeorm` provides: passes when `SELECT 1`
 * answers. On PostgreSQL and MySQL/MariaDB the query goes through the driver's pool with the
 * PostgreSQL and MySQL indicators' pool hygiene and statistics; on other databases, through
 * `dataSource.query()`. A data source not initialised, or destroyed, fails saying so.
 */
export class TypeOrmHealthIndicator extends BuiltInIndicator<TypeOrmIndicatorSettings> {
  static override readonly defaults = { name: 'typeorm', componentType: 'datastore' };
  static override readonly settingKeys = [
    'client',
    'dataSource',
    'query',
  ] satisfies readonly (keyof TypeOrmIndicatorSettings)[];
  static override readonly peer: string = 'typeorm';

  static override locate(settings: Record<string, unknown>): ClientLocation {
    const name = settings.dataSource;
    const forRoot = typeof name === 'string' ? `forRoot({ name: '${name}', ... })` : 'forRoot()';
    return {
      package: INTEGRATION,
      token: async () => {
        assertName(this.name, name);
        const nest = (await import(INTEGRATION)) as NestTypeOrm;
        return nest.getDataSourceToken(name as string | undefined);
      },
      missing:
        `the application provides no TypeORM DataSource${typeof name === 'string' ? ` named "${name}"` : ''}. ` +
        `Import TypeOrmModule.${forRoot} (or forRootAsync()) in the application, ` +
        `${typeof name === 'string' ? 'correct "dataSource", ' : ''}or pass the injection token of your DataSource as "client".`,
    };
  }

  private readonly pools = new DriverPool(this.settings.query);

  protected override validate(settings: TypeOrmIndicatorSettings): void {
    const name = this.constructor.name;
    assertClient(name, settings.client, ['query'], 'a TypeORM DataSource');
    if (typeof settings.client?.isInitialized !== 'boolean') {
      throw new Error(
        messages.badClient(name, 'a TypeORM DataSource', ['query', 'initialize'], settings.client),
      );
    }
    assertName(name, settings.dataSource);
    assertQuery(name, settings.query, DEFAULT_QUERY);
  }

  async check(signal: AbortSignal): Promise<CheckResult> {
    signal.throwIfAborted();
    const dataSource = this.settings.client!;
    if (!dataSource.isInitialized) {
      const named = this.settings.dataSource === undefined ? '' : ` "${this.settings.dataSource}"`;
      throw new Error(`the TypeORM DataSource${named} is not initialized (or was destroyed)`);
    }
    // PostgreSQL (and CockroachDB) hold a pg Pool as `master`, the primary under replication;
    // MySQL and MariaDB a mysql2 pool as `pool` (a pool cluster under replication: not a pool).
    const { master, pool } = dataSource.driver as { master?: unknown; pool?: unknown };
    const driverPool = this.pools.of(master ?? pool);
    if (driverPool) return driverPool.check(signal);
    const query = this.settings.query ?? DEFAULT_QUERY;
    const started = performance.now();
    const running = this.singleFlight(() => dataSource.query(query));
    await abortable(running, signal).catch((error: unknown) => {
      throw new Error(`${query} failed`, { cause: error });
    });
    return { observedValue: elapsed(started), observedUnit: 'ms' };
  }
}
