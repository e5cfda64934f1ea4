import { Injectable } from '@nestjs/common';
import { HealthIndicator, type HealthCheck } from 'nestjs-probes';
import { DatabaseClient } from './database.client.js';

/**
 * Critical: without its database the service cannot answer a single order, so the instance must
 * leave the load balancer. A ping slower than 300 ms means trouble, and the bound keeps the ready
 * probe well inside the kubelet's 1 s timeout.
 */
@HealthIndicator({ name: 'database', critical: true, timeoutMs: 300, componentType: 'datastore' })
@Injectable()
export class DatabaseHealth implements HealthCheck {
  constructor(private readonly database: DatabaseClient) {}

  async check(signal: AbortSignal): Promise<void> {
    // The signal aborts at the timeout: handing it on stops the ping instead of leaking it.
    await this.database.ping(signal);
  }
}
