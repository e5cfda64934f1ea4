import { DiscoveryService } from '@nestjs/core';
import type { HealthIndicatorOptions } from '../interfaces/health-indicator-options.interface.js';

/**
 * Marks a provider as a health indicator. It is found at start-up wherever it is provided in the
 * application, with no registration by hand; it must implement `HealthCheck`.
 *
 * @example
 * @HealthIndicator({ name: 'database', critical: true, timeoutMs: 500 })
 * @Injectable()
 * export class DatabaseHealth implements HealthCheck { async check(signal) { ... } }
 */
export const HealthIndicator = DiscoveryService.createDecorator<HealthIndicatorOptions>();
