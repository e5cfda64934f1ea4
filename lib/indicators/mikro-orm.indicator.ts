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
import { PoolLenders } from './support/driver-pool.js';
import { closeRaw, OrmPoolLender } from './support/orm-pool.lender.js';
import { poolCounts, pooledStatement } from './support/pool-lender.js';
import { assertClient, hasMethod, settingKeysOf } from './support/setting.rules.js';
import { assertQuery, statementOf } from './support/sql-statement.js';

/*
 * The MikroORM types are declared here, as far as the indicator uses them: `@mikro-orm/core` is an
 * optional peer, so the library imports nothing from it, not even types.
 */

/** A connection of a MikroORM driver; the SQL drivers of MikroORM 6 hold a Knex instance. */
export interface MikroOrmConnectionLike {
  getKnex?(): unknown;
}

/** A `MikroORM` instance (`MikroORM.init()`). */
export interface MikroOrmLike {
  readonly em: { getConnection(type?: 'read' | 'write'): MikroOrmConnectionLike };
  checkConnection(): Promise<{ ok: boolean; reason?: string }>;
}

/** Settings of `MikroOrmHealthIndicator`. */
export interface MikroOrmIndicatorSettings {
  /**
   * The application's `MikroORM`: with `register()`, the token it is provided under. Left out, the
   * one `@mikro-orm/nestjs` provides (`MikroOrmModule.forRoot()`) is injected.
   */
  client?: MikroOrmLike;
  /** The `contextName` of the `@mikro-orm/nestjs` connection. Default: the default one. */
  contextName?: string;
  /** The statement to run (SQL drivers). Default `'SELECT 1'`. */
  query?: string;
}

const CORE = '@mikro-orm/core';

/** What `validate()` asks of a MikroORM. */
const isMikroOrm = (value: unknown): value is MikroOrmLike =>
  hasMethod(value, 'checkConnection') &&
  hasMethod((value as Partial<MikroOrmLike>).em, 'getConnection');

/**
 * A MikroORM made with `connect: false` that nothing has connected: its driver has no Knex yet
 * (`client`), and asking for one would create its pool.
 */
function notConnected(orm: MikroOrmLike): string | undefined {
  const connection = orm.em.getConnection('write') as { connected?: unknown; client?: unknown };
  return connection.connected === false && connection.client === undefined
    ? 'not connected: nothing has connected this MikroORM yet (connect: false)'
    : undefined;
}

/**
 * Where `register()` finds the ORM when given no `client` token: the `MikroORM` class, or
 * `<contextName>_MikroORM` for a named connection (`getMikroORMToken()` of `@mikro-orm/nestjs`).
 */
const NEST_MIKRO_ORM: OrmIntegration = {
  package: CORE,
  setting: 'contextName',
  valid: 'the contextName of a @mikro-orm/nestjs connection',
  provides: 'MikroORM',
  module: 'MikroOrmModule',
  nameOption: 'contextName',
  from: '@mikro-orm/nestjs',
  yours: 'MikroORM',
  token: async (name) => {
    if (name !== undefined) return `${name}_MikroORM`;
    const core = (await import(CORE)) as { MikroORM: InjectionToken };
    return core.MikroORM;
  },
};

/** Knex's client and its tarn pool, as far as the indicator uses them. */
interface KnexClient {
  acquireConnection?(): Promise<unknown>;
  releaseConnection(connection: unknown): Promise<unknown>;
  pool?: {
    numUsed?(): number;
    numFree?(): number;
    numPendingAcquires?(): number;
    max?: unknown;
  };
}

/** The Knex pool of a SQL driver, as a lender of raw connections; undefined without one. */
function knexLender(client: KnexClient | undefined): OrmPoolLender<unknown> | undefined {
  if (typeof client?.acquireConnection !== 'function') return undefined;
  const release = (raw: unknown) => void client.releaseConnection(raw).catch(() => undefined);
  return new OrmPoolLender({
    acquire: () => client.acquireConnection!(),
    release,
    // Closed, then given back: Knex marks a connection whose socket ended as disposed, and its
    // pool destroys it instead of lending it again.
    destroy: (raw) => {
      closeRaw(raw);
      release(raw);
    },
    details: () => {
      const pool = client.pool;
      if (typeof pool?.numUsed !== 'function' || typeof pool.numFree !== 'function') return;
      const idle = pool.numFree();
      return poolCounts({
        totalCount: pool.numUsed() + idle,
        idleCount: idle,
        waitingCount: pool.numPendingAcquires?.(),
        max: pool.max,
      });
    },
  });
}

/**
 * A MikroORM instance, by default the one `@mikro-orm/nestjs` provides: passes when `SELECT 1`
 * answers on a connection borrowed from the driver's pool (the primary's, with read replicas);
 * a query given up on at the timeout has its connection destroyed, not returned to the pool.
 * Drivers without a Knex pool are checked with `orm.checkConnection()`.
 */
export class MikroOrmHealthIndicator extends BuiltInIndicator<MikroOrmIndicatorSettings> {
  static override readonly defaults = { name: 'mikro-orm', componentType: 'datastore' };
  static override readonly settingKeys = settingKeysOf<MikroOrmIndicatorSettings>(
    'client',
    'contextName',
    'query',
  );
  static override readonly peer: string = CORE;
  /** @internal */
  static override readonly discovery: Discovery<MikroOrmLike> = {
    kind: 'MikroORM',
    words: ['mikro', 'orm', 'mikroorm'],
    recognises: (value): value is MikroOrmLike =>
      isMikroOrm(value) &&
      ['isConnected', 'close', 'getSchemaGenerator'].every((method) => hasMethod(value, method)),
    notConnected,
  };

  static override locate(settings: Record<string, unknown>): ClientLocation {
    return ormLocation(this.name, NEST_MIKRO_ORM, settings);
  }

  private readonly pools = new PoolLenders(knexLender);
  /** Without a Knex pool, nothing can be cancelled: the connection check still running is waited for. */
  private readonly connectionCheck = new PendingCall<{ ok: boolean; reason?: string }>();

  protected override validate(settings: MikroOrmIndicatorSettings): void {
    const name = this.constructor.name;
    const expected = 'a MikroORM instance (MikroORM.init())';
    assertClient(name, settings.client, ['checkConnection'], expected);
    if (!isMikroOrm(settings.client)) {
      throw new Error(messages.badClient(name, expected, ['checkConnection'], settings.client));
    }
    assertOrmName(name, NEST_MIKRO_ORM, settings);
    assertQuery(name, settings.query);
  }

  async check(signal: AbortSignal): Promise<CheckResult> {
    signal.throwIfAborted();
    const orm = this.settings.client!;
    const knex = orm.em.getConnection('write').getKnex?.() as { client?: KnexClient } | undefined;
    const lender = this.pools.of(knex?.client);
    if (lender !== undefined) return pooledStatement(lender, statementOf(this.settings), signal);
    const outcome = await this.connectionCheck.join(() => orm.checkConnection(), signal);
    if (!outcome.ok) throw new Error(outcome.reason ?? 'checkConnection() failed');
    return {};
  }
}
