import type { CheckResult } from '../interfaces/health-check.interface.js';
import { BuiltInIndicator } from './support/built-in.indicator.js';
import { PendingCall } from './support/client-call.js';
import type { Discovery } from './support/discovery.js';
import { assertClient, hasMethod, settingKeysOf } from './support/setting.rules.js';

/** The part of a NATS connection (`connect()` of `nats`) the indicator uses. */
export interface NatsConnectionLike {
  isClosed(): boolean;
  /** Resolves when the server has answered a PING. */
  flush(): Promise<void>;
  /** Like `flush()`, but rejects at once while the connection is down and reconnecting. */
  rtt?(): Promise<number>;
  isDraining?(): boolean;
  /** `host:port` of the server connected to. */
  getServer?(): string;
}

export interface NatsIndicatorSettings {
  /** The application's own connection: the indicator never opens one. */
  client: NatsConnectionLike;
}

/**
 * Checks the application's NATS connection: a PING/PONG round trip to the server (`rtt()`, or
 * `flush()`), whose duration in ms is the observed value. Fails at once when the connection is
 * closed or draining, or is down and reconnecting (`not connected (reconnecting)`).
 *
 * @example
 * NatsHealthIndicator.register({ client: NATS_CONNECTION })
 */
export class NatsHealthIndicator extends BuiltInIndicator<NatsIndicatorSettings> {
  static override readonly defaults = { name: 'nats', componentType: 'component' };
  static override readonly settingKeys = settingKeysOf<NatsIndicatorSettings>('client');
  static override readonly peer = 'nats';
  /** @internal Connected once made; the check is the protocol's PING, nothing published. */
  static override readonly discovery: Discovery<NatsConnectionLike> = {
    kind: 'NATS connection',
    words: ['nats'],
    recognises: (value): value is NatsConnectionLike =>
      ['isClosed', 'flush', 'drain', 'closed', 'publish', 'subscribe'].every((method) =>
        hasMethod(value, method),
      ),
  };

  /** A PING still unanswered (its check timed out) is waited for, not sent again. */
  private readonly ping = new PendingCall<unknown>();

  protected override validate(settings: NatsIndicatorSettings): void {
    assertClient(
      this.constructor.name,
      settings?.client,
      ['isClosed', 'flush'],
      'a NATS connection (connect() from "nats")',
    );
  }

  async check(signal: AbortSignal): Promise<CheckResult> {
    const nc = this.settings.client;
    if (nc.isClosed()) throw new Error('connection closed');
    if (nc.isDraining?.()) throw new Error('connection draining');
    await this.ping.join(() => roundTrip(nc), signal);
    const server = typeof nc.getServer === 'function' ? nc.getServer() : undefined;
    return server ? { details: { server } } : {};
  }
}

function roundTrip(nc: NatsConnectionLike): Promise<unknown> {
  const ping = typeof nc.rtt === 'function' ? nc.rtt() : nc.flush();
  return ping.catch((error: unknown) => {
    // `DISCONNECT`: down and reconnecting, said at once by rtt(), or when the socket is lost.
    // Its message is only the code: the output says it in words instead.
    throw (error as { code?: unknown } | null)?.code === 'DISCONNECT'
      ? new Error('not connected (reconnecting)')
      : error;
  });
}
