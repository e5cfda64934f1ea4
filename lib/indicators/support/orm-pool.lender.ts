import type { ConnectionLender, Loan } from './pool-lender.js';

/**
 * @internal The pool of an ORM that lends raw driver connections (a pg `Client`, a mysql2
 * connection): Sequelize's connection manager, MikroORM's Knex pool. It cannot withdraw a request.
 */
export interface RawConnectionPool<C> {
  acquire(): Promise<C>;
  release(connection: C): void;
  /** Out of the pool, its socket closed: a query is stuck on it. */
  destroy(connection: C): void;
  /** `totalCount`, `idleCount`, `waitingCount`, `max`, as far as the pool tells. */
  details(): Record<string, number> | undefined;
}

type RawConnection = {
  query(sql: string, callback?: (error: unknown) => void): unknown;
  promise?: unknown;
};

/** Runs `sql` on a raw connection: mysql2's takes a callback, pg's returns a promise. */
function queryRaw(connection: unknown, sql: string): Promise<unknown> {
  const raw = connection as RawConnection;
  if (typeof raw.promise === 'function') {
    return new Promise((resolve, reject) =>
      raw.query(sql, (error) => (error ? reject(error) : resolve(undefined))),
    );
  }
  return Promise.resolve().then(() => raw.query(sql));
}

/** @internal Closes a raw connection's socket at once, whatever runs on it. */
export function closeRaw(connection: unknown): void {
  const raw = connection as {
    destroy?: () => void;
    stream?: { destroy?: () => void };
    end?: () => unknown;
  };
  if (typeof raw.destroy === 'function') {
    // mysql2: out of its pool, and the socket closed (destroy() alone only half-closes it).
    raw.destroy();
    raw.stream?.destroy?.();
    return;
  }
  // pg: end() destroys the socket when a query is running on it.
  Promise.resolve()
    .then(() => raw.end?.())
    .catch(() => undefined);
}

/** A pending acquisition, shared by the borrows that wait for it. */
interface Acquisition<C> {
  promise: Promise<C>;
  claimed: boolean;
}

/**
 * @internal Lends the connections of an ORM's pool with the hygiene of the pg and mysql2 lenders,
 * as far as such a pool allows: a borrow never adds a second request to the pool's queue (one
 * after a borrow given up on waits for the same request, and a connection that comes when no
 * borrow wants it goes back unused). A connection being opened cannot be withdrawn: the pool's
 * own timeouts end it.
 */
export class OrmPoolLender<C> implements ConnectionLender {
  private pending?: Acquisition<C>;

  constructor(private readonly pool: RawConnectionPool<C>) {}

  async borrow(signal: AbortSignal): Promise<Loan> {
    const connection = await this.acquire(signal);
    return {
      query: (sql) => queryRaw(connection, sql),
      release: () => this.pool.release(connection),
      destroy: () => this.pool.destroy(connection),
    };
  }

  details(): Record<string, number> | undefined {
    return this.pool.details();
  }

  private acquire(signal: AbortSignal): Promise<C> {
    const acquisition = this.pending ?? this.start();
    return new Promise((resolve, reject) => {
      const onAbort = () => reject(signal.reason);
      signal.addEventListener('abort', onAbort, { once: true });
      acquisition.promise.then(
        (connection) => {
          signal.removeEventListener('abort', onAbort);
          if (signal.aborted || acquisition.claimed) return;
          acquisition.claimed = true;
          resolve(connection);
        },
        (error: unknown) => {
          signal.removeEventListener('abort', onAbort);
          reject(error);
        },
      );
    });
  }

  private start(): Acquisition<C> {
    const acquisition: Acquisition<C> = {
      promise: Promise.resolve().then(() => this.pool.acquire()),
      claimed: false,
    };
    this.pending = acquisition;
    const settle = () => {
      if (this.pending === acquisition) this.pending = undefined;
    };
    acquisition.promise.then((connection) => {
      settle();
      // After every waiting borrow has had its turn: back to the pool when none took it.
      queueMicrotask(() => {
        if (!acquisition.claimed) this.pool.release(connection);
      });
    }, settle);
    return acquisition;
  }
}
