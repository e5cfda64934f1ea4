import { messages } from '../core/health.messages.js';
import type { CheckResult } from '../interfaces/health-check.interface.js';
import { BuiltInIndicator } from './support/built-in.indicator.js';
import { PendingCall } from './support/client-call.js';
import type { Discovery } from './support/discovery.js';
import { PING_DETAILS, pingResponse, STATE_DETAILS } from './support/mqtt-ping.js';
import { assertClient, hasMethod, settingKeysOf } from './support/setting.rules.js';

/** The part of an MQTT.js client (`connect()` of `mqtt`, v4 or v5) the indicator uses. */
export interface MqttClientLike {
  connected: boolean;
  reconnecting?: boolean;
  disconnecting?: boolean;
  /** Set once `end()` has been called. */
  disconnected?: boolean;
  options?: { clientId?: string };
  publish(
    topic: string,
    message: string,
    options: { qos: 1; retain: false },
    callback: (error?: Error | null) => void,
  ): unknown;
  /** Sends a PINGREQ (MQTT.js 5): the round trip of `publish: false`. */
  sendPing?(): void;
  on?(event: string, listener: (packet: { cmd?: unknown }) => void): unknown;
  removeListener?(event: string, listener: (packet: { cmd?: unknown }) => void): unknown;
}

export interface MqttIndicatorSettings {
  /** The application's own client: the indicator never opens a connection. */
  client: MqttClientLike;
  /**
   * Where the health message is published (QoS 1, not retained). Default `health/<clientId>`.
   * No wildcard (`+`, `#`), and not a `$` topic.
   */
  topic?: string;
  /**
   * `false`: nothing is published; the round trip is a PINGREQ answered by the broker's PINGRESP
   * (MQTT.js 5; with MQTT.js 4, whether the client is connected is all the check says). Default
   * `true`: a message to `topic`, which proves the broker takes publications.
   */
  publish?: boolean;
}

/**
 * Checks the application's MQTT client (MQTT.js): publishes a small message, QoS 1 and not
 * retained, and waits for the broker's PUBACK (with `publish: false`, sends a PINGREQ and waits
 * for the PINGRESP); the round trip in ms is the observed value. Fails at once while the client
 * is not connected (`not connected (reconnecting)`).
 *
 * @example
 * MqttHealthIndicator.register({ client: MQTT_CLIENT, topic: 'health/orders-api' })
 */
export class MqttHealthIndicator extends BuiltInIndicator<MqttIndicatorSettings> {
  static override readonly defaults = { name: 'mqtt', componentType: 'component' };
  static override readonly settingKeys = settingKeysOf<MqttIndicatorSettings>(
    'client',
    'topic',
    'publish',
  );
  static override readonly peer = 'mqtt';
  /** @internal Never publishes: a PINGREQ round trip (`publish: false`). */
  static override readonly discovery: Discovery<MqttClientLike> = {
    kind: 'MQTT client',
    words: ['mqtt'],
    recognises: (value): value is MqttClientLike =>
      ['publish', 'subscribe', 'unsubscribe', 'end'].every((method) => hasMethod(value, method)) &&
      typeof (value as Partial<MqttClientLike>).connected === 'boolean',
    settings: (client) => ({ client, publish: false }),
  };

  /** MQTT.js says nothing of a first connection under way: only whether it ever connected. */
  private wasConnected = false;
  /** A message still unacknowledged (its check timed out) is waited for, not published again. */
  private readonly publication = new PendingCall<unknown>();

  protected override validate(settings: MqttIndicatorSettings): void {
    const name = this.constructor.name;
    assertClient(name, settings?.client, ['publish'], 'an MQTT.js client (connect() from "mqtt")');
    if (settings.publish !== undefined && typeof settings.publish !== 'boolean') {
      throw new Error(messages.badSetting(name, 'publish', settings.publish, 'true or false'));
    }
    const topic = settings.topic;
    if (topic !== undefined && !validTopic(topic)) {
      throw new Error(
        messages.badSetting(
          name,
          'topic',
          topic,
          'a topic to publish to: a non-empty string with no wildcard (+ #), not starting with $',
        ),
      );
    }
  }

  async check(signal: AbortSignal): Promise<CheckResult> {
    const client = this.settings.client;
    if (!client.connected) throw new Error(`not connected (${this.state()})`);
    this.wasConnected = true;
    if (this.settings.publish === false) {
      const pinged = await this.publication.join(() => pingResponse(client), signal);
      return { details: pinged ? PING_DETAILS : STATE_DETAILS };
    }
    const topic = this.topic();
    const acknowledged = () =>
      new Promise<void>((resolve, reject) => {
        client.publish(
          topic,
          `health check ${new Date().toISOString()}`,
          { qos: 1, retain: false },
          (error) => (error ? reject(error) : resolve()),
        );
      });
    await this.publication.join(acknowledged, signal);
    return { details: { topic } };
  }

  private state(): string {
    const client = this.settings.client;
    // Once end() is done, MQTT.js leaves `disconnecting` set as well.
    if (client.disconnected) return 'ended';
    if (client.disconnecting) return 'disconnecting';
    if (client.reconnecting) return 'reconnecting';
    // Not reconnecting: either the first connection is under way, or reconnectPeriod is 0.
    return this.wasConnected ? 'offline' : 'connecting';
  }

  private topic(): string {
    if (this.settings.topic !== undefined) return this.settings.topic;
    // Read at each run: with MQTT 5, the broker may assign the client id when it connects.
    const clientId = this.settings.client.options?.clientId || 'nestjs-probes';
    return `health/${clientId.replace(/[+#\0]/g, '_')}`;
  }
}

function validTopic(topic: unknown): boolean {
  return (
    typeof topic === 'string' &&
    topic.length > 0 &&
    !/[+#\0]/.test(topic) &&
    !topic.startsWith('$') &&
    Buffer.byteLength(topic) <= 65535
  );
}
