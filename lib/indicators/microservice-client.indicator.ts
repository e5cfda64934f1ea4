import type { InjectionToken, OnModuleDestroy, Provider } from '@nestjs/common';
import { messages } from '../core/health.messages.js';
import type { CheckResult } from '../interfaces/health-check.interface.js';
import {
  BuiltInIndicator,
  type BuiltInClass,
  type RegisterOptions,
} from './support/built-in.indicator.js';
import { PendingCall } from './support/client-call.js';
import type { Discovery } from './support/discovery.js';
import { registerWithHandle } from './support/handle.registration.js';
import { assertClient, hasMethod, settingKeysOf } from './support/setting.rules.js';
import {
  clientLookup,
  errorOf,
  Latest,
  unsupportedTransport,
  unwrapped,
  type ObservableLike,
} from './support/nest-microservices.js';
import { NotConnected, TransportProbe, type TransportReading } from './support/transport.probe.js';

/** The part of a Nest `ClientProxy` (`@nestjs/microservices`, Nest 11 or 12) the indicator uses. */
export interface ClientProxyLike {
  /** Connects, or resolves with the connection under way or made: idempotent. */
  connect(): Promise<unknown>;
  /** The connection under the client (a socket, an ioredis pair, a NATS connection...). */
  unwrap<T>(): T;
  send(pattern: unknown, data: unknown): ObservableLike<unknown>;
  /** Status changes (`connected`, `disconnected`, `reconnecting`...), Nest 11 and later. */
  readonly status?: ObservableLike<string>;
}

/** Settings of `MicroserviceClientHealthIndicator`. */
export interface MicroserviceClientIndicatorSettings {
  /** The application's own client (`ClientsModule.register([{ name }])`); `register()` takes its token. */
  client: ClientProxyLike;
  /**
   * A message pattern the other service answers (its `@MessagePattern('health')`): sent on each
   * check, proving the service itself answers, not only the broker. Default: none.
   */
  pattern?: string | Record<string, string | number>;
  /** The data sent with `pattern`. Default `{}`. */
  data?: unknown;
  /** MQTT only: where the health message is published. Default `health/<clientId>`. */
  topic?: string;
  /** MQTT only: `false` publishes nothing, and sends a PINGREQ instead. Default `true`. */
  publish?: boolean;
}

/**
 * Checks a Nest microservice client (`ClientProxy` of TCP, Redis, NATS, RabbitMQ or MQTT) on its
 * own connection: connects a lazy client once, as its first message would (never a connection per
 * check), fails at once while its connection is down, then makes a round trip on that connection
 * (Redis PING, NATS PING, RabbitMQ passive declare of its queue, MQTT publish QoS 1; TCP has none).
 * With `pattern`, it also sends that message and waits for the service's answer.
 *
 * @example
 * MicroserviceClientHealthIndicator.register({ client: 'ORDERS', pattern: 'health' })
 */
