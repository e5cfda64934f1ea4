// What the microservice indicators check on the connection under a Nest transport (`unwrap()` of
// a `ClientProxy` or a transport server): at once whether it is up, then a round trip on that same
// connection where its library has one that changes nothing.

import { openOwnChannel } from './amqp-channel.js';
import { PING_DETAILS, pingResponse, STATE_DETAILS } from './mqtt-ping.js';

/** @internal What the round trip found: details to report, and a status below pass, if any. */
export interface TransportReading {
  transport: string;
  details: Record<string, unknown>;
  warn?: string;
}

type Channel = {
  checkQueue(queue: string): Promise<{ messageCount: number; consumerCount: number }>;
  checkExchange(exchange: string): Promise<unknown>;
  close(): Promise<void>;
  on(event: string, listener: (...args: unknown[]) => void): unknown;
};
type ChannelModel = { createChannel(): Promise<Channel> };
type IoRedis = { status: string; ping(): Promise<unknown> };
type Nats = {
  isClosed(): boolean;
  rtt?(): Promise<number>;
  flush(): Promise<void>;
  getServer?(): string;
};
type Mqtt = {
  connected: boolean;
  reconnecting?: boolean;
  options?: { clientId?: string };
  publish(
    topic: string,
    message: string,
    options: object,
    callback: (error?: Error) => void,
  ): unknown;
  sendPing?(): void;
};
type AmqpManager = { isConnected(): boolean; connection?: ChannelModel };
type NetSocket = { readyState: string; remoteAddress?: string; remotePort?: number };
type NetServer = { listening: boolean; address(): { port: number } | string | null };

const has = (value: unknown, ...methods: string[]): boolean =>
  typeof value === 'object' &&
  value !== null &&
  methods.every((m) => typeof (value as Record<string, unknown>)[m] === 'function');

type Kind = 'redis' | 'nats' | 'rmq' | 'mqtt' | 'tcp-server' | 'tcp-socket' | 'unknown';

/** Which library's connection `unwrap()` gave. */
function kindOf(handle: unknown): Kind {
  if (
    Array.isArray(handle) &&
    handle.every((c) => has(c, 'ping') && typeof c.status === 'string')
  ) {
    return 'redis';
  }
  if (has(handle, 'isClosed', 'flush')) return 'nats';
  if (has(handle, 'isConnected', 'createChannel')) return 'rmq';
  if (has(handle, 'publish') && typeof (handle as Mqtt).connected === 'boolean') return 'mqtt';
  if (has(handle, 'address') && typeof (handle as NetServer).listening === 'boolean') {
    return 'tcp-server';
  }
  if (has(handle, 'write') && typeof (handle as NetSocket).readyState === 'string') {
    return 'tcp-socket';
  }
  return 'unknown';
}

/** @internal A down connection: fails the check at once, without a round trip. */
export class NotConnected extends Error {}

/** @internal Checks the connections under one Nest transport; holds the RabbitMQ channel it opens. */
export class TransportProbe {
  /** The indicator's own channel, on the connection of the moment. */
  private channel?: { on: ChannelModel; channel: Promise<Channel> };
  private closed = false;

  /**
   * @param queue the RabbitMQ queue of the transport: its consumers are counted.
   * @param topic where an MQTT health message is published; default `health/<clientId>`.
   * @param publish `false`: MQTT publishes nothing, and sends a PINGREQ instead.
   */
  constructor(
    private readonly queue?: string,
    private readonly topic?: string,
    private readonly publish = true,
  ) {}

  /**
   * Throws `NotConnected` at once, with no round trip, when the connection is down. Kept out of
   * the round trip: one still pending (MQTT.js holds a QoS 1 message until it reconnects) must not
   * hide that the connection is down now.
   */
  assertUp(handle: unknown): void {
    const kind = kindOf(handle);
    if (kind === 'redis') {
      const down = (handle as IoRedis[]).find((client) => client.status !== 'ready');
      if (down) throw new NotConnected(`not connected (status: ${down.status})`);
    } else if (kind === 'nats') {
      if ((handle as Nats).isClosed()) throw new NotConnected('connection closed');
    } else if (kind === 'rmq') {
      const manager = handle as AmqpManager;
      if (!manager.isConnected() || manager.connection === undefined) {
        throw new NotConnected('not connected (reconnecting)');
      }
    } else if (kind === 'mqtt') {
      const client = handle as Mqtt;
      if (!client.connected) {
        throw new NotConnected(`not connected${client.reconnecting ? ' (reconnecting)' : ''}`);
      }
    } else if (kind === 'tcp-server') {
      if (!(handle as NetServer).listening) throw new NotConnected('not listening');
    } else if (kind === 'tcp-socket') {
      const state = (handle as NetSocket).readyState;
      if (state !== 'open') throw new NotConnected(`not connected (${state})`);
    }
  }

