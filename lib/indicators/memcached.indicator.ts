import { messages } from '../core/health.messages.js';
import type { CheckResult } from '../interfaces/health-check.interface.js';
import { BuiltInIndicator } from './support/built-in.indicator.js';
import { abortable } from './support/client-call.js';
import type { Discovery } from './support/discovery.js';
import { assertClient, hasMethod, settingKeysOf } from './support/setting.rules.js';

/** A server of a memjs client: where it is, never its credentials. */
export interface MemjsServerLike {
  readonly host: string;
  readonly port: number | string;
}

/** The part of a memjs `Client` (`Client.create()` of `memjs`) the indicator uses. */
export interface MemjsClientLike {
  readonly servers: readonly MemjsServerLike[];
  /** Calls back once per server: `(error, 'host:port', stats)`. */
  stats(
    callback: (error: Error | null, server: string, stats: Record<string, string> | null) => void,
  ): void;
}

/** Settings of `MemcachedHealthIndicator`. */
export interface MemcachedIndicatorSettings {
  /** The application's own memjs client: the indicator never opens a client of its own. */
  client: MemjsClientLike;
}

/** One server's answer to `stats`. */
interface ServerStats {
  server: string;
  error?: Error;
  stats?: Record<string, string>;
}

/**
 * Checks the application's memcached client (memjs): a `stats` round trip to every server of the
 * client, over the client's own connections. Passes when every server answers; with several
 * servers, some down only warns (their keys miss, the cache still works), all down fails. The
 * observed value is the round trip in ms.
 *
 * @example
 * MemcachedHealthIndicator.register({ client: MEMCACHED })
 */
export class MemcachedHealthIndicator extends BuiltInIndicator<MemcachedIndicatorSettings> {
  static override readonly defaults = { name: 'memcached', componentType: 'datastore' };
  static override readonly settingKeys = settingKeysOf<MemcachedIndicatorSettings>('client');
  static override readonly peer = 'memjs';
  /**
   * @internal memjs connects to a server on the first request sent to it (and again after losing
   * it): until the application has sent one, the client is not connected, and stays so.
   */
  static override readonly discovery: Discovery<MemjsClientLike> = {
    kind: 'memjs client',
    words: ['memcached', 'memcache', 'memjs', 'cache'],
    recognises: (value): value is MemjsClientLike =>
      ['stats', 'get', 'set', 'quit'].every((method) => hasMethod(value, method)) &&
      Array.isArray((value as Partial<MemjsClientLike>).servers),
    notConnected: (client) =>
      (client as { seq?: unknown }).seq === 0
        ? 'not connected: the application has sent no request through this client yet'
        : undefined,
  };

  protected override validate(settings: MemcachedIndicatorSettings): void {
    const name = this.constructor.name;
    const client = settings.client as unknown;
    const expected = 'a memjs client (Client.create() from "memjs")';
    assertClient(name, client, ['stats'], expected);
    const servers = (client as MemjsClientLike).servers as unknown;
    if (!Array.isArray(servers) || servers.length === 0) {
      throw new Error(
        messages.badClient(name, `${expected} with at least one server`, ['stats'], client),
      );
    }
  }

  async check(signal: AbortSignal): Promise<CheckResult> {
    // Not a PendingCall: memjs never settles a request that was pending on a connection that
    // closed without an error, so waiting for it would fail every later check. memjs's own request
    // timeout (`timeout`, 0.5 s by default) bounds what a hung server can collect.
    const answers = await abortable(this.statsOfEach(), signal);
    const down = answers.filter((answer) => answer.error !== undefined);
    const details = {
      servers: answers.map(({ server, error, stats }) =>
        error ? { server, up: false } : { server, up: true, version: stats?.version },
      ),
    };
    const why = down.map(({ server, error }) => `${server}: ${error!.message}`).join('; ');
    if (down.length === answers.length) {
      if (answers.length === 1) throw down[0].error!;
      return { status: 'fail', output: `every server is down (${why})`, details };
    }
    if (down.length === 0) return { details };
    return {
      status: 'warn',
      output: `${down.length} of ${answers.length} servers down (${why})`,
      details,
    };
  }

  /** Every server's answer: memjs calls back once for each, an error included. */
  private statsOfEach(): Promise<ServerStats[]> {
    const { client } = this.settings;
    const expected = client.servers.length;
    return new Promise((resolve) => {
      const answers = new Map<string, ServerStats>();
      if (expected === 0) resolve([]);
      client.stats((error, server, stats) => {
        if (answers.has(server)) return;
        answers.set(server, error ? { server, error } : { server, stats: stats ?? {} });
        if (answers.size === expected) resolve([...answers.values()]);
      });
    });
  }
}
