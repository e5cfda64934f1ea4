import type { CheckResult } from '../../interfaces/health-check.interface.js';
import { abortable, elapsed } from './built-in.indicator.js';

/**
 * @internal The pool of an ORM that lends raw driver connections (a pg `Client`, a mysql2
 * connection): Sequelize's connection manager, MikroORM's Knex pool.
 */
export interface ConnectionLender<C> {
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
function run(connection: unknown, sql: string): Promise<unknown> {
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

/** A pending acquisition, shared by the runs that wait for it. */
interface Acquisition<C> {
  promise: Promise<C>;
  claimed: boolean;
}

/**
 * @internal Borrows a connection from an ORM's pool, runs the query on it and gives it back, with
 * the PostgreSQL indicator's hygiene as far as such a pool allows: a run never adds a second
 * request to the pool's queue (a run after one that timed out waits for the same request, and a
 * connection that comes when no run wants it goes back unused); a connection whose query is given
 * up on is destroyed, not returned. A connection being opened cannot be withdrawn: the pool's own
 * timeouts end it.
 */
export class PooledQuery<C> {
  private pending?: Acquisition<C>;

  async check(lender: ConnectionLender<C>, query: string, signal: AbortSignal) {
    const started = performance.now();
    const connection = await this.acquire(lender, signal).catch((error: unknown) => {
      throw new Error('could not get a connection from the pool', { cause: error });
    });
    let destroy = false;
    let latencyMs: number;
    try {
      await abortable(run(connection, query), signal);
      latencyMs = elapsed(started);
    } catch (error) {
      destroy = signal.aborted;
      throw new Error(`${query} failed`, { cause: error });
    } finally {
      if (destroy) lender.destroy(connection);
      else lender.release(connection);
    }
    const result: CheckResult = { observedValue: latencyMs, observedUnit: 'ms' };
    const details = lender.details();
    return details ? { ...result, details } : result;
  }

  private acquire(lender: ConnectionLender<C>, signal: AbortSignal): Promise<C> {
    const acquisition = this.pending ?? this.start(lender);
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

  private start(lender: ConnectionLender<C>): Acquisition<C> {
    const acquisition: Acquisition<C> = {
      promise: Promise.resolve().then(() => lender.acquire()),
      claimed: false,
    };
    this.pending = acquisition;
    const settle = () => {
      if (this.pending === acquisition) this.pending = undefined;
    };
    acquisition.promise.then((connection) => {
      settle();
      // After every waiting run has had its turn: back to the pool when none took it.
      queueMicrotask(() => {
        if (!acquisition.claimed) lender.release(connection);
      });
    }, settle);
    return acquisition;
  }
}
