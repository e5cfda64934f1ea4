// mysql2's internals (`_allConnections`...) are read, when present, for details and to withdraw a
// request.
/* oxlint-disable no-underscore-dangle */
import { messages } from '../health.messages.js';
import type { CheckResult } from '../interfaces/health-check.interface.js';
import {
  BuiltInIndicator,
  abortable,
  assertClient,
  elapsed,
  assertQuery,
} from './support/built-in.indicator.js';

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
export interface MysqlIndicatorSettings {
  /**
   * The application's own mysql2 pool or connection, of either API: the indicator opens no
   * connection of its own. Required (with `register()`, the injection token it is provided under).
   */
  client: MysqlCallbackClient | MysqlPromiseClient;
  /** The statement to run. Default `'SELECT 1'`. */
  query?: string;
}

const DEFAULT_QUERY = 'SELECT 1';

/** A connection of mysql2's callback API, as the indicator calls it. */
interface CoreConnection {
  query(options: { sql: string }, callback: (error: unknown) => void): unknown;
}

/** A connection checked out of a mysql2 pool. */
interface CorePoolConnection extends CoreConnection {
  release(): void;
  destroy(): void;
  stream?: { destroy?: () => void };
}

interface CorePool {
  getConnection(callback: (error: unknown, connection?: CorePoolConnection) => void): void;
}

/** mysql2's queues (`_allConnections`...), read only when they are there. */
interface RingQueue {
  readonly length: number;
  get(index: number): unknown;
  removeOne(index: number): unknown;
}

interface PoolInternals {
  _allConnections?: Partial<RingQueue>;
  _freeConnections?: Partial<RingQueue>;
  _connectionQueue?: Partial<RingQueue>;
  config?: { connectionLimit?: unknown };
}

type Target = { pool: CorePool } | { connection: CoreConnection };

const hasMethod = (value: unknown, method: string): boolean =>
  (typeof value === 'object' || typeof value === 'function') &&
  value !== null &&
  typeof (value as Record<string, unknown>)[method] === 'function';

/**
 * The callback object to work with: the client itself (callback API), or the one a promise-API
 * client wraps (`pool.pool` of a promise pool, `connection.connection` of a promise connection).
 */
function target(client: unknown): Target | undefined {
  const { pool, connection } = client as { pool?: unknown; connection?: unknown };
  const core = hasMethod(client, 'promise')
    ? client
    : hasMethod(pool, 'getConnection') && hasMethod(pool, 'promise')
      ? pool
      : hasMethod(connection, 'query') && hasMethod(connection, 'promise')
        ? connection
        : undefined;
  if (core === undefined || !hasMethod(core, 'query')) return undefined;
  return hasMethod(core, 'getConnection')
    ? { pool: core as CorePool }
    : { connection: core as CoreConnection };
}

/**
 * MySQL or MariaDB through the application's mysql2 pool or connection (callback or promise
 * API): passes when `SELECT 1` answers. From a pool it borrows a connection and gives it back;
 * when the check times out, nothing it started is left behind (see `check()`).
 */
export class MysqlHealthIndicator extends BuiltInIndicator<MysqlIndicatorSettings> {
  static override readonly defaults = { name: 'mysql', componentType: 'datastore' };
  static override readonly settingKeys = [
    'client',
    'query',
  ] satisfies readonly (keyof MysqlIndicatorSettings)[];
  static override readonly peer = 'mysql2';

  private readonly target: Target;
  /**
   * The query still running on a single connection. The next run waits for it instead of
   * queueing one more behind it: a connection runs its queries one at a time.
   */
  private inflight?: Promise<void>;

  constructor(settings: MysqlIndicatorSettings) {
    super(settings);
    this.target = target(settings.client)!;
  }

