import { Injectable, ServiceUnavailableException } from '@nestjs/common';
import { CacheClient } from '../cache/cache.client.js';
import { DatabaseClient } from '../database/database.client.js';
import type { Order } from './order.model.js';

const CACHE_TTL_MS = 30_000;

@Injectable()
export class OrdersRepository {
  constructor(
    private readonly database: DatabaseClient,
    private readonly cache: CacheClient,
  ) {}

  findAll(): Promise<Order[]> {
    return this.readThrough('orders', () =>
      this.database.query(({ orders }) => [...orders.values()]),
    );
  }

  findById(id: string): Promise<Order | undefined> {
    return this.readThrough(`orders:${id}`, () =>
      this.database.query(({ orders }) => orders.get(id)),
    );
  }

  /**
   * The cache only saves work, so its errors are swallowed and reads fall through to the database
   * (the cache indicator reports them). A database error is a 503, not a 500: the request was
   * fine and is worth retrying elsewhere.
   */
  private async readThrough<T>(key: string, load: () => Promise<T>): Promise<T> {
    const cached = await this.cache.get<T>(key).catch(() => undefined);
    if (cached !== undefined) return cached;
    let value: T;
    try {
      value = await load();
    } catch (error) {
      throw new ServiceUnavailableException('the orders database is unavailable', { cause: error });
    }
    if (value !== undefined) await this.cache.set(key, value, CACHE_TTL_MS).catch(() => undefined);
    return value;
  }
}
