import { Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';
import { FaultsService } from '../faults/faults.service.js';
import type { Order } from '../orders/order.model.js';
import { SEED_ORDERS } from './database.seed.js';

/** The tables of the in-memory database. */
export interface Tables {
  readonly orders: ReadonlyMap<string, Order>;
}

/** A driver gives up on a query at some point; without this a `slow` database would hang requests. */
const QUERY_TIMEOUT_MS = 2000;

/**
 * Stands in for a database driver, so the sample needs no server. Every query makes a simulated
 * round trip first, which is where a fault strikes.
 */
@Injectable()
export class DatabaseClient implements OnModuleDestroy {
  private readonly logger = new Logger(DatabaseClient.name);
  private connected = true;
  private readonly tables: Tables = {
    orders: new Map(SEED_ORDERS.map((order) => [order.id, order])),
  };

  constructor(private readonly faults: FaultsService) {}

  async query<T>(
    select: (tables: Tables) => T,
    signal = AbortSignal.timeout(QUERY_TIMEOUT_MS),
  ): Promise<T> {
    if (!this.connected) throw new Error('connection closed');
    await this.faults.roundTrip('database', signal);
    return select(this.tables);
  }

  /**
   * Like a real pool's end(): from here on every query fails. The health module's shutdown delay
   * keeps this from running while the load balancer still sends requests.
   */
  onModuleDestroy(): void {
    this.connected = false;
    this.logger.log(`Database connection closed at ${Date.now()}`);
  }

  /** The cheapest query there is (a `SELECT 1`): what a health check should send. */
  async ping(signal: AbortSignal): Promise<void> {
    await this.query(() => undefined, signal);
  }
}
