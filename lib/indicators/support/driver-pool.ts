import type { CheckResult } from '../../interfaces/health-check.interface.js';
import { MysqlHealthIndicator } from '../mysql.indicator.js';
import { PostgresHealthIndicator } from '../postgres.indicator.js';

/** What checks a pool: the PostgreSQL or MySQL indicator. */
type PoolCheck = { check(signal: AbortSignal): Promise<CheckResult> };

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null;

/** A pg `Pool`: what pg-pool has and a pg `Client` has not. */
const isPgPool = (pool: unknown): boolean =>
  isObject(pool) && typeof pool.connect === 'function' && typeof pool.totalCount === 'number';

/** A mysql2 pool, of the callback API or wrapped by `mysql2/promise`. */
const isMysqlPool = (pool: unknown): boolean =>
  isObject(pool) &&
  ((typeof pool.getConnection === 'function' && typeof pool.promise === 'function') ||
    (isObject(pool.pool) && typeof pool.pool.getConnection === 'function'));

/**
 * @internal The pg or mysql2 pool an ORM holds, checked by the PostgreSQL or MySQL indicator, so
 * that a check given up on leaves nothing in it (a request withdrawn, a hung connection
 * destroyed) and the pool's statistics are reported. One indicator per pool, made again when
 * the ORM replaces its pool (a data source destroyed and initialised again).
 */
export class DriverPool {
  private pool?: unknown;
  private indicator?: PoolCheck;

  constructor(private readonly query?: string) {}

  /** The check of `pool`, or undefined when it is neither a pg nor a mysql2 pool. */
  of(pool: unknown): PoolCheck | undefined {
    if (pool !== this.pool) {
      this.pool = pool;
      this.indicator = this.create(pool);
    }
    return this.indicator;
  }

  private create(pool: unknown): PoolCheck | undefined {
    const settings = { client: pool as never, query: this.query };
    try {
      if (isPgPool(pool)) return new PostgresHealthIndicator(settings);
      if (isMysqlPool(pool)) return new MysqlHealthIndicator(settings);
    } catch {
      // A pool of a driver copy this package cannot load: checked through the ORM instead.
    }
    return undefined;
  }
}
