import type { InjectionToken } from '@nestjs/common';
import { messages } from '../core/health.messages.js';
import type { CheckResult } from '../interfaces/health-check.interface.js';
import { BuiltInIndicator } from './support/built-in.indicator.js';
import { PendingCall } from './support/client-call.js';
import {
  assertOrmName,
  ormLocation,
  type ClientLocation,
  type OrmIntegration,
} from './support/client-location.js';
import type { Discovery } from './support/discovery.js';
import { driverPoolLender, PoolLenders } from './support/driver-pool.js';
import { pooledStatement } from './support/pool-lender.js';
import { assertClient, hasMethod, settingKeysOf } from './support/setting.rules.js';
import {
  answered,
  assertQuery,
  statementOf,
  type SqlStatementSetting,
} from './support/sql-statement.js';

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
export interface TypeOrmIndicatorSettings extends SqlStatementSetting {
  /**
   * The application's `DataSource`: with `register()`, the token it is provided under. Left out,
   * the one `@nestjs/typeorm` provides (`TypeOrmModule.forRoot()`) is injected.
   */
  client?: TypeOrmDataSourceLike;
  /** The name of the `@nestjs/typeorm` data source (`forRoot({ name })`). Default: the default one. */
  dataSource?: string;
}

const INTEGRATION = '@nestjs/typeorm';

/** What `validate()` asks of a DataSource. */
const isDataSource = (value: unknown): value is TypeOrmDataSourceLike =>
  hasMethod(value, 'query') &&
  typeof (value as Partial<TypeOrmDataSourceLike>).isInitialized === 'boolean';

/** A pg or mysql2 pool its driver holds once initialised (`master`, `pool`). */
const driverPools = (dataSource: TypeOrmDataSourceLike) => {
  const { master, pool } = (dataSource.driver ?? {}) as { master?: unknown; pool?: unknown };
  return [master, pool];
};

/** Where `register()` finds the DataSource when given no `client` token. */
const NEST_TYPEORM: OrmIntegration = {
  package: INTEGRATION,
  setting: 'dataSource',
  valid: `the name of a data source of ${INTEGRATION} (TypeOrmModule.forRoot({ name }))`,
  provides: 'TypeORM DataSource',
  module: 'TypeOrmModule',
  nameOption: 'name',
  yours: 'DataSource',
  token: async (name) => {
    const nest = (await import(INTEGRATION)) as {
      getDataSourceToken(name?: string): InjectionToken;
    };
    return nest.getDataSourceToken(name);
  },
};

/**
 * A TypeORM `DataSource`, by default the one `@nestjs/typeorm` provides: passes when `SELECT 1`
 * answers. On PostgreSQL and MySQL/MariaDB the query goes through the driver's pool with the
 * PostgreSQL and MySQL indicators' pool hygiene and statistics; on other databases, through
 * `dataSource.query()`. A data source not initialised, or destroyed, fails saying so.
 */
export class TypeOrmHealthIndicator extends BuiltInIndicator<TypeOrmIndicatorSettings> {
  static override readonly defaults = { name: 'typeorm', componentType: 'datastore' };
  static override readonly settingKeys = settingKeysOf<TypeOrmIndicatorSettings>(
    'client',
    'dataSource',
    'query',
  );
  static override readonly peer: string = 'typeorm';
  /** @internal */
  static override readonly discovery: Discovery<TypeOrmDataSourceLike> = {
    kind: 'TypeORM DataSource',
    words: ['typeorm', 'orm', 'data', 'source', 'datasource'],
    recognises: (value): value is TypeOrmDataSourceLike =>
      isDataSource(value) &&
      ['initialize', 'destroy', 'getRepository'].every((method) => hasMethod(value, method)),
    wraps: driverPools,
  };

  static override locate(settings: Record<string, unknown>): ClientLocation {
    return ormLocation(this.name, NEST_TYPEORM, settings);
  }

  private readonly pools = new PoolLenders(driverPoolLender);
  /** Other drivers cannot be told to cancel a query: the one still running is waited for. */
  private readonly dataSourceQuery = new PendingCall<unknown>();

  protected override validate(settings: TypeOrmIndicatorSettings): void {
    const name = this.constructor.name;
    assertClient(name, settings.client, ['query'], 'a TypeORM DataSource');
    if (!isDataSource(settings.client)) {
      throw new Error(
        messages.badClient(name, 'a TypeORM DataSource', ['query', 'initialize'], settings.client),
      );
    }
    assertOrmName(name, NEST_TYPEORM, settings);
    assertQuery(name, settings.query);
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
    const query = statementOf(this.settings);
    const lender = this.pools.of(master ?? pool);
    if (lender !== undefined) return pooledStatement(lender, query, signal);
    return answered(
      query,
      this.dataSourceQuery.join(() => dataSource.query(query), signal),
    );
  }
}
