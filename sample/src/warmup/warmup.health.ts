import { Injectable } from '@nestjs/common';
import { HealthIndicator, type HealthCheck } from 'nestjs-probes';
import { WarmupService } from './warmup.service.js';

/**
 * Startup only: loaded reference data stays loaded, so once this has passed the startup probe
 * latches and nothing checks it again.
 */
@HealthIndicator({ name: 'warmup', probes: ['startup'] })
@Injectable()
export class WarmupHealth implements HealthCheck {
  constructor(private readonly warmup: WarmupService) {}

  check(): void {
    // Failing for good lets the kubelet restart the pod once the startup probe's budget is spent.
    if (this.warmup.error !== undefined) throw new Error(`warm-up failed: ${this.warmup.error}`);
    if (!this.warmup.done) throw new Error(`warming up (${this.warmup.progress}%)`);
  }
}
