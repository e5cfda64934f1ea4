import { Injectable } from '@nestjs/common';
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
export class DatabaseClient {
  private readonly tables: Tables = {
    orders: new Map(SEED_ORDERS.map((order) => [order.id, order])),
  };

  constructor(private readonly faults: FaultsService) {}

  async query<T>(
    select: (tables: Tables) => T,
    signal = AbortSignal.timeout(QUERY_TIMEOUT_MS),
  ): Promise<T> {
    await this.faults.roundTrip('database', signal);
    return select(this.tables);
  }

  /** The cheapest query there is (a `SELECT 1`): what a health check should send. */
  async ping(signal: AbortSignal): Promise<void> {
    await this.query(() => undefined, signal);
  }
}