export class MicroserviceClientHealthIndicator
  extends BuiltInIndicator<MicroserviceClientIndicatorSettings>
  implements OnModuleDestroy
{
  static override readonly defaults = { name: 'microservice', componentType: 'component' };
  static override readonly settingKeys = settingKeysOf<MicroserviceClientIndicatorSettings>(
    'client',
    'pattern',
    'data',
    'topic',
    'publish',
  );
  static override readonly peer = '@nestjs/microservices';
  /**
   * @internal A client nothing has connected yet is not connected (the check never connects
   * it), and an MQTT one publishes nothing.
   */
  static override readonly discovery: Discovery<ClientProxyLike> = {
    kind: 'Nest microservice client',
    words: ['microservice', 'micro', 'proxy', 'rpc', 'transport'],
    recognises: (value): value is ClientProxyLike =>
      ['connect', 'unwrap', 'send', 'emit', 'close'].every((method) => hasMethod(value, method)),
    unsupported: (client) => {
      const transport = unsupportedTransport(client);
      return transport && `${transport} clients are not supported yet`;
    },
    settings: (client) => ({ client, publish: false }),
    notConnected: (client) =>
      unwrapped(client) === undefined
        ? 'not connected: nothing has connected the client yet (no message sent, no connect())'
        : undefined,
  };

  private readonly status: Latest<string>;
  private readonly probe: TransportProbe;
  /** A lazy client's connection under way: waited for, never started twice. */
  private readonly connecting = new PendingCall<void>();
  /** A round trip still unanswered (its check timed out) is waited for, not repeated. */
  private readonly roundTrip = new PendingCall<TransportReading>();

  constructor(settings: MicroserviceClientIndicatorSettings) {
    super(settings);
    this.status = new Latest(settings.client.status);
    const queue = (settings.client as { queue?: unknown }).queue;
    this.probe = new TransportProbe(
      typeof queue === 'string' ? queue : undefined,
      settings.topic,
      settings.publish,
    );
  }

  /**
   * A provider in one line, the client found by its token (`ClientsModule.register([{ name }])`):
   * `MicroserviceClientHealthIndicator.register({ client: 'ORDERS', pattern: 'health' })`.
   */
  static override register<S>(this: BuiltInClass<S>, options: RegisterOptions<S>): Provider {
    const lookup = clientLookup(this.name, (options as { client?: InjectionToken }).client);
    return registerWithHandle(this, options as Record<string, unknown>, lookup);
  }

  protected override validate(settings: MicroserviceClientIndicatorSettings): void {
    const name = this.constructor.name;
    assertClient(
      name,
      settings.client,
      ['connect', 'unwrap', 'send'],
      'a ClientProxy (ClientsModule.register(), ClientProxyFactory.create())',
    );
    const unsupported = unsupportedTransport(settings.client);
    if (unsupported !== undefined)
      throw new Error(messages.transportUnsupported(name, unsupported));
    if (settings.publish !== undefined && typeof settings.publish !== 'boolean') {
      throw new Error(messages.badSetting(name, 'publish', settings.publish, 'true or false'));
    }
    const { pattern } = settings;
    const isPattern =
      (typeof pattern === 'string' && pattern !== '') ||
      (typeof pattern === 'object' && pattern !== null && !Array.isArray(pattern));
    if (pattern !== undefined && !isPattern) {
      throw new Error(
        messages.badSetting(
          name,
          'pattern',
          pattern,
          "a message pattern the service answers, such as 'health' or { cmd: 'health' }",
        ),
      );
    }
    if ('data' in settings && (settings.data === undefined || settings.data === null)) {
      throw new Error(
        messages.badSetting(
          name,
          'data',
          settings.data,
          'a value (Nest refuses to send null or undefined)',
        ),
      );
    }
  }

  async check(signal: AbortSignal): Promise<CheckResult> {
    const handle = await this.connection(signal);
    // A down connection fails at once, even while a round trip is still pending on it.
    let reading: TransportReading;
    try {
      this.probe.assertUp(handle);
      reading = await this.roundTrip.join(() => this.probe.roundTrip(handle), signal);
    } catch (error) {
      const status = this.status.value;
      throw error instanceof NotConnected && status !== undefined && status !== 'connected'
        ? new Error(`not connected (status: ${status})`)
        : error;
    }
    const details: Record<string, unknown> = { transport: reading.transport, ...reading.details };
    if (this.status.value !== undefined) details.status = this.status.value;
    const { pattern } = this.settings;
    if (pattern !== undefined) {
      await this.ask(pattern, signal);
      details.pattern = pattern;
    }
    const result: CheckResult = { details };
    const warn =
      this.status.value === 'blocked'
        ? 'the broker blocked the connection (resource alarm)'
        : reading.warn;
    if (warn !== undefined) Object.assign(result, { status: 'warn', output: warn });
    return result;
  }

  /** Lets go of the client's status. */
  onModuleDestroy(): void {
    this.status.stop();
    this.probe.close();
  }

  /**
   * The connection under the client. None yet (Nest clients are lazy) or dropped (TCP): the client
   * connects, as the application's next message would, on its one connection.
   */
  private async connection(signal: AbortSignal): Promise<unknown> {
    const { client } = this.settings;
    const handle = unwrapped(client);
    if (handle !== undefined) return handle;
    const connect = () =>
      client.connect().then(
        () => undefined,
        (reason: unknown) => {
          // Nest rejects with a string while a broker transport reconnects.
          throw typeof (reason as Error | null)?.message === 'string'
            ? reason
            : new Error(String(reason));
        },
      );
    await this.connecting.join(connect, signal);
    return unwrapped(client);
  }

  /** Sends `pattern` and waits for the answer; withdrawn (unsubscribed) when the check ends first. */
  private ask(pattern: unknown, signal: AbortSignal): Promise<void> {
    signal.throwIfAborted();
    return new Promise((resolve, reject) => {
      const onAbort = () => {
        subscription.unsubscribe();
        reject(signal.reason);
      };
      const done = (error?: unknown) => {
        signal.removeEventListener('abort', onAbort);
        if (error === undefined) resolve();
        else reject(errorOf(error));
      };
      const subscription = this.settings.client.send(pattern, this.settings.data ?? {}).subscribe({
        error: done,
        complete: () => done(),
      });
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }
}
