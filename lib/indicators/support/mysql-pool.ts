// mysql2's internals (`_allConnections`...) are read, when present, for details and to withdraw a
// request.
/* oxlint-disable no-underscore-dangle */
import { borrowWithdrawing, poolCounts, type ConnectionLender } from './pool-lender.js';
import { hasMethod } from './setting.rules.js';

/*
 * The mysql2 types are declared here, as far as the indicators use them: `mysql2` is an optional
 * peer, so the library imports nothing from it, not even types.
 */

/** @internal A connection of mysql2's callback API, as the indicators call it. */
export interface CoreConnection {
  query(options: { sql: string }, callback: (error: unknown) => void): unknown;
}

/** A connection checked out of a mysql2 pool. */
interface CorePoolConnection extends CoreConnection {
  release(): void;
  destroy(): void;
  stream?: { destroy?: () => void };
}

/** @internal A pool of mysql2's callback API. */
export interface CorePool {
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

/** @internal What a mysql2 client of either API works through: a callback pool or connection. */
export type MysqlCore = { pool: CorePool } | { connection: CoreConnection };

/**
 * @internal The callback object to work with: the client itself (callback API), or the one a
 * promise-API client wraps (`pool.pool` of a promise pool, `connection.connection` of a promise
 * connection); undefined for anything else.
 */
export function mysqlCore(client: unknown): MysqlCore | undefined {
  const { pool, connection } = (client ?? {}) as { pool?: unknown; connection?: unknown };
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

/** @internal Runs `sql` on a connection of mysql2's callback API. */
export function queryConnection(connection: CoreConnection, sql: string): Promise<void> {
  return new Promise((resolve, reject) => {
    connection.query({ sql }, (error) => (error ? reject(error) : resolve()));
  });
}

/** Out of the pool, and its socket closed at once (`destroy()` alone only half-closes it). */
function close(connection: CorePoolConnection): void {
  connection.destroy();
  connection.stream?.destroy?.();
}

/**
 * @internal The lender of a mysql2 pool. A request given up on is withdrawn: out of mysql2's
 * queue, or the connection being opened for it closed (which would otherwise wait for a server
 * that does not answer until mysql2's connectTimeout).
 */
export function mysqlPoolLender(pool: CorePool): ConnectionLender {
  const internals = pool as PoolInternals;
  const withdrawable = {
    request: (callback: (error: unknown, connection?: CorePoolConnection) => void) =>
      pool.getConnection(callback),
    size: () => {
      const all = internals._allConnections;
      return typeof all?.length === 'number' && typeof all.get === 'function'
        ? all.length
        : undefined;
    },
    newest: () => {
      const all = internals._allConnections as RingQueue;
      return all.get(all.length - 1) as CorePoolConnection;
    },
    dequeue: (callback: unknown) => {
      const queue = internals._connectionQueue;
      if (typeof queue?.get !== 'function' || typeof queue.removeOne !== 'function') return false;
      for (let i = 0; i < (queue.length ?? 0); i++) {
        if (queue.get(i) === callback) {
          queue.removeOne(i);
          return true;
        }
      }
      return false;
    },
    closeOpening: (connection: CorePoolConnection) => {
      if (typeof connection.destroy === 'function') close(connection);
    },
    returnUnused: (connection: CorePoolConnection) => connection.release(),
    lend: (connection: CorePoolConnection) => ({
      query: (sql: string) => queryConnection(connection, sql),
      // A connection that failed for good has already left the pool: release() is then a no-op.
      release: () => connection.release(),
      destroy: () => close(connection),
    }),
  };
  return {
    borrow: (signal) => borrowWithdrawing(withdrawable, signal),
    details: () =>
      poolCounts({
        totalCount: internals._allConnections?.length,
        idleCount: internals._freeConnections?.length,
        waitingCount: internals._connectionQueue?.length,
        max: internals.config?.connectionLimit,
      }),
  };
}
