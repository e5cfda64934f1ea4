import type { CheckResult } from '../../interfaces/health-check.interface.js';
import { abortable } from './client-call.js';
import { statementFailed } from './sql-statement.js';

/** @internal A connection borrowed from a pool, until it is given back. */
export interface Loan {
  query(sql: string): Promise<unknown>;
  /** Back to the pool, to be lent again. */
  release(): void;
  /** Out of the pool, its socket closed: a statement is stuck on it. */
  destroy(): void;
}

/**
 * @internal A pool a SQL indicator borrows one connection from for each statement: the
 * application's pg or mysql2 pool, an ORM's.
 */
export interface ConnectionLender {
  /** A connection; rejects when `signal` aborts first, leaving no request of its own queued. */
  borrow(signal: AbortSignal): Promise<Loan>;
  /** `totalCount`, `idleCount`, `waitingCount`, `max`, as far as the pool tells. */
  details(): Record<string, number> | undefined;
}

/**
 * @internal The counts a pool tells (`totalCount`, `idleCount`, `waitingCount`, `max`): those
 * that are numbers, or undefined when none is.
 */
export function poolCounts(counts: Record<string, unknown>): Record<string, number> | undefined {
  const known = Object.entries(counts).filter(([, value]) => typeof value === 'number');
  return known.length > 0 ? (Object.fromEntries(known) as Record<string, number>) : undefined;
}

/**
 * @internal Borrows a connection, runs `query` on it and gives it back, or destroys it when the
 * check gives up on the query (the query is stuck on it). Passes with the pool's counts; the
 * runner reports how long it took.
 */
export async function pooledStatement(
  lender: ConnectionLender,
  query: string,
  signal: AbortSignal,
): Promise<CheckResult> {
  signal.throwIfAborted();
  const loan = await lender.borrow(signal).catch((error: unknown) => {
    throw new Error('could not get a connection from the pool', { cause: error });
  });
  let stuck = false;
  try {
    await abortable(loan.query(query), signal);
  } catch (error) {
    stuck = signal.aborted;
    throw statementFailed(query, error);
  } finally {
    if (stuck) loan.destroy();
    else loan.release();
  }
  const details = lender.details();
  return details === undefined ? {} : { details };
}

/**
 * @internal A pool whose request for a connection can be withdrawn (pg-pool, mysql2): out of its
 * queue, or the connection being opened for it closed, through internals read only when they are
 * there. A connection that comes all the same goes back unused.
 */
export interface WithdrawablePool<C> {
  /** Asks for a connection: the pool calls `callback` with it, or with an error. */
  request(callback: (error: unknown, connection?: C) => void): void;
  /** How many connections it has, where it tells: one it opens for a request comes last, at once. */
  size(): number | undefined;
  /** The last of its connections. */
  newest(): C | undefined;
  /** Takes the request of `callback` out of its queue; false when it is not queued there. */
  dequeue(callback: unknown): boolean;
  /** Closes a connection still being opened; the pool forgets it and serves its queue. */
  closeOpening(connection: C): void;
  /** A connection that came after its request was withdrawn: back to the pool, unused. */
  returnUnused(connection: C): void;
  /** The loan of a connection handed over, made within the pool's callback. */
  lend(connection: C): Loan;
}

/** @internal A connection from the pool, or a rejection when the signal aborts first (withdrawn). */
export function borrowWithdrawing<C>(
  pool: WithdrawablePool<C>,
  signal: AbortSignal,
): Promise<Loan> {
  return new Promise((resolve, reject) => {
    const before = pool.size();
    let opening: C | undefined;
    let withdrawn = false;
    const onAbort = () => {
      withdrawn = true;
      reject(signal.reason);
      if (!pool.dequeue(callback) && opening !== undefined) pool.closeOpening(opening);
    };
    const callback = (error: unknown, connection?: C) => {
      if (withdrawn) {
        // It came after all, healthy: back to the pool, unused (as pg-pool itself does with a
        // client that comes after its connectionTimeoutMillis).
        if (connection !== undefined && connection !== null) pool.returnUnused(connection);
        return;
      }
      signal.removeEventListener('abort', onAbort);
      if (error || connection === undefined || connection === null) {
        reject(error ?? new Error('the pool gave no connection'));
      } else resolve(pool.lend(connection));
    };
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      pool.request(callback);
    } catch (error) {
      signal.removeEventListener('abort', onAbort);
      reject(error);
      return;
    }
    // pg-pool and mysql2 open a new connection synchronously, as the last of their connections.
    const after = pool.size();
    if (before !== undefined && after !== undefined && after > before) opening = pool.newest();
  });
}
