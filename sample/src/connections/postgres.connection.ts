import { Injectable, type OnModuleDestroy } from '@nestjs/common';
import pg from 'pg';

/**
 * The application's PostgreSQL pool, when DATABASE_URL is set. The health indicator borrows it:
 * no connection of its own. Ended in onModuleDestroy, which the health module holds back until
 * the shutdown delay is over.
 */
@Injectable()
export class PostgresConnection implements OnModuleDestroy {
  readonly pool: pg.Pool;

  constructor(url: string) {
    this.pool = new pg.Pool({ connectionString: url, max: 5, connectionTimeoutMillis: 2000 });
    // An idle client that loses its server emits 'error'; the indicator reports the outage.
    this.pool.on('error', () => undefined);
  }

  async onModuleDestroy(): Promise<void> {
    await this.pool.end();
  }
}
