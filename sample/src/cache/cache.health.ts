import { Injectable } from '@nestjs/common';
import { HealthIndicator, type CheckResult, type HealthCheck } from 'nestjs-probes';
import { CacheClient } from './cache.client.js';

/**
 * Not critical: without the cache, orders are still read from the database, only slower. A broken
 * cache degrades the ready probe to `warn`, still a 200 so the instance keeps its traffic, and the
 * output tells the operator why.
 */
@HealthIndicator({ name: 'cache', critical: false, timeoutMs: 200, componentType: 'datastore' })
@Injectable()
export class CacheHealth implements HealthCheck {
  constructor(private readonly cache: CacheClient) {}

  async check(signal: AbortSignal): Promise<CheckResult> {
    try {
      await this.cache.ping(signal);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      // The report prefixes the summary with "cache: ", so the output does not name it again.
      return { status: 'warn', output: `${reason}; orders are read from the database` };
    }
    return { details: this.cache.stats() };
  }
}
