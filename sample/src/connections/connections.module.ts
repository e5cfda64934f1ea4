import { Module, type DynamicModule, type Provider } from '@nestjs/common';
import { PostgresHealthIndicator, RedisHealthIndicator } from 'nestjs-probes';
import { CacheHealth } from '../cache/cache.health.js';
import { CacheModule } from '../cache/cache.module.js';
import { DatabaseHealth } from '../database/database.health.js';
import { DatabaseModule } from '../database/database.module.js';
import { PostgresConnection } from './postgres.connection.js';
import { RedisConnection } from './redis.connection.js';

/**
 * Which indicators watch the database and the cache: the library's PostgreSQL and Redis ones on
 * real servers when DATABASE_URL / REDIS_URL are set, the sample's in-process ones otherwise.
 * (The orders themselves stay in memory either way: the URLs only point the health checks at
 * real servers, to see them fail and recover.)
 */
@Module({})
export class ConnectionsModule {
  static forEnvironment(env: NodeJS.ProcessEnv = process.env): DynamicModule {
    const providers: Provider[] = [];
    if (env.DATABASE_URL) {
      providers.push(
        {
          provide: PostgresConnection,
          useFactory: () => new PostgresConnection(env.DATABASE_URL!),
        },
        PostgresHealthIndicator.registerAsync({
          name: 'database',
          timeoutMs: 300,
          inject: [PostgresConnection],
          useFactory: (connection: PostgresConnection) => ({ client: connection.pool }),
        }),
      );
    } else {
      providers.push(DatabaseHealth);
    }
    if (env.REDIS_URL) {
      providers.push(
        { provide: RedisConnection, useFactory: () => new RedisConnection(env.REDIS_URL!) },
        RedisHealthIndicator.registerAsync({
          name: 'cache',
          critical: false,
          timeoutMs: 200,
          inject: [RedisConnection],
          useFactory: (connection: RedisConnection) => ({ client: connection.client }),
        }),
      );
    } else {
      providers.push(CacheHealth);
    }
    return { module: ConnectionsModule, imports: [DatabaseModule, CacheModule], providers };
  }
}
