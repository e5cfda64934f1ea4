import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { setTimeout as sleep } from 'node:timers/promises';
import { APP_CONFIG, type AppConfig } from '../app.config.js';

/** Reference data comes in batches, which is what makes progress reportable. */
const BATCHES = 20;

/**
 * Loads the reference data (price lists, tax rules...) the service needs before it takes traffic;
 * simulated here as batches spread over `WARMUP_MS`.
 *
 * It starts once the application has bootstrapped and is deliberately not awaited: awaiting it
 * would hold up `listen()`, the live probe would not answer, and the kubelet would kill a pod that
 * is merely slow to start. The startup probe reports the progress instead.
 */
@Injectable()
export class WarmupService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('Warmup');
  private readonly stop = new AbortController();
  private loaded = 0;
  private failure?: string;

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  get done(): boolean {
    return this.loaded === BATCHES;
  }

  get progress(): number {
    return Math.floor((this.loaded / BATCHES) * 100);
  }

  /** Why the warm-up gave up, if it did. */
  get error(): string | undefined {
    return this.failure;
  }

  onApplicationBootstrap(): void {
    void this.load().catch((error: unknown) => {
      if (this.stop.signal.aborted) return;
      this.failure = error instanceof Error ? error.message : String(error);
      this.logger.error(`Loading the reference data failed: ${this.failure}`);
    });
  }

  /** A SIGTERM during the warm-up must not wait for it to finish. */
  onApplicationShutdown(): void {
    this.stop.abort();
  }

  private async load(): Promise<void> {
    const started = performance.now();
    for (let batch = 0; batch < BATCHES; batch++) {
      await sleep(this.config.warmupMs / BATCHES, undefined, { signal: this.stop.signal });
      this.loaded++;
    }
    this.logger.log(
      `Reference data loaded in ${Math.round(performance.now() - started)} ms, at ${Date.now()}`,
    );
  }
}
