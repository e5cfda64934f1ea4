import { messages } from '../core/health.messages.js';
import type { CheckResult } from '../interfaces/health-check.interface.js';
import { BuiltInIndicator } from './support/built-in.indicator.js';
import { PendingCall } from './support/client-call.js';
import type { Discovery } from './support/discovery.js';
import { isInstalled } from '../core/peers.js';
import { assertClient, hasMethod, settingKeysOf } from './support/setting.rules.js';

/** The part of an ioredis client (`Redis` or `Cluster`) the indicator uses. */
export interface IoRedisClientLike {
  /** `'ready'` when commands can be served; `'reconnecting'`, `'end'`... otherwise. */
  readonly status: string;
  ping(): Promise<unknown>;
}

/**
 * The part of a node-redis client (`createClient()`, `createCluster()` or `createClientPool()` of
 * `redis` v4 to v6) the indicator uses. A pool says only whether it is open.
 */
export interface NodeRedisClientLike {
  /** Connected, and the handshake done. */
  readonly isReady?: boolean;
  /** Connected or trying to be: `false` once closed. */
  readonly isOpen?: boolean;
  ping(): Promise<unknown>;
}

/** A Redis client the indicator can check: ioredis (`Redis`, `Cluster`) or node-redis. */
export type RedisClientLike = IoRedisClientLike | NodeRedisClientLike;

export interface RedisIndicatorSettings {
  /** The application's own client, already created: the indicator never opens a connection. */
  client: RedisClientLike;
}

/** A node-redis v4 client in legacy mode answers with callbacks; its promise API is under `v4`. */
interface LegacyModeClient {
  v4?: { ping?: () => Promise<unknown> };
}

const EXPECTED = 'an ioredis client (Redis or Cluster) or a node-redis client (createClient()...)';

/**
 * Checks the application's Redis client, ioredis or node-redis: fails at once, without a round
 * trip, while the client says it is not connected (`not connected (status: reconnecting)`); else
 * sends `PING`. The observed value is the round trip in ms.
 *
 * The npm package checked at start-up is the client's own: `ioredis`, or `redis`
 * (`@redis/client`) for node-redis; so `peer` is not set on the class.
 *
 * @example
 * RedisHealthIndicator.register({ client: REDIS, timeoutMs: 500 })
 */
export class RedisHealthIndicator extends BuiltInIndicator<RedisIndicatorSettings> {
  static override readonly defaults = { name: 'redis', componentType: 'datastore' };
  static override readonly settingKeys = settingKeysOf<RedisIndicatorSettings>('client');
  /** @internal */
  static override readonly discovery: Discovery<RedisClientLike> = {
    kind: 'Redis client',
    words: ['redis', 'ioredis', 'cluster'],
    recognises: (value): value is RedisClientLike =>
      hasMethod(value, 'ping') &&
      flavourOf(value as RedisClientLike) !== undefined &&
      hasMethod(value, 'connect') &&
      (hasMethod(value, 'duplicate') || hasMethod(value, 'close')),
    // ioredis with `lazyConnect`: its first command would connect it.
    notConnected: (client) =>
      (client as IoRedisClientLike).status === 'wait'
        ? 'not connected: nothing has connected it yet (lazyConnect, status: wait)'
        : undefined,
  };

  /** node-redis tells "connecting" from "reconnecting" only by whether it was ready before. */
  private wasReady = false;
  /** A PING still unanswered (its check timed out) is waited for: no pile of them in the client. */
  private readonly ping = new PendingCall<unknown>();

  protected override validate(settings: RedisIndicatorSettings): void {
    const name = this.constructor.name;
    const client = settings?.client as unknown;
    assertClient(name, client, ['ping'], EXPECTED);
    const flavour = flavourOf(client as RedisClientLike);
    if (flavour === undefined) {
      throw new Error(messages.badClient(name, EXPECTED, ['ping'], client));
    }
    if (flavour === 'ioredis') {
      if (!isInstalled('ioredis')) throw new Error(messages.peerMissing(name, 'ioredis'));
    } else if (!isInstalled('redis') && !isInstalled('@redis/client')) {
      throw new Error(messages.peerMissing(name, 'redis'));
    }
  }

  async check(signal: AbortSignal): Promise<CheckResult> {
    const client = this.settings.client;
    const before = this.status();
    // `wait`: an ioredis client created with `lazyConnect` that has not connected yet; its first
    // command connects it, so PING goes ahead (and fails with the reason if it cannot connect).
    // `open`: a node-redis pool, which says no more; PING tells.
    if (before !== 'ready' && before !== 'wait' && before !== 'open') {
      throw new Error(`not connected (status: ${before})`);
    }
    const legacy = (client as LegacyModeClient).v4;
    await this.ping.join(
      () => (typeof legacy?.ping === 'function' ? legacy.ping() : client.ping()),
      signal,
    );
    return { details: { status: this.status() } };
  }

  /** The client's state, in ioredis's words (node-redis has booleans only). */
  private status(): string {
    const client = this.settings.client;
    if ('status' in client && typeof client.status === 'string') return client.status;
    const node = client as NodeRedisClientLike;
    if (node.isReady) {
      this.wasReady = true;
      return 'ready';
    }
    if (node.isOpen === false) return 'closed';
    if (node.isReady === undefined) return 'open';
    return this.wasReady ? 'reconnecting' : 'connecting';
  }
}

function flavourOf(client: RedisClientLike): 'ioredis' | 'node-redis' | undefined {
  if (typeof (client as IoRedisClientLike).status === 'string') return 'ioredis';
  const node = client as NodeRedisClientLike;
  if (typeof node.isReady === 'boolean' || typeof node.isOpen === 'boolean') return 'node-redis';
  return undefined;
}