  protected override validate(settings: MysqlIndicatorSettings): void {
    const name = this.constructor.name;
    const expected = 'a mysql2 pool or connection, of "mysql2" or "mysql2/promise"';
    assertClient(name, settings.client, ['query'], expected);
    if (target(settings.client) === undefined) {
      throw new Error(
        `${messages.badClient(name, expected, ['query', 'promise'], settings.client)} For another SQL client, use SqlHealthIndicator.`,
      );
    }
    assertQuery(name, settings.query, DEFAULT_QUERY);
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
    const query = this.settings.query ?? DEFAULT_QUERY;
    const started = performance.now();
    if ('connection' in this.target) {
      const { connection } = this.target;
      const running = (this.inflight ??= run(connection, query).finally(
        () => (this.inflight = undefined),
      ));
      await abortable(running, signal).catch((error: unknown) => {
        throw failed(query, error);
      });
      return { observedValue: elapsed(started), observedUnit: 'ms' };
    }
    const { pool } = this.target;
    const connection = await acquire(pool, signal).catch((error: unknown) => {
      throw new Error('could not get a connection from the pool', { cause: error });
    });
    let destroy = false;
    let latencyMs: number;
    try {
      await abortable(run(connection, query), signal);
      latencyMs = elapsed(started);
    } catch (error) {
      destroy = signal.aborted;
      throw failed(query, error);
    } finally {
      if (destroy) close(connection);
      // A connection that failed for good has already left the pool: release() is then a no-op.
      else connection.release();
    }
    return { observedValue: latencyMs, observedUnit: 'ms', details: poolDetails(pool) };
  }
}

function failed(query: string, cause: unknown): Error {
  return new Error(`${query} failed`, { cause });
}

function run(connection: CoreConnection, sql: string): Promise<void> {
  return new Promise((resolve, reject) => {
    connection.query({ sql }, (error) => (error ? reject(error) : resolve()));
  });
}

/** Out of the pool, and its socket closed at once (`destroy()` alone only half-closes it). */
function close(connection: CorePoolConnection): void {
  connection.destroy();
  connection.stream?.destroy?.();
}

function poolDetails(pool: CorePool): Record<string, number> | undefined {
  const internals = pool as PoolInternals;
  const details: Record<string, number> = {};
  const counts = {
    totalCount: internals._allConnections?.length,
    idleCount: internals._freeConnections?.length,
    waitingCount: internals._connectionQueue?.length,
    max: internals.config?.connectionLimit,
  };
  for (const [key, value] of Object.entries(counts)) {
    if (typeof value === 'number') details[key] = value;
  }
  return Object.keys(details).length > 0 ? details : undefined;
}

/** A connection from the pool, or a rejection when the signal aborts first (the request withdrawn). */
function acquire(pool: CorePool, signal: AbortSignal): Promise<CorePoolConnection> {
  return new Promise((resolve, reject) => {
    const internals = pool as PoolInternals;
    const all = internals._allConnections;
    const before = typeof all?.length === 'number' ? all.length : -1;
    let opening: CorePoolConnection | undefined;
    let abandoned = false;
    const onAbort = () => {
      abandoned = true;
      reject(signal.reason);
      withdraw(internals, callback, opening);
    };
    const callback = (error: unknown, connection?: CorePoolConnection) => {
      if (abandoned) {
        // It came after all, healthy: back to the pool, unused.
        connection?.release();
        return;
      }
      signal.removeEventListener('abort', onAbort);
      if (error || !connection) reject(error ?? new Error('the pool gave no connection'));
      else resolve(connection);
    };
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      pool.getConnection(callback);
    } catch (error) {
      signal.removeEventListener('abort', onAbort);
      reject(error);
      return;
    }
    // mysql2 opens a new connection synchronously, as the last of all its connections.
    if (before >= 0 && typeof all?.get === 'function' && (all.length ?? 0) > before) {
      opening = all.get(all.length! - 1) as CorePoolConnection;
    }
  });
}

/**
 * Withdraws a request for a connection: out of mysql2's queue, or the connection being opened
 * for it closed (which also takes it out of the pool). Without those internals, the connection
 * is released when it comes.
 */
function withdraw(internals: PoolInternals, callback: unknown, opening?: CorePoolConnection): void {
  const queue = internals._connectionQueue;
  if (typeof queue?.get === 'function' && typeof queue.removeOne === 'function') {
    for (let i = 0; i < (queue.length ?? 0); i++) {
      if (queue.get(i) === callback) {
        queue.removeOne(i);
        return;
      }
    }
  }
  if (opening && typeof opening.destroy === 'function') close(opening);
}
