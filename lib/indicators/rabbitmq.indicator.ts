import type { OnModuleDestroy } from '@nestjs/common';
import { messages } from '../core/health.messages.js';
import type { CheckResult } from '../interfaces/health-check.interface.js';
import { openOwnChannel } from './support/amqp-channel.js';
import { BuiltInIndicator } from './support/built-in.indicator.js';
import { PendingCall } from './support/client-call.js';
import type { Discovery } from './support/discovery.js';
import { assertClient, hasMethod, settingKeysOf } from './support/setting.rules.js';

type Listener = (...args: never[]) => void;

/** An event emitter, when the client is one: the indicator only listens, and lets go on shutdown. */
interface Emitter {
  on?(event: string, listener: Listener): unknown;
  removeListener?(event: string, listener: Listener): unknown;
}

/** The part of an amqplib channel (promise API) the indicator uses. */
export interface AmqpChannelLike {
  checkExchange(exchange: string): Promise<unknown>;
  close?(): Promise<void>;
  /** Its `close` event tells at once that the channel is gone. */
  on?(event: string, listener: Listener): unknown;
  removeListener?(event: string, listener: Listener): unknown;
}

/**
 * The part of an amqplib connection (promise API) the indicator uses: the `ChannelModel` that
 * `connect()` resolves with, or the recovering one of `connect(url, { recovery })`.
 */
export interface AmqpConnectionLike {
  createChannel(): Promise<AmqpChannelLike>;
  /** Its events (`close`; `connect`, `disconnect`... when recovering) tell when it is down. */
  on?(event: string, listener: Listener): unknown;
  removeListener?(event: string, listener: Listener): unknown;
}

export interface RabbitMqIndicatorSettings {
  /**
   * The application's own connection (the indicator opens one channel on it, once, and reuses
   * it), or one of its channels. Never a new connection.
   */
  client: AmqpConnectionLike | AmqpChannelLike;
  /**
   * The exchange whose existence is checked (a passive declare: a round trip that changes
   * nothing). Default `'amq.direct'`, which every RabbitMQ vhost has. On a channel of the
   * application's, an exchange that does not exist makes the broker close that channel: keep
   * the default, or give the indicator the connection.
   */
  exchange?: string;
}

/** Why the connection cannot be used now; `undefined` while it can (or may). */
interface Down {
  output: string;
  cause?: unknown;
}

const CONNECTION = 'an amqplib connection (the promise API: connect() from "amqplib") or a channel';

/**
 * Checks the application's RabbitMQ connection (amqplib): a passive declare of an exchange,
 * `checkExchange('amq.direct')`, on a channel the indicator opens once on that connection and
 * reuses (again after it closes), or on the channel it is given. Fails at once, with no round trip,
 * while the connection is closed, or is down and recovering (`connect(url, { recovery })`).
 *
 * @example
 * RabbitMqHealthIndicator.register({ client: AMQP_CONNECTION })
 */
