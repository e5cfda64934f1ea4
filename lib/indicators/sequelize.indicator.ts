import type { InjectionToken } from '@nestjs/common';
import type { CheckResult } from '../interfaces/health-check.interface.js';
import { BuiltInIndicator } from './support/built-in.indicator.js';
import {
  assertOrmName,
  ormLocation,
  type ClientLocation,
  type OrmIntegration,
} from './support/client-location.js';
import type { Discovery } from './support/discovery.js';
import { closeRaw, OrmPoolLender } from './support/orm-pool.lender.js';
import { poolCounts, pooledStatement } from './support/pool-lender.js';
import { assertClient, hasMethod, settingKeysOf } from './support/setting.rules.js';
import { assertQuery, statementOf, type SqlStatementSetting } from './support/sql-statement.js';

/*
 * The Sequelize types are declared here, as far as the indicator uses them: `sequelize` and
 * `@nestjs/sequelize` are optional peers, so the library imports nothing from them, not even types.
 */

/** Sequelize's connection manager: its pool of raw driver connections. */
export interface SequelizeConnectionManagerLike {
  getConnection(options?: { type?: string; useMaster?: boolean }): Promise<unknown>;
  releaseConnection(connection: unknown): unknown;
  destroyConnection(connection: unknown): Promise<unknown>;
}

/** A `Sequelize` instance (of `sequelize` or `sequelize-typescript`). */
export interface SequelizeLike {
  readonly connectionManager: SequelizeConnectionManagerLike;
}

/** Settings of `SequelizeHealthIndicator`. */
export interface SequelizeIndicatorSettings extends SqlStatementSetting {
  /**
   * The application's `Sequelize`: with `register()`, the token it is provided under. Left out,
   * the one `@nestjs/sequelize` provides (`SequelizeModule.forRoot()`) is injected.
   */
  client?: SequelizeLike;
  /** The name of the `@nestjs/sequelize` connection (`forRoot({ name })`). Default: the default one. */
  connection?: string;
}

const INTEGRATION = '@nestjs/sequelize';

/** The methods `validate()` asks of its connection manager. */
const MANAGER_METHODS = ['getConnection', 'releaseConnection', 'destroyConnection'];

/** Where `register()` finds the Sequelize instance when given no `client` token. */
const NEST_SEQUELIZE: OrmIntegration = {
  package: INTEGRATION,
  setting: 'connection',
  valid: `the name of a connection of ${INTEGRATION} (SequelizeModule.forRoot({ name }))`,
  provides: 'Sequelize connection',
  module: 'SequelizeModule',
  nameOption: 'name',
  yours: 'Sequelize instance',
  token: async (name) => {
    const nest = (await import(INTEGRATION)) as {
      getConnectionToken(name?: string): InjectionToken;
    };
    return nest.getConnectionToken(name);
  },
};

/** sequelize-pool's counts, read when the pool has them (not under replication). */
interface PoolCounts {
  size?: unknown;
  available?: unknown;
  waiting?: unknown;
  maxSize?: unknown;
}

function details(manager: SequelizeConnectionManagerLike): Record<string, number> | undefined {
  const pool = (manager as { pool?: PoolCounts }).pool;
  return poolCounts({
    totalCount: pool?.size,
    idleCount: pool?.available,
    waitingCount: pool?.waiting,
    max: pool?.maxSize,
  });
}

/**
 * A Sequelize instance, by default the one `@nestjs/sequelize` provides: passes when `SELECT 1`
 * answers on a connection borrowed from its pool (the primary's, under replication). A query
 * given up on at the timeout has its connection destroyed, not returned to the pool.
 */
export class SequelizeHealthIndicator extends BuiltInIndicator<SequelizeIndicatorSettings> {
  static override readonly defaults = { name: 'sequelize', componentType: 'datastore' };
  static override readonly settingKeys = settingKeysOf<SequelizeIndicatorSettings>(
    'client',
    'connection',
    'query',
  );
  static override readonly peer: string = 'sequelize';
  /** @internal A pool, which connects on demand: nothing tells an unused one from a connected one. */
  static override readonly discovery: Discovery<SequelizeLike> = {
    kind: 'Sequelize',
    words: ['sequelize', 'orm'],
    recognises: (value): value is SequelizeLike =>
      ['query', 'authenticate', 'define', 'close'].every((method) => hasMethod(value, method)) &&
      MANAGER_METHODS.every((method) =>
        hasMethod((value as Partial<SequelizeLike>).connectionManager, method),
      ),
  };

  static override locate(settings: Record<string, unknown>): ClientLocation {
    return ormLocation(this.name, NEST_SEQUELIZE, settings);
  }

  private readonly pool: OrmPoolLender<unknown>;

  constructor(settings: SequelizeIndicatorSettings) {
    super(settings);
    const manager = settings.client!.connectionManager;
    this.pool = new OrmPoolLender({
      acquire: () => manager.getConnection({ type: 'SELECT', useMaster: true }),
      release: (connection) => void manager.releaseConnection(connection),
      destroy: (connection) => {
        closeRaw(connection);
        manager.destroyConnection(connection).catch(() => undefined);
      },
      details: () => details(manager),
    });
  }

  protected override validate(settings: SequelizeIndicatorSettings): void {
    const name = this.constructor.name;
    const expected = 'a Sequelize instance';
    assertClient(name, settings.client, ['query'], expected);
    const manager = settings.client!.connectionManager;
    assertClient(name, manager, MANAGER_METHODS, `${expected} (its connectionManager)`);
    assertOrmName(name, NEST_SEQUELIZE, settings);
    assertQuery(name, settings.query);
  }

  check(signal: AbortSignal): Promise<CheckResult> {
    signal.throwIfAborted();
    return pooledStatement(this.pool, statementOf(this.settings), signal);
  }
}
