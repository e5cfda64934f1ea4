// pg-pool's internals (`_clients`, `_pendingQueue`) are read, when present, to withdraw a request.
/* oxlint-disable no-underscore-dangle */
import { borrowWithdrawing, poolCounts, type ConnectionLender, type Loan } from './pool-lender.js';

/*
 * The pg types are declared here, as far as the indicators use them: `pg` is an optional peer,
 * so the library imports nothing from it, not even types.
 */

/** A client checked out of a pg `Pool`. */
export interface PgPoolClient {
  query(text: string): Promise<unknown>;
  /** Back to the pool; with `true` (or an error), the connection is destroyed instead. */
  release(destroy?: boolean | Error): void;
  /** Listened to while the check holds the client. */
  on?(event: 'error', listener: (error: Error) => void): unknown;
  removeListener?(event: 'error', listener: (error: Error) => void): unknown;
}

/** A pg `Pool` (`new pg.Pool()`). */
export interface PgPool {
  connect(
    callback: (
      error: Error | undefined,
      client: PgPoolClient | undefined,
      done: (release?: unknown) => void,
    ) => void,
  ): void;
  readonly totalCount: number;
  readonly idleCount: number;
  readonly waitingCount: number;
}

/** pg-pool's internals, read only when they are there, to withdraw a request given up on. */
interface PgPoolInternals {
  _clients?: unknown;
  _pendingQueue?: unknown;
  options?: { max?: unknown };
}

/** A pg `Client` still being opened by the pool. */
interface OpeningClient {
  _connected?: unknown;
  connection?: { stream?: { destroy?: () => void } };
}

/** @internal A pg `Pool`: what pg-pool has and a pg `Client` has not. */
export function isPgPool(client: unknown): client is PgPool {
  const pool = client as Partial<PgPool> | null;
  return (
    typeof pool === 'object' &&
    pool !== null &&
    typeof pool.connect === 'function' &&
    typeof pool.totalCount === 'number'
  );
}

/**
 * pg-pool listens to a client's `error` only while the client sits in the pool: one handed out
 * has no listener, and an error it emits then (a FATAL message read in the same chunk as the
 * ReadyForQuery of a new connection, a socket reset during the query) crashes the process. So
 * the listener goes on in pg-pool's callback, before the rest of that chunk is read, and comes
 * off once the client is back with pg-pool, which listens again: none is left on the app's client.
 */
function lend(client: PgPoolClient): Loan {
  let failure: Error | undefined;
  const onError = (error: Error) => (failure ??= error);
  const giveBack = ({ destroy }: { destroy: boolean }) => {
    client.release(destroy || failure !== undefined);
    client.removeListener?.('error', onError);
  };
  client.on?.('error', onError);
  return {
    // Dead on arrival: its own error (a FATAL one), not pg's "not queryable".
    query: (sql) => (failure === undefined ? client.query(sql) : Promise.reject(failure)),
    release: () => giveBack({ destroy: false }),
    destroy: () => giveBack({ destroy: true }),
  };
}

/**
 * @internal The lender of a pg `Pool`. A request given up on is withdrawn: out of pg-pool's
 * queue, or the connection being opened for it closed as pg-pool closes one on its own
 * `connectionTimeoutMillis` (which would otherwise hang on a server that does not answer).
 */
export function pgPoolLender(pool: PgPool): ConnectionLender {
  const internals = pool as PgPoolInternals;
  const clients = () => (Array.isArray(internals._clients) ? internals._clients : undefined);
  const withdrawable = {
    request: (callback: (error: unknown, client?: PgPoolClient) => void) => pool.connect(callback),
    size: () => clients()?.length,
    newest: () => clients()?.at(-1) as PgPoolClient | undefined,
    dequeue: (callback: unknown) => {
      const queue = internals._pendingQueue;
      const index = Array.isArray(queue)
        ? queue.findIndex((item: { callback?: unknown } | null) => item?.callback === callback)
        : -1;
      if (index !== -1) (queue as unknown[]).splice(index, 1);
      return index !== -1;
    },
    closeOpening: (client: PgPoolClient) => {
      const opening = client as OpeningClient;
      const stream = opening.connection?.stream;
      if (opening._connected === false && typeof stream?.destroy === 'function') stream.destroy();
    },
    returnUnused: (client: PgPoolClient) => client.release(),
    lend,
  };
  return {
    borrow: (signal) => borrowWithdrawing(withdrawable, signal),
    details: () => {
      const { totalCount, idleCount, waitingCount } = pool;
      return poolCounts({ totalCount, idleCount, waitingCount, max: internals.options?.max });
    },
  };
}
