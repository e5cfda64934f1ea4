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
import { PooledQuery, closeRaw, type ConnectionLender } from './support/orm-pool.lender.js';

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

const DEFAULT_QUERY = 'SELECT 1';
const CORE = '@mikro-orm/core';

/** Knex's client and its tarn pool, as far as the indicator uses them. */
interface KnexLike {
  client?: {
    acquireConnection?(): Promise<unknown>;
    releaseConnection(connection: unknown): Promise<unknown>;
    pool?: {
      numUsed?(): number;
      numFree?(): number;
      numPendingAcquires?(): number;
      max?: unknown;
    };
  };
}

function assertName(indicator: string, name: unknown): void {
  if (name !== undefined && (typeof name !== 'string' || !name.trim())) {
    const valid = 'the contextName of a @mikro-orm/nestjs connection';
    throw new Error(messages.badSetting(indicator, 'contextName', name, valid));
  }
}

/** The Knex pool of a SQL driver, as a lender of raw connections; undefined without one. */
function lenderOf(connection: MikroOrmConnectionLike): ConnectionLender<unknown> | undefined {
  const client = (connection.getKnex?.() as KnexLike | undefined)?.client;
  if (typeof client?.acquireConnection !== 'function') return undefined;
  const release = (raw: unknown) => void client.releaseConnection(raw).catch(() => undefined);
  return {
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
      const details: Record<string, number> = {
        totalCount: pool.numUsed() + idle,
        idleCount: idle,
      };
      if (typeof pool.numPendingAcquires === 'function') {
        details.waitingCount = pool.numPendingAcquires();
      }
      if (typeof pool.max === 'number') details.max = pool.max;
      return details;
    },
  };
}

/**
 * A MikroORM instance, by default the one `@mikro-orm/nestjs` provides: passes when `SELECT 1`
 * answers on a connection borrowed from the driver's pool (the primary's, with read replicas);
 * a query given up on at the timeout has its connection destroyed, not returned to the pool.
 * Drivers without a Knex pool are checked with `orm.checkConnection()`.
 */
export class MikroOrmHealthIndicator extends BuiltInIndicator<MikroOrmIndicatorSettings> {
  static override readonly defaults = { name: 'mikro-orm', componentType: 'datastore' };
  static override readonly settingKeys = [
    'client',
    'contextName',
    'query',
  ] satisfies readonly (keyof MikroOrmIndicatorSettings)[];
  static override readonly peer: string = CORE;

  /**
   * The token `@mikro-orm/nestjs` provides the ORM under: the `MikroORM` class, or
   * `<contextName>_MikroORM` for a named connection (its `getMikroORMToken()`).
   */
  static override locate(settings: Record<string, unknown>): ClientLocation {
    const name = settings.contextName;
    const named = typeof name === 'string';
    return {
      package: CORE,
      token: async () => {
        assertName(this.name, name);
        if (named) return `${name}_MikroORM`;
        const core = (await import(CORE)) as { MikroORM: InjectionToken };
        return core.MikroORM;
      },
      missing:
        `the application provides no MikroORM${named ? ` with contextName "${name}"` : ''}. ` +
        `Import MikroOrmModule.forRoot(${named ? `{ contextName: '${name}', ... }` : ''}) (or forRootAsync()) from @mikro-orm/nestjs in the application, ` +
        `${named ? 'correct "contextName", ' : ''}or pass the injection token of your MikroORM as "client".`,
    };
  }

  private readonly pooled = new PooledQuery<unknown>();

  protected override validate(settings: MikroOrmIndicatorSettings): void {
    const name = this.constructor.name;
    const expected = 'a MikroORM instance (MikroORM.init())';
    assertClient(name, settings.client, ['checkConnection'], expected);
    if (typeof settings.client?.em?.getConnection !== 'function') {
      throw new Error(messages.badClient(name, expected, ['checkConnection'], settings.client));
    }
    assertName(name, settings.contextName);
    assertQuery(name, settings.query, DEFAULT_QUERY);
  }

  async check(signal: AbortSignal): Promise<CheckResult> {
    signal.throwIfAborted();
    const orm = this.settings.client!;
    const query = this.settings.query ?? DEFAULT_QUERY;
    const lender = lenderOf(orm.em.getConnection('write'));
    if (lender) return this.pooled.check(lender, query, signal);
    const started = performance.now();
    const outcome = await abortable(
      this.singleFlight(() => orm.checkConnection()),
      signal,
    );
    if (!outcome.ok) throw new Error(outcome.reason ?? 'checkConnection() failed');
    return { observedValue: elapsed(started), observedUnit: 'ms' };
  }
}