export class RabbitMqHealthIndicator
  extends BuiltInIndicator<RabbitMqIndicatorSettings>
  implements OnModuleDestroy
{
  static override readonly defaults = { name: 'rabbitmq', componentType: 'component' };
  static override readonly settingKeys = settingKeysOf<RabbitMqIndicatorSettings>(
    'client',
    'exchange',
  );
  static override readonly peer = 'amqplib';
  /**
   * @internal A connection (not a channel, nor amqp-connection-manager's manager): connected once
   * made. The check opens one channel of its own on it and declares nothing: `checkExchange()`
   * only asks whether `amq.direct` exists.
   */
  static override readonly discovery: Discovery<AmqpConnectionLike> = {
    kind: 'amqplib connection',
    words: ['rabbitmq', 'rabbit', 'amqp', 'amqplib', 'rmq', 'mq', 'broker'],
    recognises: (value): value is AmqpConnectionLike =>
      ['createChannel', 'createConfirmChannel', 'close', 'on'].every((method) =>
        hasMethod(value, method),
      ) && !hasMethod(value, 'isConnected'),
  };

  private readonly exchange: string;
  /** The indicator's own channel on a connection: opening, or open. */
  private channel?: Promise<AmqpChannelLike>;
  private down?: Down;
  private destroyed = false;
  private readonly listeners: [Emitter, string, Listener][] = [];
  /** A declare still unanswered (its check timed out) is waited for, not queued behind. */
  private readonly declare = new PendingCall<unknown>();

  constructor(settings: RabbitMqIndicatorSettings) {
    super(settings);
    this.exchange = settings.exchange ?? 'amq.direct';
    const client = settings.client;
    if (isChannel(client)) {
      this.listen(client, 'close', () => (this.down = { output: 'channel closed' }));
    } else if (isRecovering(client)) {
      // Reconnects by itself: down between a disconnection and the next connection.
      this.listen(client, 'connect', () => (this.down = undefined));
      const lost = (error: unknown) =>
        (this.down = { output: 'not connected (reconnecting)', cause: error });
      this.listen(client, 'disconnect', lost);
      this.listen(client, 'connect-failed', lost);
      this.listen(
        client,
        'reconnect-failed',
        (error: unknown) =>
          (this.down = { output: 'connection closed (recovery gave up)', cause: error }),
      );
    } else {
      // A plain connection never comes back once closed: the application must open another.
      this.listen(
        client,
        'close',
        (error: unknown) => (this.down = { output: 'connection closed', cause: error }),
      );
    }
  }

  protected override validate(settings: RabbitMqIndicatorSettings): void {
    const name = this.constructor.name;
    const client = settings?.client as unknown;
    assertClient(name, client, [isChannel(client) ? 'checkExchange' : 'createChannel'], CONNECTION);
    const exchange = settings.exchange;
    if (exchange !== undefined && (typeof exchange !== 'string' || exchange === '')) {
      throw new Error(
        messages.badSetting(
          name,
          'exchange',
          exchange,
          'the name of an existing exchange (not the default exchange "")',
        ),
      );
    }
  }

  async check(signal: AbortSignal): Promise<CheckResult> {
    this.throwIfDown();
    const client = this.settings.client;
    await this.declare.join(async () => {
      const channel = isChannel(client) ? client : await this.ownChannel(client);
      return channel.checkExchange(this.exchange);
    }, signal);
    return { details: { exchange: this.exchange } };
  }

  /** Lets go of the client's events, and closes the indicator's own channel. */
  onModuleDestroy(): void {
    this.destroyed = true;
    for (const [emitter, event, listener] of this.listeners.splice(0)) {
      emitter.removeListener?.(event, listener);
    }
    const channel = this.channel;
    this.channel = undefined;
    // Closed once open, if it is still opening. Not awaited: on a connection that no longer
    // answers, closing a channel never ends.
    channel?.then((c) => c.close?.()).catch(() => undefined);
  }

  private throwIfDown(): void {
    const down = this.down;
    if (down === undefined) return;
    throw down.cause instanceof Error
      ? new Error(down.output, { cause: down.cause })
      : new Error(down.output);
  }

  private ownChannel(connection: AmqpConnectionLike): Promise<AmqpChannelLike> {
    if (this.channel) return this.channel;
    // Once shut down, no channel is opened that nothing would close.
    if (this.destroyed) return Promise.reject(new Error('shutting down'));
    // Its errors come with the close that follows: heard from the start (see openOwnChannel).
    const opening = openOwnChannel(connection).then((channel) => {
      channel.on?.('close', () => {
        if (this.channel === opening) this.channel = undefined;
      });
      return channel;
    });
    opening.catch(() => {
      if (this.channel === opening) this.channel = undefined;
    });
    this.channel = opening;
    return opening;
  }

  private listen(emitter: Emitter, event: string, listener: Listener): void {
    if (typeof emitter.on !== 'function' || typeof emitter.removeListener !== 'function') return;
    emitter.on(event, listener);
    this.listeners.push([emitter, event, listener]);
  }
}

function isChannel(client: unknown): client is AmqpChannelLike {
  return (
    typeof client === 'object' &&
    client !== null &&
    typeof (client as Record<string, unknown>).checkExchange === 'function' &&
    typeof (client as Record<string, unknown>).createChannel !== 'function'
  );
}

/** amqplib's recovering connection (`connect(url, { recovery })`), which reconnects by itself. */
function isRecovering(client: AmqpConnectionLike): boolean {
  return typeof (client as unknown as Record<string, unknown>).waitForConnect === 'function';
}
