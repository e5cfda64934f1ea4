import { Inject, Injectable, Logger } from '@nestjs/common';
import { setTimeout as sleep } from 'node:timers/promises';
import { APP_CONFIG, type AppConfig } from '../app.config.js';
import type { Dependency, FaultMode, Faults } from './fault.model.js';

/** What a healthy round trip to an in-process "server" costs. */
const ROUND_TRIP_MS = 1;

/** Settles only when the signal aborts, with its reason: a server that never answers. */
function untilAborted(signal: AbortSignal): Promise<never> {
  return new Promise((_, reject) => {
    signal.addEventListener('abort', () => reject(signal.reason), { once: true });
  });
}

/**
 * The state of every simulated dependency. The in-memory clients call `roundTrip()` where a real
 * driver would go over the network, so a fault behaves like the real failure would.
 */
@Injectable()
export class FaultsService {
  private readonly logger = new Logger('Faults');
  private readonly modes: Faults;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.modes = { ...config.faults };
    for (const [dependency, mode] of Object.entries(this.modes)) {
      if (mode !== 'up') this.logger.warn(`${dependency} starts ${mode} (FAIL)`);
    }
  }

  list(): Faults {
    return { ...this.modes };
  }

  set(dependency: Dependency, mode: FaultMode): void {
    this.modes[dependency] = mode;
    this.logger.warn(`${dependency} is now ${mode}`);
  }

  async roundTrip(dependency: Dependency, signal: AbortSignal): Promise<void> {
    signal.throwIfAborted();
    switch (this.modes[dependency]) {
      case 'down':
        throw new Error('connection refused');
      case 'slow':
        return untilAborted(signal);
      case 'up':
        await sleep(ROUND_TRIP_MS, undefined, { signal });
    }
  }
}
