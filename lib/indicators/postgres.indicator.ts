// pg-pool's internals (`_clients`, `_pendingQueue`) are read, when present, to withdraw a request.
/* oxlint-disable no-underscore-dangle */
import type { CheckResult } from '../interfaces/health-check.interface.js';
import {
  BuiltInIndicator,
  abortable,
  assertClient,
  elapsed,
  assertQuery,
} from './support/built-in.indicator.js';

/*
 * The pg types are declared here, as far as the indicator uses them: `pg` is an optional peer,
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

/** A pg `Client` the application has connected, or any client checked out of a pool. */
export interface PgClient {
  query(text: string): Promise<unknown>;
}

/** Settings of `PostgresHealthIndicator`. */
export interface PostgresIndicatorSettings {
  /**
   * The application's own pg `Pool` or connected `Client`: the indicator opens no connection of
   * its own. Required (with `register()`, the injection token it is provided under).
   */
  client: PgPool | PgClient;
  /** The statement to run. Default `'SELECT 1'`. */
  query?: string;
}

const DEFAULT_QUERY = 'SELECT 1';

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

function isPool(client: unknown): client is PgPool {
  const pool = client as Partial<PgPool> | null;
  return (
    typeof pool === 'object' &&
    pool !== null &&
    typeof pool.connect === 'function' &&
    typeof pool.totalCount === 'number'
  );
}

/**
 * PostgreSQL through the application's pg `Pool` or `Client`: passes when `SELECT 1` answers.
 * From a pool it borrows a connection and gives it back; when the check times out, nothing it
 * started is left behind (see `check()`).
 */
export class PostgresHealthIndicator extends BuiltInIndicator<PostgresIndicatorSettings> {
  static override readonly defaults = { name: 'postgres', componentType: 'datastore' };
  static override readonly settingKeys = [
    'client',
    'query',
  ] satisfies readonly (keyof PostgresIndicatorSettings)[];
  static override readonly peer = 'pg';

  /**
   * The query still running on a single client. The next run waits for it instead of queueing
   * one more behind it: a client runs its queries one at a time, so a hung one would pile them up.
   */
  private inflight?: Promise<unknown>;

  protected override validate(settings: PostgresIndicatorSettings): void {
    const name = this.constructor.name;
    if (!isPool(settings.client)) {
      assertClient(name, settings.client, ['query'], 'a pg Pool or Client');
    }
    assertQuery(name, settings.query, DEFAULT_QUERY);
  }

  /**
   * From a pool: borrows a connection, runs the query, gives the connection back. When the signal
   * aborts while the pool is still looking for a connection, the request is withdrawn (a place in
   * its queue, or the connection being opened for it, which would otherwise hang on a server that
   * does not answer); a connection that comes all the same goes back to the pool unused. When it
   * aborts during the query, the connection is destroyed: the query is stuck on it.
   */
  async check(signal: AbortSignal): Promise<CheckResult> {
    signal.throwIfAborted();
    const { client } = this.settings;
    const query = this.settings.query ?? DEFAULT_QUERY;
    const started = performance.now();
    if (!isPool(client)) {
      await abortable(this.shared(client, query), signal).catch((error: unknown) => {
        throw failed(query, error);
      });
      return { observedValue: elapsed(started), observedUnit: 'ms' };
    }
    const borrowed = await acquire(client, signal).catch((error: unknown) => {
      throw new Error('could not get a connection from the pool', { cause: error });
    });
    let destroy = false;
    let latencyMs: number;
    try {
      // Dead on arrival: its own error (a FATAL one), not pg's "not queryable".
      if (borrowed.error !== undefined) throw borrowed.error;
      await abortable(borrowed.client.query(query), signal);
      latencyMs = elapsed(started);
    } catch (error) {
      destroy = signal.aborted;
      throw failed(query, error);
    } finally {
      borrowed.giveBack(destroy);
    }
    return { observedValue: latencyMs, observedUnit: 'ms', details: poolDetails(client) };
  }

