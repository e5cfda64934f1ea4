import type { CheckResult, HealthCheck } from '../interfaces/health-check.interface.js';
import type { DiscoveryContext } from '../indicators/support/discovery.js';
import type { FoundClient } from './client.scanner.js';

/** @internal An auto-found check: a built-in indicator, and its hooks to call at shutdown. */
export interface AutoIndicator extends HealthCheck {
  onModuleDestroy?(): void;
}

/**
 * @internal The built-in indicator of a found client, made as `register()` would make it (its
 * settings validated), with two differences: a client that has not connected fails without a
 * round trip (which would connect it), and its package is not looked up again (the client in
 * hand proves it is installed, wherever npm put it: BullMQ's own ioredis...).
 */
export function autoIndicator(
  { cls, client }: FoundClient,
  name: string,
  context: DiscoveryContext,
): { label: string; indicator: AutoIndicator } {
  const { discovery } = cls;
  const settings = discovery.settings?.(client, context) ?? { client };
  const label = `${cls.name}(${name})`;
  const Base = cls as unknown as new (settings: unknown) => AutoIndicator;
  class Discovered extends Base {
    override check(signal: AbortSignal): Promise<CheckResult | void> {
      const why = discovery.notConnected?.(client);
      if (why !== undefined) return Promise.reject(new Error(why));
      return Promise.resolve(super.check(signal));
    }
  }
  Object.defineProperty(Discovered, 'name', { value: label });
  Object.defineProperty(Discovered, 'peer', { value: undefined });
  return { label, indicator: new Discovered(settings) };
}
