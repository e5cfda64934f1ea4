import { mysqlCore, mysqlPoolLender } from './mysql-pool.js';
import { isPgPool, pgPoolLender } from './pg-pool.js';
import type { ConnectionLender } from './pool-lender.js';

/**
 * @internal The lender of the pg or mysql2 pool an ORM holds (TypeORM's driver, Drizzle's
 * `$client`), so that a check given up on leaves nothing in it (a request withdrawn, a hung
 * connection destroyed) and the pool's counts are reported; undefined for any other pool.
 */
export function driverPoolLender(pool: unknown): ConnectionLender | undefined {
  if (isPgPool(pool)) return pgPoolLender(pool);
  const mysql = mysqlCore(pool);
  return mysql !== undefined && 'pool' in mysql ? mysqlPoolLender(mysql.pool) : undefined;
}

/**
 * @internal The lender of a pool an ORM holds, made again when the ORM replaces its pool (a data
 * source destroyed and initialised again): one lender per pool, so that what it shares between
 * checks (a pending acquisition) stays with that pool.
 */
export class PoolLenders<P> {
  private pool?: P;
  private lender?: ConnectionLender;

  constructor(private readonly lenderOf: (pool: P) => ConnectionLender | undefined) {}

  /** The lender of `pool`, or undefined when it has none. */
  of(pool: P): ConnectionLender | undefined {
    if (pool !== this.pool || this.lender === undefined) {
      this.pool = pool;
      this.lender = this.lenderOf(pool);
    }
    return this.lender;
  }
}
