import { Injectable, type OnModuleDestroy } from '@nestjs/common';
import { Redis } from 'ioredis';

/** The application's Redis client, when REDIS_URL is set; the cache indicator borrows it. */
@Injectable()
export class RedisConnection implements OnModuleDestroy {
  readonly client: Redis;

  constructor(url: string) {
    // Commands fail fast while disconnected instead of queueing: a cache must not stall requests.
    this.client = new Redis(url, { maxRetriesPerRequest: 1, enableOfflineQueue: false });
    this.client.on('error', () => undefined);
  }

  async onModuleDestroy(): Promise<void> {
    this.client.disconnect();
  }
}
