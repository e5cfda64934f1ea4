import type { InjectionToken } from '@nestjs/common';
import { messages } from '../health.messages.js';
import type { CheckResult } from '../interfaces/health-check.interface.js';
import {
  BuiltInIndicator,
  assertClient,
  assertQuery,
  type ClientLocation,
} from './support/built-in.indicator.js';
import { PooledQuery, closeRaw, type ConnectionLender } from './support/orm-pool.lender.js';

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
export interface SequelizeIndicatorSettings {
  /**
   * The application's `Sequelize`: with `register()`, the token it is provided under. Left out,
   * the one `@nestjs/sequelize` provides (`SequelizeModule.forRoot()`) is injected.
   */
  client?: SequelizeLike;
  /** The name of the `@nestjs/sequelize` connection (`forRoot({ name })`). Default: the default one. */
  connection?: string;
  /** The statement to run. Default `'SELECT 1'`. */
  query?: string;
}

const DEFAULT_QUERY = 'SELECT 1';
const INTEGRATION = '@nestjs/sequelize';

/** What `@nestjs/sequelize` exports that the indicator uses. */
interface NestSequelize {
  getConnectionToken(name?: string): InjectionToken;
}

/** sequelize-pool's counts, read when the pool has them (not under replication). */
interface PoolCounts {
  size?: unknown;
  available?: unknown;
  waiting?: unknown;
  maxSize?: unknown;
}

function assertName(indicator: string, name: unknown): void {
  if (name !== undefined && (typeof name !== 'string' || !name.trim())) {
    const valid = `the name of a connection of ${INTEGRATION} (SequelizeModule.forRoot({ name }))`;
    throw new Error(messages.badSetting(indicator, 'connection', name, valid));
  }
}

function details(manager: SequelizeConnectionManagerLike): Record<string, number> | undefined {
  const pool = (manager as { pool?: PoolCounts }).pool;
  const counts = {
    totalCount: pool?.size,
    idleCount: pool?.available,
    waitingCount: pool?.waiting,
    max: pool?.maxSize,
  };
  const known = Object.entries(counts).filter(([, value]) => typeof value === 'number');
  return known.length > 0 ? (Object.fromEntries(known) as Record<string, number>) : undefined;
}

/**
 * A Sequelize instance, by default the one `@nestjs/sequelize` provides: passes when `SELECT 1`
 * answers on a connection borrowed from its pool (the primary's, under replication). A query
 * given up on at the timeout has its connection destroyed, not returned to the pool.
 */
export class SequelizeHealthIndicator extends BuiltInIndicator<SequelizeIndicatorSettings> {
  static override readonly defaults = { name: 'sequelize', componentType: 'datastore' };
  static override readonly settingKeys = [
    'client',
    'connection',
    'query',
  ] satisfies readonly (keyof SequelizeIndicatorSettings)[];
  static override readonly peer: string = 'sequelize';

  static override locate(settings: Record<string, unknown>): ClientLocation {
    const name = settings.connection;
    const named = typeof name === 'string';
    return {
      package: INTEGRATION,
      token: async () => {
        assertName(this.name, name);
        const nest = (await import(INTEGRATION)) as NestSequelize;
        return nest.getConnectionToken(name as string | undefined);
      },
      missing:
        `the application provides no Sequelize connection${named ? ` named "${name}"` : ''}. ` +
        `Import SequelizeModule.forRoot(${named ? `{ name: '${name}', ... }` : ''}) (or forRootAsync()) in the application, ` +
        `${named ? 'correct "connection", ' : ''}or pass the injection token of your Sequelize instance as "client".`,
    };
  }

  private readonly pooled = new PooledQuery<unknown>();
  private readonly lender: ConnectionLender<unknown>;

  constructor(settings: SequelizeIndicatorSettings) {
    super(settings);
    const manager = settings.client!.connectionManager;
    this.lender = {
      acquire: () => manager.getConnection({ type: 'SELECT', useMaster: true }),
      release: (connection) => manager.releaseConnection(connection),
      destroy: (connection) => {
        closeRaw(connection);
        manager.destroyConnection(connection).catch(() => undefined);
      },
      details: () => details(manager),
    };
  }

  protected override validate(settings: SequelizeIndicatorSettings): void {
    const name = this.constructor.name;
    const expected = 'a Sequelize instance';
    assertClient(name, settings.client, ['query'], expected);
    const manager = settings.client!.connectionManager;
    const methods = ['getConnection', 'releaseConnection', 'destroyConnection'];
    if (!methods.every((method) => typeof (manager as never)?.[method] === 'function')) {
      const what = `${expected} (its connectionManager)`;
      throw new Error(messages.badClient(name, what, methods, manager));
    }
    assertName(name, settings.connection);
    assertQuery(name, settings.query, DEFAULT_QUERY);
  }

  check(signal: AbortSignal): Promise<CheckResult> {
    signal.throwIfAborted();
    return this.pooled.check(this.lender, this.settings.query ?? DEFAULT_QUERY, signal);
  }
}