  /** A round trip on the connection, where its library has one that changes nothing. */
  async roundTrip(handle: unknown): Promise<TransportReading> {
    switch (kindOf(handle)) {
      case 'redis':
        // The subscriber connection answers PING as well: both connections of the pair are proven.
        await Promise.all((handle as IoRedis[]).map((client) => client.ping()));
        return { transport: 'redis', details: {} };
      case 'nats':
        return this.nats(handle as Nats);
      case 'rmq':
        return this.rmq(handle as AmqpManager);
      case 'mqtt':
        return this.mqtt(handle as Mqtt);
      case 'tcp-server': {
        const address = (handle as NetServer).address();
        const port = typeof address === 'object' && address ? address.port : undefined;
        return { transport: 'tcp', details: port === undefined ? {} : { port } };
      }
      case 'tcp-socket':
        return { transport: 'tcp', details: {} };
      default:
        return { transport: 'unknown', details: {} };
    }
  }

  /** Closes the indicator's own channel, if it opened one; not awaited (a hung broker never ends it). */
  close(): void {
    this.closed = true;
    const opened = this.channel;
    this.channel = undefined;
    opened?.channel.then((c) => c.close()).catch(() => undefined);
  }

  private async nats(nc: Nats): Promise<TransportReading> {
    try {
      await (typeof nc.rtt === 'function' ? nc.rtt() : nc.flush());
    } catch (error) {
      // Down and reconnecting: `DISCONNECT` (nats 2), "connection disconnected" (nats 3).
      const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
      if (code === 'DISCONNECT' || message === 'connection disconnected') {
        throw new NotConnected('not connected (reconnecting)');
      }
      throw error;
    }
    const server = typeof nc.getServer === 'function' ? nc.getServer() : undefined;
    return { transport: 'nats', details: server ? { server } : {} };
  }

  private async mqtt(client: Mqtt): Promise<TransportReading> {
    if (!this.publish) {
      const details = (await pingResponse(client)) ? PING_DETAILS : STATE_DETAILS;
      return { transport: 'mqtt', details: { ...details } };
    }
    const clientId = client.options?.clientId || 'nestjs-probes';
    const topic = this.topic ?? `health/${clientId.replace(/[+#\0]/g, '_')}`;
    // QoS 1: resolved by the broker's PUBACK, a round trip on the transport's own connection.
    await new Promise<void>((resolve, reject) =>
      client.publish(
        topic,
        `health check ${new Date().toISOString()}`,
        { qos: 1, retain: false },
        (error) => (error ? reject(error) : resolve()),
      ),
    );
    return { transport: 'mqtt', details: { topic } };
  }

  private async rmq(manager: AmqpManager): Promise<TransportReading> {
    const connection = manager.connection;
    if (connection === undefined) throw new NotConnected('not connected (reconnecting)');
    const channel = await this.ownChannel(connection);
    if (this.queue === undefined) {
      await channel.checkExchange('amq.direct');
      return { transport: 'rmq', details: {} };
    }
    // A passive declare: a round trip that changes nothing, and counts the queue's consumers.
    const { messageCount, consumerCount } = await channel.checkQueue(this.queue);
    const details = { queue: this.queue, messageCount, consumerCount };
    if (consumerCount > 0) return { transport: 'rmq', details };
    return { transport: 'rmq', details, warn: `no consumer on queue "${this.queue}"` };
  }

  /** One channel per connection of the manager, opened again after it closes or reconnects. */
  private ownChannel(connection: ChannelModel): Promise<Channel> {
    if (this.channel?.on === connection) return this.channel.channel;
    if (this.closed) return Promise.reject(new Error('shutting down'));
    this.channel?.channel.then((c) => c.close()).catch(() => undefined);
    // Its errors come with the close that follows: heard from the start (see openOwnChannel).
    const opening = openOwnChannel(connection).then((channel) => {
      channel.on('close', () => {
        if (this.channel?.channel === opening) this.channel = undefined;
      });
      return channel;
    });
    opening.catch(() => {
      if (this.channel?.channel === opening) this.channel = undefined;
    });
    this.channel = { on: connection, channel: opening };
    return opening;
  }
}