  private shared(client: PgClient, query: string): Promise<unknown> {
    return (this.inflight ??= Promise.resolve()
      .then(() => client.query(query))
      .finally(() => (this.inflight = undefined)));
  }
}

function failed(query: string, cause: unknown): Error {
  return new Error(`${query} failed`, { cause });
}

function poolDetails(pool: PgPool): Record<string, number> {
  const { totalCount, idleCount, waitingCount } = pool;
  const max = (pool as PgPoolInternals).options?.max;
  return typeof max === 'number'
    ? { totalCount, idleCount, waitingCount, max }
    : { totalCount, idleCount, waitingCount };
}

/** A client borrowed from the pool, listened to until it is given back. */
interface Borrowed {
  client: PgPoolClient;
  /** The first error the client emitted while the check held it. */
  error?: unknown;
  /** Back to the pool (destroyed with `destroy`, or after an error); the listener removed. */
  giveBack(destroy: boolean): void;
}

/**
 * pg-pool listens to a client's `error` only while the client sits in the pool: one handed out
 * has no listener, and an error it emits then (a FATAL message read in the same chunk as the
 * ReadyForQuery of a new connection, a socket reset during the query) crashes the process. So
 * the listener goes on in pg-pool's callback, before the rest of that chunk is read, and comes
 * off once the client is back with pg-pool, which listens again: none is left on the app's client.
 */
function borrow(client: PgPoolClient): Borrowed {
  const onError = (error: Error) => (borrowed.error ??= error);
  const borrowed: Borrowed = {
    client,
    giveBack: (destroy) => {
      client.release(destroy || borrowed.error !== undefined);
      client.removeListener?.('error', onError);
    },
  };
  client.on?.('error', onError);
  return borrowed;
}

/** A client from the pool, or a rejection when the signal aborts first (the request withdrawn). */
function acquire(pool: PgPool, signal: AbortSignal): Promise<Borrowed> {
  return new Promise((resolve, reject) => {
    const internals = pool as PgPoolInternals;
    const clientsBefore = Array.isArray(internals._clients) ? internals._clients.length : -1;
    let opening: OpeningClient | undefined;
    let abandoned = false;
    const onAbort = () => {
      abandoned = true;
      reject(signal.reason);
      withdraw(internals, callback, opening);
    };
    const callback = (error: Error | undefined, client: PgPoolClient | undefined) => {
      if (abandoned) {
        // It came after all, healthy: back to the pool, unused (as pg-pool itself does with a
        // client that comes after its connectionTimeoutMillis).
        client?.release();
        return;
      }
      signal.removeEventListener('abort', onAbort);
      if (error || !client) reject(error ?? new Error('the pool gave no client'));
      else resolve(borrow(client));
    };
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      pool.connect(callback);
    } catch (error) {
      signal.removeEventListener('abort', onAbort);
      reject(error);
      return;
    }
    // pg-pool opens a new client synchronously, as the last of its clients.
    const clients = internals._clients;
    if (clientsBefore >= 0 && Array.isArray(clients) && clients.length > clientsBefore) {
      opening = clients[clients.length - 1] as OpeningClient;
    }
  });
}

/**
 * Withdraws a request for a client: out of pg-pool's queue, or the connection being opened for it
 * closed as pg-pool closes one on its own `connectionTimeoutMillis` (the pool then forgets it and
 * serves its queue). Without those internals, the client is released when it comes.
 */
function withdraw(internals: PgPoolInternals, callback: unknown, opening?: OpeningClient): void {
  const queue = internals._pendingQueue;
  if (Array.isArray(queue)) {
    const index = queue.findIndex(
      (item: unknown) => (item as { callback?: unknown } | null)?.callback === callback,
    );
    if (index !== -1) {
      queue.splice(index, 1);
      return;
    }
  }
  const stream = opening?.connection?.stream;
  if (opening?._connected === false && typeof stream?.destroy === 'function') stream.destroy();
}
